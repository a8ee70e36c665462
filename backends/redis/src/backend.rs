//! The Redis [`CacheInstance`]: one lazily opened connection (standalone or cluster), every
//! operation bounded by a timeout, batches as `MGET`, `DEL` and pipelines.

use crate::{
    RedisConfig,
    config::Topology,
    connection::{Conn, Connector},
    pipeline::{Batch, Refused, delete_and_wait},
    spare::SpareCmd,
    tracking::is_version_key,
};
use async_trait::async_trait;
use bytes::Bytes;
use easy_cache_core::{
    CacheInstance, Error, ErrorKind, NearCache, Result, Timeout, Write, WriteMode,
};
use redis::{
    Cmd, FromRedisValue, RedisError, RedisResult, RedisWrite, ToRedisArgs,
    aio::MultiplexedConnection,
};
use std::{
    fmt,
    future::Future,
    io::Write as _,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU8, Ordering},
    },
    time::Duration,
};
use tokio::time::timeout;

/// The longest lifetime sent to Redis: 100 years. A longer one (up to `Duration::MAX`) is
/// stored with this one. Redis refuses an expiry whose absolute time in milliseconds
/// overflows a signed 64-bit count (`invalid expire time`), about 292 million years out;
/// 100 years stays far from that, and from the 2^53 ms a Lua number holds exactly (the
/// keep-alive script of servers before 7.0), while no entry outlives it in practice.
/// Clamping (rather than storing without expiry) keeps such keys volatile: a
/// `volatile-*` eviction policy can still evict them.
pub(crate) const MAX_LIFETIME_MS: u64 = 36_525 * 24 * 3_600 * 1_000;

/// A lifetime as Redis takes it: whole milliseconds, at least 1 (a sub-millisecond life
/// rounds up), at most [`MAX_LIFETIME_MS`].
fn lifetime_ms(life: Duration) -> u64 {
    u64::try_from(life.as_millis())
        .unwrap_or(u64::MAX)
        .clamp(1, MAX_LIFETIME_MS)
}

/// How a version key's lifetime is lengthened (`WriteMode::KeepAlive`); each one falls back
/// to the next when the server refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum KeepAliveBy {
    /// `PEXPIRE key ms GT`: Redis 7.0 and later.
    Gt = 0,
    /// [`KEEP_ALIVE_SCRIPT`]: servers before 7.0, which refuse the `GT` option.
    Script = 1,
    /// Nothing (scripting refused too): a version key keeps the lifetime it was created
    /// with, the first entry's. Still correct, just more misses for longer-lived entries.
    Nothing = 2,
}

impl KeepAliveBy {
    fn from_u8(n: u8) -> Self {
        match n {
            0 => KeepAliveBy::Gt,
            1 => KeepAliveBy::Script,
            _ => KeepAliveBy::Nothing,
        }
    }

    /// What to use after the server answered `code detail` to a keep-alive sent this way:
    /// the next way down when the answer is a refusal of the command (an unknown command
    /// or option, a wrong number of arguments, scripting disabled, an ACL denial), `None`
    /// when it may pass (a loading, busy or failing-over server): trying again is right.
    fn after_refusal(self, code: &str, detail: &str) -> Option<Self> {
        const TRANSIENT: [&str; 9] = [
            "LOADING",
            "BUSY",
            "TRYAGAIN",
            "CLUSTERDOWN",
            "MASTERDOWN",
            "MOVED",
            "ASK",
            "READONLY",
            "MISCONF",
        ];
        if TRANSIENT.contains(&code) || detail.contains("timed out") {
            return None;
        }
        match self {
            KeepAliveBy::Gt => Some(KeepAliveBy::Script),
            KeepAliveBy::Script => Some(KeepAliveBy::Nothing),
            KeepAliveBy::Nothing => None,
        }
    }
}

/// The keep-alive of servers before 7.0: `PEXPIRE` only when it lengthens the remaining
/// lifetime. An absent key (-2) stays absent; one without expiry (-1) already lives longest.
const KEEP_ALIVE_SCRIPT: &str = "local ttl = redis.call('PTTL', KEYS[1]) \
if ttl >= 0 and tonumber(ARGV[1]) > ttl then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end \
return 0";

/// A cache on a Redis server or a Redis Cluster.
///
/// Building one connects nothing: the connection opens on first use (within
/// `connect_timeout_ms`), so an application starts while Redis is down, and calls succeed
/// again once it is back. Each command or pipeline waits at most `timeout_ms` for its reply.
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
    /// A [`KeepAliveBy`]: how version keys are kept alive on this server, found out by
    /// its first refusal.
    keep_alive_by: AtomicU8,
    /// Replicas that must acknowledge an invalidation (0: none), and for how long to wait.
    wait_replicas: u32,
    wait_timeout_ms: u64,
    /// The near cache (`near_capacity`), kept coherent by the tracked connection's pushes
    /// and by this cache's own writes.
    near: Option<Arc<NearCache>>,
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
        let near = config
            .near_config()
            .map(|near| Arc::new(NearCache::new(near)));
        Ok(RedisCache {
            connector: Connector::new(&config, name.clone(), near.clone())?,
            near,
            name,
            topology: config.topology,
            prefix: config.key_prefix,
            default_timeout: config.default_timeout,
            op_timeout: Duration::from_millis(config.timeout_ms),
            failing: AtomicBool::new(false),
            keep_alive_by: AtomicU8::new(KeepAliveBy::Gt as u8),
            wait_replicas: config.wait_replicas,
            wait_timeout_ms: config.wait_timeout_ms,
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

    /// Keeps version keys alive as on a server before Redis 7.0, by a script instead of
    /// `PEXPIRE ... GT` (what a refusal of `GT` switches to), so that path can be tested
    /// on a newer server. Not needed otherwise: the switch is automatic.
    #[doc(hidden)]
    pub fn keep_alive_as_before_redis_7(&self) {
        self.keep_alive_by
            .store(KeepAliveBy::Script as u8, Ordering::Relaxed);
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
        self.run_within(self.op_timeout, what, op).await
    }

    /// [`RedisCache::run`] within `bound` (an invalidation waiting for replicas waits
    /// longer than the operation timeout).
    async fn run_within<T, F, Fut>(&self, bound: Duration, what: &str, op: F) -> Result<T>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let outcome = match self.connector.get().await {
            // Each command on the connection waits its reply timeout at most: when that is
            // the bound, a second timer per operation would only cost (a timer-wheel insert
            // and removal per hit). A timeout then comes as a `RedisError`, handled by
            // `failed` like the one below.
            Ok((conn, serial)) if bound == self.connector.reply_timeout() => match op(conn).await {
                Ok(value) => Ok(value),
                Err(e) => Err(self.failed(what, e, serial)),
            },
            Ok((conn, serial)) => match timeout(bound, op(conn)).await {
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
                            bound.as_millis()
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

    /// `name key...` with the stored keys written straight into the buffers of this
    /// thread's spare command: a read allocates no key and no command buffer of its own
    /// (hits are measured in allocations too).
    fn read_cmd<'k>(&self, name: &str, keys: impl Iterator<Item = &'k str>) -> SpareCmd {
        let mut cmd = SpareCmd::take();
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
            cmd.arg("PX").arg(lifetime_ms(life));
        }
        Some(cmd)
    }

    /// How keep-alives are sent to this server now.
    fn keep_alive_by(&self) -> KeepAliveBy {
        KeepAliveBy::from_u8(self.keep_alive_by.load(Ordering::Relaxed))
    }

    /// The command that makes `key` live at least `timeout` (never shorter, never creating
    /// an absent key), sent `by` that way: `PEXPIRE key ms GT` (a key without expiry counts
    /// as infinite), or [`KEEP_ALIVE_SCRIPT`]; `PERSIST key` for no expiry (every version
    /// has it). `None` when there is nothing to send.
    fn keep_alive_cmd(&self, key: Vec<u8>, timeout: Timeout, by: KeepAliveBy) -> Option<Cmd> {
        let life = timeout.resolve(self.default_timeout);
        if life.is_some_and(|d| d.is_zero()) {
            // An entry that is not stored needs nothing kept.
            return None;
        }
        let Some(life) = life else {
            let mut cmd = redis::cmd("PERSIST");
            cmd.arg(key);
            return Some(cmd);
        };
        let ms = lifetime_ms(life);
        match by {
            KeepAliveBy::Gt => {
                let mut cmd = redis::cmd("PEXPIRE");
                cmd.arg(key).arg(ms).arg("GT");
                Some(cmd)
            }
            KeepAliveBy::Script => {
                let mut cmd = redis::cmd("EVAL");
                cmd.arg(KEEP_ALIVE_SCRIPT).arg(1).arg(key).arg(ms);
                Some(cmd)
            }
            KeepAliveBy::Nothing => None,
        }
    }

    /// Appends the keep-alive of `key` (already prefixed) to `batch`, best-effort: a
    /// refusal never fails the entries written beside it.
    fn push_keep_alive(&self, batch: &mut Batch, key: Vec<u8>, timeout: Timeout) {
        if let Some(cmd) = self.keep_alive_cmd(key.clone(), timeout, self.keep_alive_by()) {
            batch.push_best_effort(key, cmd);
        }
    }

    /// Handles keep-alives the server refused in a batch sent `by` one way: on a refusal of
    /// the way itself, steps down to the next (once per cache, logged) and sends them again
    /// that way. Whatever happens, the batch has succeeded: a version key that is not
    /// lengthened only costs misses.
    async fn after_keep_alives(
        &self,
        mut refused: Vec<Refused>,
        mut by: KeepAliveBy,
        timeouts: &[(Vec<u8>, Timeout)],
    ) {
        // At most two steps down: Gt, Script, Nothing.
        for _ in 0..2 {
            let Some(first) = refused.first() else { return };
            let (code, detail) = (first.error.code(), first.error.details().unwrap_or(""));
            let Some(next) = by.after_refusal(code, detail) else {
                tracing::debug!(cache = %self.name, error = %first.error, "keep-alive refused");
                return;
            };
            // Only the first caller to see the refusal logs it.
            if self
                .keep_alive_by
                .compare_exchange(by as u8, next as u8, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                tracing::info!(
                    cache = %self.name,
                    error = %first.error,
                    "redis refuses {}: keeping version keys alive by {}",
                    match by {
                        KeepAliveBy::Gt => "PEXPIRE ... GT (before Redis 7.0)",
                        _ => "scripts",
                    },
                    match next {
                        KeepAliveBy::Script => "a script (PTTL, then PEXPIRE)",
                        _ => "nothing (they keep their first lifetime)",
                    },
                );
            }
            by = next;
            let mut again = Batch::default();
            for Refused { key, .. } in refused {
                let timeout = timeouts
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(Timeout::Never, |(_, t)| *t);
                if let Some(cmd) = self.keep_alive_cmd(key.clone(), timeout, by) {
                    again.push_best_effort(key, cmd);
                }
            }
            if again.is_empty() {
                return;
            }
            refused = match self.run("keep_alive", |conn| again.send(conn)).await {
                Ok(refused) => refused,
                Err(e) => {
                    tracing::debug!(cache = %self.name, error = %e, "keep-alive failed");
                    return;
                }
            };
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

    /// `keys` were written or deleted (or may have been: a failed write may have landed):
    /// the near cache drops them before the write returns. The server's pushes for our own
    /// writes come only after their replies (redis#9422), too late for a read that follows.
    fn changed<'k>(&self, keys: impl IntoIterator<Item = &'k str>) {
        if let Some(near) = &self.near {
            for key in keys {
                near.changed(key);
            }
        }
    }

    /// `keys` were read on a connection that does not report their changes (tracking off
    /// for now): a near-cache fill from this read is dropped (its keys count as changed).
    fn read_untracked<'k>(&self, conn: &Conn, keys: impl IntoIterator<Item = &'k str>) {
        if self.near.is_some() && !matches!(conn, Conn::Tracked { .. }) {
            self.changed(keys);
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
        let Some((tracker, ticket)) = begun else {
            return self.fetch(&mut conn, keys.iter().copied()).await;
        };
        let kept = ticket.kept();
        let remote = keys
            .iter()
            .enumerate()
            .filter_map(move |(i, key)| (!kept.has(i)).then_some(*key));
        let settled = match remote.clone().count() {
            // Every key kept (an entry key can look like a version key): nothing to send.
            0 => tracker.settle(ticket, keys, std::iter::empty()),
            // The common hit: the entry alone, one GET, no vector of replies.
            1 => {
                let cmd = self.read_cmd("GET", remote);
                // The connection's own method: `query_async` goes through the
                // `ConnectionLike` trait, which boxes the request's future.
                let reply = conn.send_packed_command(&cmd).await?;
                let value: Option<Bytes> =
                    FromRedisValue::from_redis_value(reply.extract_error()?)?;
                tracker.settle(ticket, keys, std::iter::once(value))
            }
            _ => {
                let fetched = self.fetch(&mut conn, remote).await?;
                tracker.settle(ticket, keys, fetched)
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
        let cmd = self.read_cmd("MGET", keys);
        let values: Vec<Option<Bytes>> = cmd.query_async(conn).await?;
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

    /// Sends `batch`; `keep_alives` are the keys and lifetimes of its keep-alives, to send
    /// again another way if the server refuses them.
    async fn send(
        &self,
        what: &str,
        batch: Batch,
        keep_alives: &[(Vec<u8>, Timeout)],
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let by = self.keep_alive_by();
        let refused = self.run(what, |conn| batch.send(conn)).await?;
        if !refused.is_empty() {
            self.after_keep_alives(refused, by, keep_alives).await;
        }
        Ok(())
    }

    /// Deletes `keys` (already prefixed); with `wait_replicas` set, waits for that many
    /// replicas to acknowledge the delete, and fails when fewer did in time. The keys that
    /// were removed.
    async fn invalidate(&self, keys: Vec<Vec<u8>>) -> Result<i64> {
        if self.wait_replicas == 0 {
            let mut cmd = redis::cmd("DEL");
            cmd.arg(&keys);
            return self.query("DEL", cmd).await;
        }
        let (replicas, wait_ms) = (self.wait_replicas, self.wait_timeout_ms);
        let bound = self.op_timeout + Duration::from_millis(wait_ms);
        let (removed, acked) = self
            .run_within(bound, "DEL + WAIT", |conn| {
                delete_and_wait(conn, keys, replicas, wait_ms)
            })
            .await?;
        if acked < i64::from(replicas) {
            return Err(Error::new(
                ErrorKind::Backend,
                format!(
                    "{}: the invalidation reached {acked} of {replicas} replicas within \
                     {wait_ms} ms (wait_replicas): a failover now may bring the old \
                     values back",
                    self.name
                ),
            ));
        }
        Ok(removed)
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

    fn default_timeout(&self) -> Option<Duration> {
        self.default_timeout
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let cmd = self.read_cmd("GET", std::iter::once(key));
        self.run("GET", |mut conn| async move {
            let value = cmd.query_async(&mut conn).await;
            self.read_untracked(&conn, [key]);
            value
        })
        .await
    }

    fn near_cache(&self) -> Option<&NearCache> {
        self.near.as_deref()
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
                mut conn => {
                    let values = self.fetch(&mut conn, keys.iter().copied()).await;
                    self.read_untracked(&conn, keys.iter().copied());
                    values
                }
            }
        })
        .await
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        self.forget(key);
        let stored = self.key(key);
        let set = match self.set_cmd(stored.clone(), &value, timeout, false) {
            Some(cmd) => self.query::<()>("SET", cmd).await,
            None => self.query::<()>("DEL", Self::del_cmd(stored)).await,
        };
        self.changed([key]);
        set
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
        let set = self.send("SET pipeline", batch, &[]).await;
        self.changed(entries.iter().map(|(key, _)| *key));
        set
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
        let removed = self.invalidate(vec![self.key(key)]).await;
        self.changed([key]);
        Ok(removed? > 0)
    }

    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        let mut batch = Batch::default();
        let key = self.key(key);
        self.push_keep_alive(&mut batch, key.clone(), timeout);
        self.send("keep_alive", batch, &[(key, timeout)]).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        // One DEL; a cluster client splits it by slot like MGET.
        let stored = keys
            .iter()
            .map(|key| {
                self.forget(key);
                self.key(key)
            })
            .collect();
        let deleted = self.invalidate(stored).await.map(drop);
        self.changed(keys.iter().copied());
        deleted
    }

    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        let mut batch = Batch::default();
        let mut keep_alives = Vec::new();
        for Write {
            key,
            value,
            timeout,
            mode,
        } in writes
        {
            let nx = match mode {
                WriteMode::Set => false,
                WriteMode::Add => true,
                WriteMode::KeepAlive => {
                    let key = self.key(key);
                    self.push_keep_alive(&mut batch, key.clone(), *timeout);
                    keep_alives.push((key, *timeout));
                    continue;
                }
            };
            self.forget(key);
            let key = self.key(key);
            match self.set_cmd(key.clone(), value, *timeout, nx) {
                Some(cmd) => batch.push(key, cmd),
                // A zero-lifetime set removes the old value; a zero-lifetime add does nothing.
                None if !nx => batch.push(key.clone(), Self::del_cmd(key)),
                None => {}
            }
        }
        let written = self.send("write pipeline", batch, &keep_alives).await;
        // An add stores only where nothing is stored: no value it could hide.
        let sets = writes.iter().filter(|w| w.mode == WriteMode::Set);
        self.changed(sets.map(|w| w.key.as_str()));
        written
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
        let add = Write::add("k", Bytes::new(), zero);
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

    /// The packed text of a command.
    fn text(cmd: &Cmd) -> String {
        String::from_utf8(cmd.get_packed_command()).unwrap()
    }

    /// `PX <ms>` (or `PEXPIRE key <ms>`) as packed.
    fn ms_arg(ms: u64) -> String {
        format!("${}\r\n{ms}\r\n", ms.to_string().len())
    }

    #[test]
    fn lifetimes_past_any_horizon_are_clamped_to_100_years() {
        let cache = RedisCache::new(RedisConfig::new("127.0.0.1:1")).unwrap();
        let value = Bytes::from_static(b"v");
        let year = Duration::from_secs(31_557_600);
        let max = ms_arg(MAX_LIFETIME_MS);
        for life in [
            Duration::MAX,
            Duration::from_secs(u64::MAX),
            Duration::from_millis(u64::MAX),
            year * 200,
            year * 100 + Duration::from_millis(1),
        ] {
            let timeout = Timeout::After(life);
            for nx in [false, true] {
                let cmd = cache.set_cmd(cache.key("k"), &value, timeout, nx).unwrap();
                assert!(text(&cmd).ends_with(&format!("PX\r\n{max}")), "{life:?}");
            }
            for by in [KeepAliveBy::Gt, KeepAliveBy::Script] {
                let cmd = cache.keep_alive_cmd(cache.key("k"), timeout, by).unwrap();
                assert!(text(&cmd).contains(&max), "{life:?} {by:?}");
            }
        }
        // Below the horizon, the lifetime as given (2038 and later included).
        let cmd = cache.set_cmd(cache.key("k"), &value, Timeout::After(year * 20), false);
        let ms = (year * 20).as_millis() as u64;
        assert!(text(&cmd.unwrap()).ends_with(&format!("PX\r\n{}", ms_arg(ms))));
        assert_eq!(lifetime_ms(year * 100), MAX_LIFETIME_MS);
        assert_eq!(lifetime_ms(Duration::from_nanos(1)), 1);
        // Far from what Redis refuses (now + ms past i64::MAX) and exact as a Lua number.
        let now_ms = 4_102_444_800_000_u64; // 2100-01-01
        assert!(now_ms.checked_add(MAX_LIFETIME_MS).unwrap() < i64::MAX as u64);
        const { assert!(MAX_LIFETIME_MS < 1 << 53) };
    }

    #[test]
    fn keep_alive_commands_by_each_way() {
        let cache = RedisCache::new(RedisConfig::new("127.0.0.1:1").key_prefix("p:")).unwrap();
        let ten = Timeout::secs(10);
        let gt = cache.keep_alive_cmd(cache.key("v"), ten, KeepAliveBy::Gt);
        let gt = text(&gt.unwrap());
        assert!(gt.contains("PEXPIRE") && gt.contains("p:v") && gt.ends_with("GT\r\n"));
        assert!(gt.contains(&ms_arg(10_000)), "{gt}");
        let script = cache.keep_alive_cmd(cache.key("v"), ten, KeepAliveBy::Script);
        let script = text(&script.unwrap());
        assert!(script.contains("EVAL") && script.contains(KEEP_ALIVE_SCRIPT));
        assert!(
            script.ends_with(&format!("p:v\r\n{}", ms_arg(10_000))),
            "{script}"
        );
        assert!(
            cache
                .keep_alive_cmd(cache.key("v"), ten, KeepAliveBy::Nothing)
                .is_none()
        );
        // No expiry is PERSIST, which every server knows; a zero lifetime sends nothing.
        for by in [KeepAliveBy::Gt, KeepAliveBy::Script, KeepAliveBy::Nothing] {
            let persist = cache.keep_alive_cmd(cache.key("v"), Timeout::Never, by);
            assert!(text(&persist.unwrap()).starts_with("*2\r\n$7\r\nPERSIST"));
            let zero = cache.keep_alive_cmd(cache.key("v"), Timeout::secs(0), by);
            assert!(zero.is_none());
        }
    }

    #[test]
    fn keep_alive_steps_down_on_refusals_only() {
        use KeepAliveBy::{Gt, Nothing, Script};
        // What servers before 7.0, renamed commands, ACLs and disabled scripting answer.
        let refusals = [
            ("ERR", "wrong number of arguments for 'pexpire' command"),
            ("ERR", "syntax error"),
            ("ERR", "Unsupported option GT"),
            (
                "ERR",
                "unknown command 'PEXPIRE', with args beginning with: ",
            ),
            (
                "NOPERM",
                "this user has no permissions to run the 'pexpire' command",
            ),
            (
                "ERR",
                "Error running script (call to f_1): @user_script:1: Unknown Redis command called from script",
            ),
            ("NOSCRIPT", "No matching script."),
        ];
        for (code, detail) in refusals {
            assert_eq!(
                Gt.after_refusal(code, detail),
                Some(Script),
                "{code} {detail}"
            );
            assert_eq!(
                Script.after_refusal(code, detail),
                Some(Nothing),
                "{code} {detail}"
            );
            assert_eq!(Nothing.after_refusal(code, detail), None);
        }
        // A server that will answer differently in a moment keeps the current way.
        let passing = [
            ("LOADING", "Redis is loading the dataset in memory"),
            ("BUSY", "Redis is busy running a script."),
            ("TRYAGAIN", "Multiple keys request during rehashing of slot"),
            ("CLUSTERDOWN", "The cluster is down"),
            (
                "MASTERDOWN",
                "Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
            ),
            ("MOVED", "3999 127.0.0.1:6381"),
            ("ASK", "3999 127.0.0.1:6381"),
            ("READONLY", "You can't write against a read only replica."),
            (
                "MISCONF",
                "Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.",
            ),
        ];
        for (code, detail) in passing {
            assert_eq!(Gt.after_refusal(code, detail), None, "{code}");
            assert_eq!(Script.after_refusal(code, detail), None, "{code}");
        }
        for by in [Gt, Script, Nothing] {
            assert_eq!(KeepAliveBy::from_u8(by as u8), by);
        }
    }

    #[test]
    fn invalidations_wait_for_replicas_only_when_asked() {
        // Replies may take the operation timeout plus the wait, no longer.
        let config = RedisConfig::new("127.0.0.1:1");
        assert_eq!(config.response_timeout(), Duration::from_millis(250));
        assert_eq!(RedisCache::new(config.clone()).unwrap().wait_replicas, 0);
        let config = config.wait_replicas(2, Duration::from_millis(700));
        assert_eq!(config.response_timeout(), Duration::from_millis(950));
        let cache = RedisCache::new(config).unwrap();
        assert_eq!((cache.wait_replicas, cache.wait_timeout_ms), (2, 700));
    }

    #[test]
    fn an_outage_is_logged_once_as_a_warning() {
        let url = format!("redis://:hunter2@127.0.0.1:{}", closed_port());
        let cache = RedisCache::new(RedisConfig::from_url(&url).unwrap()).unwrap();
        // A current-thread runtime: every log line comes from this thread, the only one
        // recorded.
        let ((), logs) =
            easy_cache_test_support::capture_logs_async(tracing::Level::DEBUG, async {
                for _ in 0..3 {
                    cache.get("k").await.unwrap_err();
                }
            });
        let text = logs.text();
        let warnings = text.lines().filter(|l| l.contains("WARN")).count();
        let repeats = text.lines().filter(|l| l.contains("still failing")).count();
        assert_eq!((warnings, repeats), (1, 2), "{text}");
        assert!(
            text.contains("redis failed") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
