//! Memcached for the benches: the servers (the first two of the URL), the raw
//! memcache-async baseline, and each server's own counters.

use easy_cache::memcached::MemcachedConfig;
use memcache_async::ascii::Protocol;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// How many servers the benches use: the Memcached target is set on two servers.
pub const SERVERS: usize = 2;

/// The backend's configuration for the URL, cut to the first [`SERVERS`] servers.
pub fn config(url: &str) -> MemcachedConfig {
    let mut config = MemcachedConfig::from_url(url).expect("a memcache:// URL");
    assert!(
        config.servers.len() >= SERVERS,
        "the Memcached URL names {} server(s); the benches need {SERVERS}",
        config.servers.len()
    );
    config.servers.truncate(SERVERS);
    config
}

/// A raw memcache-async connection to `address` (`host:port`), on the same stream type
/// as the backend's pool.
pub async fn raw_connection(address: &str) -> Protocol<Compat<TcpStream>> {
    let stream = TcpStream::connect(address)
        .await
        .expect("connect to the bench Memcached");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    Protocol::new(stream.compat())
}

/// One server's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Keys asked for by `get` lines (memcached counts every key of a multi-key `get`).
    pub cmd_get: u64,
    /// Keys found.
    pub get_hits: u64,
    /// Bytes received from clients, `stats` requests included.
    pub bytes_read: u64,
}

impl Stats {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Stats) -> Stats {
        Stats {
            cmd_get: self.cmd_get - earlier.cmd_get,
            get_hits: self.get_hits - earlier.get_hits,
            bytes_read: self.bytes_read - earlier.bytes_read,
        }
    }
}

/// Bytes of the `stats\r\n` request itself, counted in `bytes_read`.
pub const STATS_REQUEST_LEN: u64 = 7;

/// Reads `stats` from `address`.
pub async fn stats(address: &str) -> Stats {
    let mut stream = TcpStream::connect(address)
        .await
        .expect("connect for stats");
    stream.write_all(b"stats\r\n").await.expect("send stats");
    let mut lines = BufReader::new(stream).lines();
    let mut stats = Stats::default();
    while let Some(line) = lines.next_line().await.expect("read stats") {
        if line.trim_end() == "END" {
            break;
        }
        parse_line(&line, &mut stats);
    }
    stats
}

fn parse_line(line: &str, stats: &mut Stats) {
    let mut words = line.split_whitespace();
    let (Some("STAT"), Some(name), Some(value)) = (words.next(), words.next(), words.next()) else {
        return;
    };
    let Ok(value) = value.parse() else { return };
    match name {
        "cmd_get" => stats.cmd_get = value,
        "get_hits" => stats.get_hits = value,
        "bytes_read" => stats.bytes_read = value,
        _ => {}
    }
}

/// How many `get` request lines carried `keys` keys of total length `key_bytes` in
/// `bytes` bytes: each line is `get` + ` key`... + `\r\n`, so `lines` lines take
/// `5·lines + keys + key_bytes` bytes. `None` when the bytes fit no whole number of lines.
pub fn get_lines(bytes: u64, keys: u64, key_bytes: u64) -> Option<u64> {
    let framing = bytes.checked_sub(keys + key_bytes)?;
    (framing % 5 == 0).then_some(framing / 5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stats_lines() {
        let mut stats = Stats::default();
        for line in [
            "STAT pid 1",
            "STAT cmd_get 12",
            "STAT get_hits 9",
            "STAT bytes_read 345",
            "garbage",
        ] {
            parse_line(line, &mut stats);
        }
        assert_eq!(
            stats,
            Stats {
                cmd_get: 12,
                get_hits: 9,
                bytes_read: 345
            }
        );
    }

    #[test]
    fn counts_get_lines_from_bytes() {
        // "get a b c\r\n": one line, three keys of one byte each, 11 bytes.
        assert_eq!(get_lines(11, 3, 3), Some(1));
        // "get a\r\nget b\r\n": two lines, 14 bytes.
        assert_eq!(get_lines(14, 2, 2), Some(2));
        assert_eq!(get_lines(13, 2, 2), None, "not whole lines");
        assert_eq!(get_lines(3, 2, 2), None, "fewer bytes than the keys");
    }
}
