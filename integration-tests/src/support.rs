//! Helpers the test files and the [`suite`](crate::suite) share: caches built from a URL as
//! applications build them, key namespaces, and servers that are not there.

use bytes::Bytes;
use easy_cache_core::CacheInstance;
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
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

/// A loopback port nothing listens on: connecting is refused.
pub fn closed_port() -> u16 {
    let [port] = closed_ports();
    port
}

/// `N` different loopback ports nothing listens on. Bound all at once: a port is free again
/// as soon as its listener is dropped, so binding them one after another could return one
/// port twice (and `127.0.0.1:p1,127.0.0.1:p1` is a configuration error).
pub fn closed_ports<const N: usize>() -> [u16; N] {
    let listeners: [_; N] =
        std::array::from_fn(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"));
    listeners.map(|listener| listener.local_addr().expect("address").port())
}

/// Waits until something accepts connections on loopback `port`; panics after 10 s.
pub async fn wait_until_listening(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "{what} never listened on {port}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server process a test starts itself, apart from the run's servers (a unix socket, TLS,
/// authentication, replication): killed, and its directory removed, when dropped.
#[derive(Debug)]
pub struct LocalProcess {
    child: Child,
    // Dropped after the process is killed.
    dir: TempDir,
}

impl LocalProcess {
    /// Runs `command` in `dir` (created if missing), its output discarded.
    pub fn spawn(mut command: Command, dir: TempDir) -> Self {
        std::fs::create_dir_all(dir.path()).unwrap();
        let child = command
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
        LocalProcess { child, dir }
    }

    /// Its working directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for LocalProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
