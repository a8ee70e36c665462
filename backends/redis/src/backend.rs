//! The Redis [`CacheInstance`]: one lazily opened connection (standalone or cluster), every
//! operation bounded by a timeout, batches as `MGET`, `DEL` and pipelines.

use crate::{
    RedisConfig,
    config::Topology,
    connection::{Conn, Connector},
    pipeline::Batch,
    tracking::is_version_key,
};
use async_trait::async_trait;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Error, ErrorKind, Result, Timeout, WriteOp};
use redis::{
    Cmd, FromRedisValue, RedisError, RedisResult, RedisWrite, ToRedisArgs,
    aio::MultiplexedConnection,
};
use std::{
    fmt,
    future::Future,
    io::Write as _,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};
use tokio::time::timeout;

/// A cache on a Redis server or a Redis Cluster.
///
/// Building one connects nothing: the connection opens on first use (within
/// `connect_timeout_ms`), so an application starts while Redis is down, and calls succeed
/// again once it is back. Each operation waits at most `timeout_ms` for the server.
///
/// ```no_run
/// use easy_cache_core::{CacheInstance, Timeout};
/// use easy_cache_redis::{RedisCache, RedisConfig};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = RedisCache::new(RedisConfig::new("127.0.0.1:6379"))?;
/// cache.set("greeting", "hello".into(), Timeout::secs(60)).await?;
/// assert_eq!(cache.get("greeting").await?.as_deref(), Some(&b"hello"[..]));
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub struct RedisCache {
    name: String,
    topology: Topology,
    prefix: String,
    default_timeout: Option<Duration>,
    op_timeout: Duration,
    connector: Connector,
    /// Whether the last call failed: see [`RedisCache::record`].
    failing: AtomicBool,
}

impl RedisCache {
    /// A cache configured by `config` (validated here; nothing connects yet).
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, ErrorKind};
    /// use easy_cache_redis::{RedisCache, RedisConfig};
    /// // Nothing connects here: this works with no server running.
    /// let config = RedisConfig::from_url("redis://:s3cret@127.0.0.1:6379/1").unwrap();
    /// let cache = RedisCache::new(config).unwrap();
    /// assert_eq!(cache.name(), "redis://127.0.0.1:6379/1");
    ///
    /// let err = RedisCache::new(RedisConfig::new("h:6379").db(-1)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// ```
    pub fn new(config: RedisConfig) -> Result<Self> {
        config.validate()?;
        let name = config.display_url();
        Ok(RedisCache {
            connector: Connector::new(&config, name.clone())?,
            name,
            topology: config.topology,
            prefix: config.key_prefix,
            default_timeout: config.default_timeout,
            op_timeout: Duration::from_millis(config.timeout_ms),
            failing: AtomicBool::new(false),
        })
    }

    /// How this cache reaches Redis.
    ///
    /// ```
    /// use easy_cache_redis::{RedisCache, RedisConfig, Topology};
    /// let config = RedisConfig::cluster(["127.0.0.1:7000", "127.0.0.1:7001"]);
    /// let cache = RedisCache::new(config).unwrap();
    /// assert_eq!(cache.topology(), Topology::Cluster);
    /// let cache = RedisCache::new(RedisConfig::unix("/run/redis.sock")).unwrap();
    /// assert_eq!(cache.topology(), Topology::Unix);
    /// ```
    pub fn topology(&self) -> Topology {
        self.topology
    }

    /// The key as stored: the prefix, then `key`.
    fn key(&self, key: &str) -> Vec<u8> {
        let mut stored = Vec::with_capacity(self.prefix.len() + key.len());
        stored.extend_from_slice(self.prefix.as_bytes());
        stored.extend_from_slice(key.as_bytes());
        stored
    }

    /// Runs `op` on the connection within the operation timeout, mapping failures.
    async fn run<T, F, Fut>(&self, what: &str, op: F) -> Result<T>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let outcome = match self.connector.get().await {
            Ok((conn, serial)) => match timeout(self.op_timeout, op(conn)).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(e)) => Err(self.failed(what, e, serial)),
                Err(_) => {
                    // No answer: the connection may be black-holed, so the next call opens
                    // a new one instead of waiting on it too.
                    self.connector.timed_out(serial);
                    Err(Error::new(
                        ErrorKind::Timeout,
                        format!(
                            "{} did not answer {what} within {} ms",
                            self.name,
                            self.op_timeout.as_millis()
                        ),
                    ))
                }
            },
            Err(e) => Err(e),
        };
        self.record(&outcome);
        outcome
    }

    /// Logs the first failure of an outage as a warning and the rest at debug level, so an
    /// outage does not flood the log; and says when the server answers again.
    fn record<T>(&self, outcome: &Result<T>) {
        match outcome {
            // Loaded first: a swap on every success would make concurrent callers
            // contend for the flag's cache line.
            Ok(_) => {
                if self.failing.load(Ordering::Relaxed)
                    && self.failing.swap(false, Ordering::Relaxed)
                {
                    tracing::info!(cache = %self.name, "redis answers again");
                }
            }
            Err(e) if !self.failing.swap(true, Ordering::Relaxed) => {
                tracing::warn!(cache = %self.name, error = %e, "redis failed");
            }
            Err(e) => tracing::debug!(cache = %self.name, error = %e, "redis still failing"),
        }
    }

    /// One command, its reply converted to `T`.
    async fn query<T: FromRedisValue>(&self, what: &str, cmd: Cmd) -> Result<T> {
        self.run(
            what,
            |mut conn| async move { cmd.query_async(&mut conn).await },
        )
        .await
    }

    /// `e` from the connection `serial`, which is replaced if it cannot recover by itself.
    fn failed(&self, what: &str, e: RedisError, serial: u64) -> Error {
        self.connector.reset_after(serial, &e);
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Backend
        };
        Error::new(kind, format!("{} {what}: {e}", self.name)).with_source(e)
    }

    /// `name key...` with the stored keys written straight into one buffer sized up
    /// front: a read allocates no key of its own (hits are measured in allocations too).
    fn read_cmd<'k>(&self, name: &str, keys: impl Iterator<Item = &'k str> + Clone) -> Cmd {
        let (count, bytes) = keys.clone().fold((1, name.len()), |(n, b), k| {
            (n + 1, b + self.prefix.len() + k.len())
        });
        let mut cmd = Cmd::with_capacity(count, bytes);
        cmd.arg(name);
        for key in keys {
            cmd.arg(StoredKey {
                prefix: &self.prefix,
                key,
            });
        }
        cmd
    }

    /// `SET key value [NX] [PX ms]`, or `None` for a zero lifetime (nothing to store).
    fn set_cmd(&self, key: Vec<u8>, value: &Bytes, timeout: Timeout, nx: bool) -> Option<Cmd> {
        let life = timeout.resolve(self.default_timeout);
        if life.is_some_and(|d| d.is_zero()) {
            return None;
        }
        let mut cmd = redis::cmd("SET");
        cmd.arg(key).arg(value.as_ref());
        if nx {
            cmd.arg("NX");
        }
        if let Some(life) = life {
            // PX takes whole milliseconds above zero: round a sub-millisecond life up.
            let ms = u64::try_from(life.as_millis()).unwrap_or(u64::MAX).max(1);
            cmd.arg("PX").arg(ms);
        }
        Some(cmd)
    }

    /// `PEXPIRE key ms GT` (never shortens; a key without expiry counts as infinite), or
    /// `PERSIST key` for no expiry. Neither creates an absent key.
    fn keep_alive_cmd(&self, key: Vec<u8>, timeout: Timeout) -> Cmd {
        match timeout.resolve(self.default_timeout) {
            Some(life) => {
                let ms = u64::try_from(life.as_millis()).unwrap_or(u64::MAX).max(1);
                let mut cmd = redis::cmd("PEXPIRE");
                cmd.arg(key).arg(ms).arg("GT");
                cmd
            }
            None => {
                let mut cmd = redis::cmd("PERSIST");
                cmd.arg(key);
                cmd
            }
        }
    }

    /// `DEL key`: what a zero-lifetime `set` means (nothing stored, not the old value).
    fn del_cmd(key: Vec<u8>) -> Cmd {
        let mut cmd = redis::cmd("DEL");
        cmd.arg(key);
        cmd
    }

    /// About to write `key`: a version of it kept by client tracking is stale from now on
    /// (the server's push would say so too, but only after the write).
    fn forget(&self, key: &str) {
        if let Some(tracker) = self.connector.tracker() {
            tracker.forget(key);
        }
    }

    /// A read on a tracked connection: the entry (and any version not kept) from the
    /// server in one command, kept versions from memory, looked up after the reply.
    async fn read_tracked(
        &self,
        mut conn: MultiplexedConnection,
        generation: u64,
        keys: &[&str],
    ) -> RedisResult<Vec<Option<Bytes>>> {
        let begun = self
            .connector
            .tracker()
            .and_then(|t| Some((t, t.begin(generation, keys)?)));
        let Some((tracker, (ticket, kept))) = begun else {
            return self.fetch(&mut conn, keys.iter().copied()).await;
        };
        let remote = keys
            .iter()
            .enumerate()
            .filter_map(move |(i, key)| (!kept.has(i)).then_some(*key));
        let settled = match remote.clone().count() {
            // Every key kept (an entry key can look like a version key): nothing to send.
            0 => tracker.settle(ticket, keys, kept, std::iter::empty()),
            // The common hit: the entry alone, one GET, no vector of replies.
            1 => {
                let value: Option<Bytes> =
                    self.read_cmd("GET", remote).query_async(&mut conn).await?;
                tracker.settle(ticket, keys, kept, std::iter::once(value))
            }
            _ => {
                let fetched = self.fetch(&mut conn, remote).await?;
                tracker.settle(ticket, keys, kept, fetched)
            }
        };
        let mut values = settled.values;
        if !settled.missing.is_empty() {
            // A kept version changed while the read was out (rare): read it now.
            let again = settled.missing.iter().map(|&i| keys[i]);
            let fetched = self.fetch(&mut conn, again).await?;
            for (i, value) in settled.missing.into_iter().zip(fetched) {
                values[i] = value;
            }
        }
        Ok(values)
    }

    /// `keys` in one `MGET`, one value per key.
    async fn fetch<'k, C: redis::aio::ConnectionLike + Send>(
        &self,
        conn: &mut C,
        keys: impl Iterator<Item = &'k str> + Clone,
    ) -> RedisResult<Vec<Option<Bytes>>> {
        let asked = keys.clone().count();
        let values: Vec<Option<Bytes>> = self.read_cmd("MGET", keys).query_async(conn).await?;
        if values.len() != asked {
            let detail = format!("{} values for {asked} keys", values.len());
            return Err(RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "MGET answered",
                detail,
            )));
        }
        Ok(values)
    }

    async fn send(&self, what: &str, batch: Batch) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        self.run(what, |conn| batch.send(conn)).await
    }
}

/// A key as stored, `key_prefix` then the key, written as one argument of a command.
struct StoredKey<'a> {
    prefix: &'a str,
    key: &'a str,
}

impl ToRedisArgs for StoredKey<'_> {
    fn write_redis_args<W: ?Sized + RedisWrite>(&self, out: &mut W) {
        let mut arg = out.writer_for_next_arg();
        // Writes into the command's own buffer, which cannot fail.
        let _ = arg.write_all(self.prefix.as_bytes());
        let _ = arg.write_all(self.key.as_bytes());
    }
}

impl fmt::Debug for RedisCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCache")
            .field("name", &self.name)
            .field("key_prefix", &self.prefix)
            .field("default_timeout", &self.default_timeout)
            .field("timeout", &self.op_timeout)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl CacheInstance for RedisCache {
    fn name(&self) -> &str {
        &self.name
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.query("GET", self.read_cmd("GET", std::iter::once(key)))
            .await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // One MGET; on a cluster the client splits it by hash slot and sends the parts to
        // their nodes concurrently, then puts the replies back in key order. On a tracked
        // connection, kept versions are not asked for.
        self.run("MGET", |conn| async move {
            match conn {
                Conn::Tracked { conn, generation } if keys.iter().any(|k| is_version_key(k)) => {
                    self.read_tracked(conn, generation, keys).await
                }
                mut conn => self.fetch(&mut conn, keys.iter().copied()).await,
            }
        })
        .await
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        self.forget(key);
        let key = self.key(key);
        match self.set_cmd(key.clone(), &value, timeout, false) {
            Some(cmd) => self.query::<()>("SET", cmd).await,
            None => self.query::<()>("DEL", Self::del_cmd(key)).await,
        }
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        let mut batch = Batch::default();
        for (key, value) in entries {
            self.forget(key);
            let key = self.key(key);
            let cmd = self
                .set_cmd(key.clone(), value, timeout, false)
                .unwrap_or_else(|| Self::del_cmd(key.clone()));
            batch.push(key, cmd);
        }
        self.send("SET pipeline", batch).await
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        self.forget(key);
        let Some(cmd) = self.set_cmd(self.key(key), &value, timeout, true) else {
            return Ok(false);
        };
        // `SET NX` answers OK when it stored and nil when the key was there.
        let stored: Option<String> = self.query("SET NX", cmd).await?;
        Ok(stored.is_some())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        self.forget(key);
        let removed: i64 = self.query("DEL", Self::del_cmd(self.key(key))).await?;
        Ok(removed > 0)
    }

    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        let mut batch = Batch::default();
        let key = self.key(key);
        batch.push(key.clone(), self.keep_alive_cmd(key, timeout));
        self.send("keep_alive", batch).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        // One DEL; a cluster client splits it by slot like MGET.
        let mut cmd = redis::cmd("DEL");
        for key in keys {
            self.forget(key);
            cmd.arg(self.key(key));
        }
        self.query::<i64>("DEL", cmd).await.map(drop)
    }

    async fn write_batch(&self, ops: &[WriteOp]) -> Result<()> {
        let mut batch = Batch::default();
        for op in ops {
            let (key, value, timeout, nx) = match op {
                WriteOp::Set {
                    key,
                    value,
                    timeout,
                } => (key, value, *timeout, false),
                WriteOp::Add {
                    key,
                    value,
                    timeout,
                } => (key, value, *timeout, true),
                WriteOp::KeepAlive { key, timeout } => {
                    let key = self.key(key);
                    batch.push(key.clone(), self.keep_alive_cmd(key, *timeout));
                    continue;
                }
            };
            self.forget(key);
            let key = self.key(key);
            match self.set_cmd(key.clone(), value, timeout, nx) {
                Some(cmd) => batch.push(key, cmd),
                // A zero-lifetime set removes the old value; a zero-lifetime add does nothing.
                None if !nx => batch.push(key.clone(), Self::del_cmd(key)),
                None => {}
            }
        }
        self.send("write pipeline", batch).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// A loopback port nothing listens on.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn builds_outside_a_runtime_and_fails_cleanly_without_a_server() {
        let url = format!("redis://u:hunter2@127.0.0.1:{}/3", closed_port());
        // No runtime, no server: building must still work.
        let cache = RedisCache::new(RedisConfig::from_url(&url).unwrap()).unwrap();
        assert_eq!(cache.topology(), Topology::Standalone);
        assert!(cache.name().ends_with("/3") && !cache.name().contains("hunter2"));
        assert!(!format!("{cache:?}").contains("hunter2"));
        let rt = tokio::runtime::Runtime::new().unwrap();
        for _ in 0..2 {
            let started = Instant::now();
            let err = rt.block_on(cache.get("k")).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
            assert!(!err.to_string().contains("hunter2"), "{err}");
            assert!(started.elapsed() < Duration::from_millis(600));
        }
    }

    #[tokio::test]
    async fn zero_lifetimes_store_nothing_without_touching_the_server() {
        let url = format!("redis://127.0.0.1:{}", closed_port());
        let cache = RedisCache::new(RedisConfig::from_url(&url).unwrap()).unwrap();
        // Nothing to send: no connection is needed, so no error either.
        let zero = Timeout::secs(0);
        assert!(!cache.add("k", Bytes::new(), zero).await.unwrap());
        let add = WriteOp::Add {
            key: "k".into(),
            value: Bytes::new(),
            timeout: zero,
        };
        cache.write_batch(&[add]).await.unwrap();
        cache.get_many(&[]).await.unwrap();
        cache.delete_many(&[]).await.unwrap();
        cache.set_many(&[], Timeout::Never).await.unwrap();
        // A zero-lifetime set must delete the old value: it does reach the server.
        let err = cache.set("k", Bytes::new(), zero).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Backend);
    }

    #[test]
    fn set_commands_carry_px_and_nx() {
        let config = RedisConfig::new("127.0.0.1:1")
            .key_prefix("p:")
            .default_timeout(Duration::from_secs(2));
        let cache = RedisCache::new(config).unwrap();
        let packed = |cmd: Option<Cmd>| String::from_utf8(cmd.unwrap().get_packed_command());
        let value = Bytes::from_static(b"v");
        let cmd = cache.set_cmd(cache.key("k"), &value, Timeout::Default, true);
        let text = packed(cmd).unwrap();
        assert!(text.contains("p:k") && text.contains("NX") && text.contains("2000"));
        let micro = Timeout::After(Duration::from_micros(10));
        let text = packed(cache.set_cmd(cache.key("k"), &value, micro, false)).unwrap();
        assert!(
            text.contains("PX\r\n$1\r\n1\r\n") && !text.contains("NX"),
            "{text}"
        );
        let text = packed(cache.set_cmd(cache.key("k"), &value, Timeout::Never, false)).unwrap();
        assert!(!text.contains("PX"), "{text}");
        assert!(
            cache
                .set_cmd(cache.key("k"), &value, Timeout::secs(0), false)
                .is_none()
        );
    }

    std::thread_local! {
        /// What this thread logs while [`capture_logs`] runs on it.
        static CAPTURED: std::cell::RefCell<Option<Vec<u8>>> = const { std::cell::RefCell::new(None) };
    }

    /// The global subscriber's output: the capturing thread's buffer, or nowhere.
    struct ThreadBuffer;

    impl std::io::Write for ThreadBuffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            CAPTURED.with(|captured| {
                if let Some(captured) = captured.borrow_mut().as_mut() {
                    captured.extend_from_slice(buf);
                }
            });
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `f` logs on this thread, DEBUG and above.
    ///
    /// Why a global subscriber rather than `with_default`: tracing caches each callsite's
    /// interest when the callsite is first hit, and with only one scoped subscriber alive it
    /// asks the hitting thread's own subscriber. A callsite first hit by another test's thread
    /// (no subscriber there) while this test's scoped one was in place was cached as "never",
    /// and this test captured 0 lines. A global subscriber is every thread's subscriber, so
    /// every interest includes it; it writes only into the buffer of a thread that captures.
    fn capture_logs(f: impl FnOnce()) -> String {
        static INSTALL: std::sync::Once = std::sync::Once::new();
        INSTALL.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::DEBUG)
                .with_ansi(false)
                .with_writer(|| ThreadBuffer)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test binary");
            // Interests cached before there was a subscriber are computed again.
            tracing::callsite::rebuild_interest_cache();
        });
        CAPTURED.with(|captured| *captured.borrow_mut() = Some(Vec::new()));
        f();
        let bytes = CAPTURED.with(|captured| captured.borrow_mut().take());
        String::from_utf8(bytes.unwrap_or_default()).unwrap()
    }

    #[test]
    fn an_outage_is_logged_once_as_a_warning() {
        let url = format!("redis://:hunter2@127.0.0.1:{}", closed_port());
        let cache = RedisCache::new(RedisConfig::from_url(&url).unwrap()).unwrap();
        // A current-thread runtime: every log line comes from this thread.
        let text = capture_logs(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            for _ in 0..3 {
                rt.block_on(cache.get("k")).unwrap_err();
            }
        });
        let warnings = text.lines().filter(|l| l.contains("WARN")).count();
        let repeats = text.lines().filter(|l| l.contains("still failing")).count();
        assert_eq!((warnings, repeats), (1, 2), "{text}");
        assert!(
            text.contains("redis failed") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
