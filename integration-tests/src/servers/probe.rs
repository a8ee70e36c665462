//! Talking to a server just enough to know it is up: a Redis `PING`/`CLUSTER INFO`, a
//! Memcached `version`; and a Memcached's `stats`, for tests that count its items.

use super::{Error, Result};
use std::{collections::BTreeMap, time::Duration};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    time::timeout,
};

/// How long one probe may take.
const PROBE_LIMIT: Duration = Duration::from_millis(1000);

/// Sends one Redis command and returns the reply as text (simple string, integer or bulk
/// string); a Redis error reply is an [`Error`].
pub(crate) async fn redis_command(port: u16, args: &[&str]) -> Result<String> {
    timeout(PROBE_LIMIT, redis_command_inner(port, args))
        .await
        .map_err(|_| Error::new(format!("redis on port {port} did not answer {args:?}")))?
}

async fn redis_command_inner(port: u16, args: &[&str]) -> Result<String> {
    let io = |e: std::io::Error| Error::new(format!("redis on port {port}: {e}"));
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(io)?;
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    stream.write_all(request.as_bytes()).await.map_err(io)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).await.map_err(io)?;
    let line = line.trim_end();
    match line.split_at_checked(1) {
        Some(("+" | ":", rest)) => Ok(rest.to_owned()),
        Some(("-", rest)) => Err(Error::new(format!("redis on port {port}: {rest}"))),
        Some(("$", len)) => {
            let len: usize = len
                .parse()
                .map_err(|_| Error::new(format!("redis on port {port}: bad reply {line:?}")))?;
            let mut body = vec![0; len + 2];
            reader.read_exact(&mut body).await.map_err(io)?;
            body.truncate(len);
            Ok(String::from_utf8_lossy(&body).into_owned())
        }
        _ => Err(Error::new(format!(
            "redis on port {port}: unexpected reply {line:?}"
        ))),
    }
}

/// True when a Redis server answers `PING` on `port`.
pub(crate) async fn redis_ready(port: u16) -> bool {
    matches!(redis_command(port, &["PING"]).await.as_deref(), Ok("PONG"))
}

/// True when a Memcached server answers `version` on `port`.
pub(crate) async fn memcached_ready(port: u16) -> bool {
    let probe = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream.write_all(b"version\r\n").await.ok()?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).await.ok()?;
        Some(line.starts_with("VERSION "))
    };
    matches!(timeout(PROBE_LIMIT, probe).await, Ok(Some(true)))
}

/// The `stats` of the Memcached server on `port`: each `STAT <name> <value>` line.
pub(crate) async fn memcached_stats(port: u16) -> Result<BTreeMap<String, String>> {
    let io = |e: std::io::Error| Error::new(format!("memcached on port {port}: {e}"));
    let read = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(io)?;
        stream.write_all(b"stats\r\n").await.map_err(io)?;
        let mut reader = BufReader::new(stream);
        let mut stats = BTreeMap::new();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.map_err(io)? == 0 {
                return Err(Error::new(format!(
                    "memcached on port {port} closed the connection during `stats`"
                )));
            }
            let line = line.trim_end();
            if line == "END" {
                return Ok(stats);
            }
            match line.strip_prefix("STAT ").and_then(|s| s.split_once(' ')) {
                Some((name, value)) => stats.insert(name.to_owned(), value.to_owned()),
                None => {
                    return Err(Error::new(format!(
                        "memcached on port {port}: unexpected `stats` line {line:?}"
                    )));
                }
            };
        }
    };
    timeout(PROBE_LIMIT, read)
        .await
        .map_err(|_| Error::new(format!("memcached on port {port} did not answer `stats`")))?
}

/// True when nothing accepts connections on `port` (a stopped server).
pub(crate) async fn port_closed(port: u16) -> bool {
    !matches!(
        timeout(PROBE_LIMIT, TcpStream::connect(("127.0.0.1", port))).await,
        Ok(Ok(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_listening_is_not_ready() {
        let port = super::super::ports::free_port().unwrap();
        assert!(!redis_ready(port).await);
        assert!(!memcached_ready(port).await);
        assert!(port_closed(port).await);
        assert!(redis_command(port, &["PING"]).await.is_err());
        assert!(memcached_stats(port).await.is_err());
    }
}
