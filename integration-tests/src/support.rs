//! Helpers the test files and the [`suite`](crate::suite) share: caches built from a URL as
//! applications build them, key namespaces, and servers that are not there.

use bytes::Bytes;
use easy_cache_core::CacheInstance;
use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

/// A cache built through the registry, as applications do; a bad URL fails the test.
pub fn from_url(url: &str) -> Arc<dyn CacheInstance> {
    easy_cache_registry::caches::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// `url` with `options` (`a=1&b=2`) appended to its query; `url` itself when `options` is
/// empty.
pub fn with_options(url: &str, options: &str) -> String {
    if options.is_empty() {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{options}")
}

/// `url` with `timeout_ms` and `connect_timeout_ms` both set to `ms`, so a dead or frozen
/// server costs a call little.
pub fn with_timeouts(url: &str, ms: u64) -> String {
    with_options(url, &format!("timeout_ms={ms}&connect_timeout_ms={ms}"))
}

/// A fresh key namespace, so tests run in parallel on shared servers without colliding,
/// and never read what an earlier run left behind.
pub fn namespace(topic: &str) -> String {
    format!("{topic}:{:016x}:", fastrand::u64(..))
}

/// The bytes of `s`.
pub fn bytes(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Values as strings, for readable failures.
pub fn strings(values: &[Option<Bytes>]) -> Vec<Option<String>> {
    values
        .iter()
        .map(|v| v.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()))
        .collect()
}

/// Expected values, to compare with [`strings`].
pub fn owned(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

/// A loopback port nothing listens on.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Calls `cache.get(key)` until it succeeds; how long that took. Panics after `limit`.
pub async fn wait_until_answering(
    cache: &dyn CacheInstance,
    key: &str,
    limit: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        match cache.get(key).await {
            Ok(_) => return started.elapsed(),
            Err(e) if started.elapsed() > limit => panic!("still failing after {limit:?}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A path under the system's temp dir, removed (with what is below it) when dropped. Not
/// created: a test may put a directory or a file there.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, unused path named after `topic`.
    pub fn new(topic: &str) -> Self {
        let name = format!("easy-cache-{topic}-{:016x}", fastrand::u64(..));
        TempDir(std::env::temp_dir().join(name))
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_join_the_query() {
        assert_eq!(with_options("redis://h", ""), "redis://h");
        assert_eq!(with_options("redis://h", "a=1"), "redis://h?a=1");
        assert_eq!(with_options("redis://h?a=1", "b=2"), "redis://h?a=1&b=2");
    }
}
