//! The Docker engine's API version, asked over its socket: which version the engine speaks
//! and whether an endpoint accepts testcontainers' version.
//!
//! Why: testcontainers 0.28 talks to the engine through bollard 0.21 pinned to API 1.53
//! (`bollard::API_DEFAULT_VERSION`) without negotiating, and older engines (Debian's
//! docker.io 20.10, API 1.41) refuse every such request. The test servers check it before
//! starting containers; `cargo xtask` puts a version shim (`xtask/src/docker_shim/`) in front
//! of such an engine.

use super::{Error, Result};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::UnixStream,
};

/// A Docker API version, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    /// The major version (1).
    pub major: u32,
    /// The minor version.
    pub minor: u32,
}

impl ApiVersion {
    /// Parses `1.41`.
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.trim().split_once('.')?;
        Some(ApiVersion {
            major: major.parse().ok()?,
            minor: minor.parse().ok()?,
        })
    }

    /// The version testcontainers' bollard client sends.
    pub fn testcontainers() -> Self {
        let v = testcontainers::bollard::API_DEFAULT_VERSION;
        ApiVersion {
            major: v.major_version as u32,
            minor: v.minor_version as u32,
        }
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The engine socket: the path of a `unix://` `DOCKER_HOST`, else `/var/run/docker.sock`.
pub fn engine_socket() -> PathBuf {
    std::env::var("DOCKER_HOST")
        .ok()
        .and_then(|host| host.strip_prefix("unix://").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("/var/run/docker.sock"))
}

/// The highest API version the engine behind `socket` accepts (`GET /version`).
pub async fn engine_api_version(socket: &Path) -> Result<ApiVersion> {
    let ask = async {
        let mut stream = UnixStream::connect(socket).await?;
        stream
            .write_all(b"GET /version HTTP/1.0\r\nHost: docker\r\n\r\n")
            .await?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    let reply = tokio::time::timeout(Duration::from_secs(5), ask)
        .await
        .map_err(|_| Error::new(format!("{} did not answer GET /version", socket.display())))?
        .map_err(|e| Error::new(format!("GET /version on {}: {e}", socket.display())))?;
    let reply = String::from_utf8_lossy(&reply);
    api_version_field(&reply)
        .ok_or_else(|| Error::new(format!("no ApiVersion in the engine's /version: {reply}")))
}

/// True when the endpoint at `socket` answers `GET /v<version>/_ping` with 200.
pub async fn accepts(socket: &Path, version: ApiVersion) -> bool {
    let request = format!("GET /v{version}/_ping HTTP/1.0\r\nHost: docker\r\n\r\n");
    let ask = async {
        let mut stream = UnixStream::connect(socket).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).await?;
        Ok::<_, std::io::Error>(reply)
    };
    match tokio::time::timeout(Duration::from_secs(5), ask).await {
        Ok(Ok(reply)) => reply.starts_with(b"HTTP/1.0 200") || reply.starts_with(b"HTTP/1.1 200"),
        _ => false,
    }
}

/// The `"ApiVersion":"1.41"` field of a `/version` reply.
fn api_version_field(reply: &str) -> Option<ApiVersion> {
    let start = reply.find("\"ApiVersion\":\"")? + "\"ApiVersion\":\"".len();
    let end = reply[start..].find('"')? + start;
    ApiVersion::parse(&reply[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: ApiVersion = ApiVersion {
        major: 1,
        minor: 41,
    };

    #[test]
    fn versions_parse_and_compare() {
        assert_eq!(ApiVersion::parse("1.41"), Some(MAX));
        assert!(ApiVersion::parse("1.53") > Some(MAX));
        assert!(ApiVersion::parse("1.100") > ApiVersion::parse("1.53"));
        assert_eq!(ApiVersion::parse("one"), None);
        assert_eq!(ApiVersion::testcontainers().major, 1);
        let reply = "HTTP/1.0 200 OK\r\n\r\n{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\"}";
        assert_eq!(api_version_field(reply), Some(MAX));
    }
}
