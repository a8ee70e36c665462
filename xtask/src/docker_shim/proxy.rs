//! A Docker API version shim: a unix socket that forwards to the real engine and rewrites the
//! API version in request paths (`/v1.53/...` to `/v1.41/...`).
//!
//! Why: testcontainers 0.28 talks to the engine through bollard 0.21 pinned to API 1.53
//! (`bollard::API_DEFAULT_VERSION`) without negotiating, and older engines (Debian's
//! docker.io 20.10, API 1.41) refuse every such request with "client version 1.53 is too
//! new". The calls testcontainers makes exist in 1.41 with compatible JSON, so lowering the
//! version in the path is enough. Responses pass through untouched.
//!
//! The shim runs on its own thread and runtime, so it outlives every test's runtime.

use easy_cache_integration_tests::servers::docker_api::ApiVersion;
use std::{
    path::{Path, PathBuf},
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::UnixStream,
};

/// A running shim; the listening socket lives in its own temporary directory.
#[derive(Debug)]
pub struct ApiShim {
    socket: PathBuf,
    dir: PathBuf,
}

impl ApiShim {
    /// Listens on a fresh socket and forwards every connection to `engine`, rewriting
    /// request paths asking for more than `engine_max` to `engine_max`.
    pub fn start(engine: PathBuf, engine_max: ApiVersion) -> Result<Self, String> {
        let dir = std::env::temp_dir().join("easy-cache-test").join(format!(
            "docker-shim-{}-{:08x}",
            std::process::id(),
            fastrand::u32(..)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let socket = dir.join("docker.sock");
        // Bound here, so a failure is reported to the caller and not lost in the thread.
        let listener = std::os::unix::net::UnixListener::bind(&socket)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| format!("cannot listen on {}: {e}", socket.display()))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot build the shim's runtime: {e}"))?;
        std::thread::Builder::new()
            .name("docker-api-shim".to_owned())
            .spawn(move || runtime.block_on(serve(listener, engine, engine_max)))
            .map_err(|e| format!("cannot start the shim's thread: {e}"))?;
        Ok(ApiShim { socket, dir })
    }

    /// `unix://<socket>`, for `DOCKER_HOST`.
    pub fn docker_host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }
}

impl Drop for ApiShim {
    /// Removes the socket's directory (new connections fail; the thread ends with the
    /// process).
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn serve(listener: std::os::unix::net::UnixListener, engine: PathBuf, max: ApiVersion) {
    let listener = match tokio::net::UnixListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("xtask: the Docker API shim cannot listen: {e}");
            return;
        }
    };
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                let engine = engine.clone();
                tokio::spawn(async move {
                    // A connection ending in an error is the client's or the engine's
                    // business: each side sees it on its own socket.
                    let _ = forward(client, &engine, max).await;
                });
            }
            Err(e) => {
                eprintln!("xtask: the Docker API shim cannot accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Pipes one client connection to a new engine connection, rewriting client to engine.
async fn forward(client: UnixStream, engine: &Path, max: ApiVersion) -> std::io::Result<()> {
    let upstream = UnixStream::connect(engine).await?;
    let (mut client_read, mut client_write) = client.into_split();
    let (mut engine_read, mut engine_write) = upstream.into_split();
    let up = async {
        let mut rewriter = Rewriter::new(max);
        let mut buf = vec![0u8; 16 * 1024];
        let mut out = Vec::with_capacity(buf.len());
        loop {
            let n = client_read.read(&mut buf).await?;
            out.clear();
            if n == 0 {
                rewriter.finish(&mut out);
                engine_write.write_all(&out).await?;
                return engine_write.shutdown().await;
            }
            rewriter.feed(&buf[..n], &mut out);
            engine_write.write_all(&out).await?;
        }
    };
    let down = async {
        tokio::io::copy(&mut engine_read, &mut client_write).await?;
        client_write.shutdown().await
    };
    tokio::try_join!(up, down).map(drop)
}

/// Rewrites ` /v<major>.<minor>/` (a request line's path) above `max` to `max`, in a stream
/// that may be split anywhere: a possible start of the pattern at the end of a chunk is held
/// back until the next one. Only text starting with a space is ever held, so a request head
/// (ending in CRLF) or a JSON body is always forwarded whole.
#[derive(Debug)]
struct Rewriter {
    max: ApiVersion,
    replacement: Vec<u8>,
    pending: Vec<u8>,
}

/// What the bytes at a position are.
enum Found {
    /// The pattern, `len` bytes long, asking for `version`.
    Version { len: usize, version: ApiVersion },
    /// A prefix of the pattern that the next bytes may complete.
    Partial,
    /// Not the pattern.
    No,
}

/// Longer numbers are not versions; also bounds what is held back.
const MAX_DIGITS: usize = 4;

impl Rewriter {
    /// A rewriter lowering versions above `max`.
    fn new(max: ApiVersion) -> Self {
        Rewriter {
            max,
            replacement: format!(" /v{max}/").into_bytes(),
            pending: Vec::new(),
        }
    }

    /// Takes the next bytes of the stream; appends what can be forwarded to `out`.
    fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        self.pending.extend_from_slice(input);
        let done = self.scan(out, false);
        self.pending.drain(..done);
    }

    /// The stream ended: appends whatever is held back.
    fn finish(&mut self, out: &mut Vec<u8>) {
        let done = self.scan(out, true);
        self.pending.drain(..done);
    }

    /// Emits `pending` up to a trailing partial match (none when `last`); returns how many
    /// bytes were consumed.
    fn scan(&self, out: &mut Vec<u8>, last: bool) -> usize {
        let bytes = &self.pending;
        let (mut i, mut copied) = (0, 0);
        while i < bytes.len() {
            if bytes[i] != b' ' {
                i += 1;
                continue;
            }
            match find(&bytes[i..]) {
                Found::Version { len, version } => {
                    out.extend_from_slice(&bytes[copied..i]);
                    if version > self.max {
                        out.extend_from_slice(&self.replacement);
                    } else {
                        out.extend_from_slice(&bytes[i..i + len]);
                    }
                    i += len;
                    copied = i;
                }
                Found::Partial if !last => {
                    out.extend_from_slice(&bytes[copied..i]);
                    return i;
                }
                Found::Partial | Found::No => i += 1,
            }
        }
        out.extend_from_slice(&bytes[copied..]);
        bytes.len()
    }
}

/// Matches ` /v<digits>.<digits>/` at the start of `s`.
fn find(s: &[u8]) -> Found {
    const PREFIX: &[u8] = b" /v";
    let head = s.len().min(PREFIX.len());
    if s[..head] != PREFIX[..head] {
        return Found::No;
    }
    if s.len() < PREFIX.len() {
        return Found::Partial;
    }
    let mut at = PREFIX.len();
    let mut parts = [0u32; 2];
    for (n, end) in [b'.', b'/'].into_iter().enumerate() {
        let start = at;
        loop {
            let Some(&c) = s.get(at) else {
                return Found::Partial;
            };
            if c.is_ascii_digit() && at - start < MAX_DIGITS {
                parts[n] = parts[n] * 10 + u32::from(c - b'0');
                at += 1;
            } else if c == end && at > start {
                at += 1;
                break;
            } else {
                return Found::No;
            }
        }
    }
    Found::Version {
        len: at,
        version: ApiVersion {
            major: parts[0],
            minor: parts[1],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: ApiVersion = ApiVersion {
        major: 1,
        minor: 41,
    };

    fn rewrite_in_chunks(input: &[u8], chunk: usize) -> Vec<u8> {
        let mut rewriter = Rewriter::new(MAX);
        let mut out = Vec::new();
        for piece in input.chunks(chunk) {
            rewriter.feed(piece, &mut out);
        }
        rewriter.finish(&mut out);
        out
    }

    #[test]
    fn rewrites_two_keep_alive_requests_split_at_every_position() {
        let body = br#"{"Cmd":["redis-server","--dir","/v1.53/x"]}"#;
        let mut input = b"GET /v1.53/containers/json HTTP/1.1\r\nHost: docker\r\n\r\n".to_vec();
        input.extend_from_slice(
            format!(
                "POST /v1.53/containers/create HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        input.extend_from_slice(body);
        let expected = String::from_utf8(input.clone())
            .unwrap()
            .replace("GET /v1.53/", "GET /v1.41/")
            .replace("POST /v1.53/", "POST /v1.41/");
        for chunk in 1..input.len() {
            let out = rewrite_in_chunks(&input, chunk);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "chunk {chunk}");
        }
    }

    #[test]
    fn leaves_supported_versions_and_other_text_alone() {
        for text in [
            "GET /v1.41/version HTTP/1.1\r\n\r\n",
            "GET /v1.24/version HTTP/1.1\r\n\r\n",
            "GET /_ping HTTP/1.1\r\n\r\n",
            "GET /v1.53x/ HTTP/1.1\r\n\r\n",
            "GET /v12345.1/ HTTP/1.1\r\n\r\n",
            "ends with a partial /v1.5",
            "ends with a space ",
        ] {
            let out = rewrite_in_chunks(text.as_bytes(), 3);
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
        let out = rewrite_in_chunks(b"DELETE /v1.100/containers/x HTTP/1.1\r\n\r\n", 2);
        assert_eq!(out, b"DELETE /v1.41/containers/x HTTP/1.1\r\n\r\n");
    }

    /// Through a real socket pair: a fake engine echoes what it receives.
    #[tokio::test]
    async fn forwards_both_ways_over_one_connection() {
        let dir = std::env::temp_dir().join(format!("shim-test-{:08x}", fastrand::u32(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let engine = dir.join("engine.sock");
        let fake = tokio::net::UnixListener::bind(&engine).unwrap();
        tokio::spawn(async move {
            let (mut conn, _) = fake.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            loop {
                let n = conn.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                conn.write_all(&buf[..n]).await.unwrap();
            }
        });
        let shim = ApiShim::start(engine, MAX).unwrap();
        let mut client = UnixStream::connect(&shim.socket).await.unwrap();
        for request in [
            "GET /v1.53/_ping HTTP/1.1\r\n\r\n",
            "POST /v1.53/containers/x/stop HTTP/1.1\r\n\r\n",
        ] {
            client.write_all(request.as_bytes()).await.unwrap();
            client.flush().await.unwrap();
            let expected = request.replace("1.53", "1.41");
            let mut echoed = vec![0u8; expected.len()];
            client.read_exact(&mut echoed).await.unwrap();
            assert_eq!(String::from_utf8(echoed).unwrap(), expected);
        }
        drop(client);
        let _ = std::fs::remove_dir_all(dir);
    }
}
