//! The memcached [`CacheInstance`]: keys spread over servers by a hash ring, a small
//! connection pool per server, every exchange bounded by a timeout.

use crate::{
    MemcachedConfig,
    keys::KeyMapper,
    pool::{Conn, Credentials, Pool},
    proto::{self, Command, Reply, StoreVerb},
    ring::Ring,
};
use async_trait::async_trait;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Error, ErrorKind, Result, Timeout, Write, WriteMode};
use futures::future::join_all;
use std::{
    collections::{BTreeMap, HashMap},
    fmt, io,
    time::Duration,
};
use tokio::time::{error::Elapsed, timeout};

/// A cache on one or more memcached servers.
///
/// Building one connects nothing: connections open on first use, so an application starts
/// while memcached is down, and calls succeed again once it is back. Each call waits at
/// most `connect_timeout_ms` for a connection plus `timeout_ms` for the server's answer.
///
/// ```no_run
/// use easy_cache_core::{CacheInstance, Timeout};
/// use easy_cache_memcached::{MemcachedCache, MemcachedConfig};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = MemcachedCache::new(MemcachedConfig::new(["127.0.0.1:11211"]))?;
/// cache.set("greeting", "hello".into(), Timeout::secs(60)).await?;
/// assert_eq!(cache.get("greeting").await?.as_deref(), Some(&b"hello"[..]));
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub struct MemcachedCache {
    name: String,
    keys: KeyMapper,
    ring: Ring,
    pools: Vec<Pool>,
    timeout: Duration,
    connect_timeout: Duration,
    default_timeout: Option<Duration>,
}

impl MemcachedCache {
    /// A cache configured by `config` (validated here; nothing connects yet).
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, ErrorKind};
    /// use easy_cache_memcached::{MemcachedCache, MemcachedConfig};
    /// // Nothing connects here: this works with no server running.
    /// let config = MemcachedConfig::from_url("memcache://app:s3cret@127.0.0.1:11211").unwrap();
    /// let cache = MemcachedCache::new(config).unwrap();
    /// assert_eq!(cache.name(), "memcache://127.0.0.1:11211");
    ///
    /// let err = MemcachedCache::new(MemcachedConfig::new(["h:11211"]).pool_size(0)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// ```
    pub fn new(config: MemcachedConfig) -> Result<Self> {
        config.validate()?;
        let credentials = match (&config.username, &config.password) {
            (Some(user), Some(password)) => Some(Credentials {
                user: user.clone(),
                password: password.clone(),
            }),
            _ => None,
        };
        let pools = config
            .servers
            .iter()
            .map(|address| Pool::new(address.clone(), config.pool_size, credentials.clone()))
            .collect();
        Ok(MemcachedCache {
            name: config.display_url(),
            keys: KeyMapper::new(&config.key_prefix),
            ring: Ring::new(&config.servers),
            pools,
            timeout: Duration::from_millis(config.timeout_ms),
            connect_timeout: Duration::from_millis(config.connect_timeout_ms),
            default_timeout: config.default_timeout,
        })
    }

    /// The `host:port` of the server that holds `key`.
    ///
    /// ```
    /// use easy_cache_memcached::{MemcachedCache, MemcachedConfig};
    /// let servers = ["10.0.0.1:11211", "10.0.0.2:11211"];
    /// let cache = MemcachedCache::new(MemcachedConfig::new(servers)).unwrap();
    /// let server = cache.server_for("user:42");
    /// assert!(servers.contains(&server));
    /// // Placement is stable: the same key always goes to the same server.
    /// assert_eq!(cache.server_for("user:42"), server);
    /// ```
    pub fn server_for(&self, key: &str) -> &str {
        self.pools[self.ring.server_for(&self.keys.map(key))].address()
    }

    /// A connection to `pool`'s server, within the connect timeout.
    async fn connection<'a>(&self, pool: &'a Pool) -> Result<Conn<'a>> {
        let error = match timeout(self.connect_timeout, pool.get()).await {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(e)) => Error::backend(
                format!("cannot connect to memcached {}: {e}", pool.address()),
                e,
            ),
            Err(_) => Error::new(
                ErrorKind::Timeout,
                format!(
                    "no connection to memcached {} within {} ms",
                    pool.address(),
                    self.connect_timeout.as_millis()
                ),
            ),
        };
        Err(failed(pool, error))
    }

    /// Keeps `conn` after a clean exchange, drops it otherwise, and maps the outcome.
    fn finish<T>(
        &self,
        pool: &Pool,
        conn: Conn<'_>,
        outcome: Result<io::Result<T>, Elapsed>,
    ) -> Result<T> {
        let error = match outcome {
            Ok(Ok(value)) => {
                pool.put_back(conn);
                if pool.record_success() {
                    tracing::info!(server = %pool.address(), "memcached answers again");
                }
                return Ok(value);
            }
            Ok(Err(e)) => {
                pool.discard_idle();
                Error::backend(format!("memcached {}: {e}", pool.address()), e)
            }
            // The reply may still arrive: the connection is out of step, so it goes.
            Err(_) => Error::new(
                ErrorKind::Timeout,
                format!(
                    "memcached {} did not answer within {} ms",
                    pool.address(),
                    self.timeout.as_millis()
                ),
            ),
        };
        Err(failed(pool, error))
    }

    /// One `get k1 k2 ...` to `server`.
    async fn fetch(&self, server: usize, keys: Vec<String>) -> Result<HashMap<String, Vec<u8>>> {
        let pool = &self.pools[server];
        let mut conn = self.connection(pool).await?;
        let outcome = timeout(self.timeout, proto::get_many(&mut conn.stream, &keys)).await;
        self.finish(pool, conn, outcome)
    }

    /// One pipeline of `commands` to `server`.
    async fn send(&self, server: usize, commands: Vec<Command>) -> Result<Vec<Reply>> {
        let pool = &self.pools[server];
        let mut conn = self.connection(pool).await?;
        let outcome = timeout(self.timeout, proto::execute(&mut conn.stream, &commands)).await;
        self.finish(pool, conn, outcome)
    }

    /// Runs `commands`, one pipeline per server, servers concurrently; returns the reply of
    /// each command whose server answered, in command order, and the first failing
    /// server's error (the other servers still ran theirs).
    async fn run(&self, commands: &[Command]) -> (Vec<Option<Reply>>, Option<Error>) {
        let mut groups: BTreeMap<usize, (Vec<usize>, Vec<Command>)> = BTreeMap::new();
        for (position, command) in commands.iter().enumerate() {
            let group = groups
                .entry(self.ring.server_for(command.key()))
                .or_default();
            group.0.push(position);
            group.1.push(command.clone());
        }
        let exchanges = groups
            .into_iter()
            .map(|(server, (positions, batch))| async move {
                (positions, self.send(server, batch).await)
            });
        let mut replies = vec![None; commands.len()];
        let mut failure = None;
        for (positions, outcome) in join_all(exchanges).await {
            match outcome {
                Ok(answers) => {
                    for (position, reply) in positions.into_iter().zip(answers) {
                        replies[position] = Some(reply);
                    }
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        (replies, failure)
    }

    /// Whether `reply` means the command took effect; an error for refused values.
    fn outcome(&self, command: &Command, reply: &Reply) -> Result<bool> {
        match reply {
            Reply::Stored | Reply::Deleted | Reply::Ttl(_) | Reply::Touched => Ok(true),
            Reply::NotStored | Reply::NotFound => Ok(false),
            Reply::TooLarge => {
                let key = command.key();
                let size = match command {
                    Command::Store { value, .. } => value.len(),
                    _ => 0,
                };
                let server = self.pools[self.ring.server_for(key)].address();
                tracing::warn!(
                    %server,
                    key,
                    size,
                    "memcached refused a value over its item size limit"
                );
                Err(Error::new(
                    ErrorKind::Unsupported,
                    format!(
                        "a value of {size} bytes is over the item size limit of memcached \
                         {server} (1 MB unless started with -I)"
                    ),
                ))
            }
            Reply::ServerError(message) => Err(Error::new(
                ErrorKind::Backend,
                format!("memcached refused a write: {message}"),
            )),
        }
    }

    /// Runs `commands` and checks every reply; returns the first error after all ran.
    async fn run_checked(&self, commands: &[Command]) -> Result<Vec<bool>> {
        let (replies, failure) = self.run(commands).await;
        if let Some(e) = failure {
            return Err(e);
        }
        let replies: Vec<Reply> = replies.into_iter().flatten().collect();
        let mut outcomes = Vec::with_capacity(replies.len());
        let mut failure = None;
        for (command, reply) in commands.iter().zip(&replies) {
            match self.outcome(command, reply) {
                Ok(done) => outcomes.push(done),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        failure.map_or(Ok(outcomes), Err)
    }

    /// The command storing `value` under `key` for `timeout`: a `delete` when the lifetime
    /// is zero (a new value that must not live replaces the old one by nothing), or nothing
    /// for an `add` with a zero lifetime.
    fn store(
        &self,
        verb: StoreVerb,
        key: &str,
        value: &Bytes,
        timeout: Timeout,
    ) -> Option<Command> {
        let key = self.keys.map(key);
        let ttl = timeout.resolve(self.default_timeout);
        if ttl.is_some_and(|d| d.is_zero()) {
            return match verb {
                StoreVerb::Set => Some(Command::Delete { key }),
                StoreVerb::Add => None,
            };
        }
        Some(Command::Store {
            verb,
            key,
            value: value.clone(),
            exptime: proto::exptime(ttl),
        })
    }

    /// The lifetime a keep-alive to `timeout` asks for (`Some(None)` = never expire), or
    /// `None` when there is nothing to do (a zero lifetime: any stored key has that much).
    fn keep_alive_lifetime(&self, timeout: Timeout) -> Option<Option<Duration>> {
        let ttl = timeout.resolve(self.default_timeout);
        (!ttl.is_some_and(|d| d.is_zero())).then_some(ttl)
    }
}

/// Logs a server failure and hands the error back: a warning when the server turns from
/// healthy to failing, then debug lines until it answers again, so a server that is down
/// does not flood the log with one warning per call.
fn failed(pool: &Pool, error: Error) -> Error {
    if pool.record_failure() {
        tracing::warn!(
            server = %pool.address(),
            %error,
            "memcached is failing (further failures are logged at debug level until it answers)"
        );
    } else {
        tracing::debug!(server = %pool.address(), %error, "memcached still failing");
    }
    error
}

impl fmt::Debug for MemcachedCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedCache")
            .field("name", &self.name)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("default_timeout", &self.default_timeout)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl CacheInstance for MemcachedCache {
    fn name(&self) -> &str {
        &self.name
    }

    fn default_timeout(&self) -> Option<Duration> {
        self.default_timeout
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let key = self.keys.map(key);
        let server = self.ring.server_for(&key);
        let mut found = self.fetch(server, vec![key.clone()]).await?;
        Ok(found.remove(&key).map(Bytes::from))
    }

    /// One `get` per server touched, servers concurrently. When some servers answer and
    /// others fail, the failing servers' keys read as misses (logged), as memcached clients
    /// usually do; when every server touched fails, the first error is returned.
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let mapped: Vec<String> = keys.iter().map(|k| self.keys.map(k)).collect();
        let mut groups: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for key in &mapped {
            groups
                .entry(self.ring.server_for(key))
                .or_default()
                .push(key.clone());
        }
        let exchanges = groups
            .into_iter()
            .map(|(server, keys)| self.fetch(server, keys));
        let mut found: HashMap<String, Bytes> = HashMap::new();
        let (mut answered, mut failure) = (false, None);
        for outcome in join_all(exchanges).await {
            match outcome {
                Ok(values) => {
                    answered = true;
                    found.extend(values.into_iter().map(|(k, v)| (k, Bytes::from(v))));
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) if !answered => return Err(e),
            // The server's failure was already logged, as a warning when it began to fail
            // (see `failed`): a warning here would repeat it on every call while it is down.
            Some(e) => tracing::debug!(
                cache = %self.name,
                error = %e,
                "get_many: a server failed; its keys read as misses"
            ),
            None => {}
        }
        Ok(mapped.iter().map(|key| found.get(key).cloned()).collect())
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        let commands: Vec<Command> = self
            .store(StoreVerb::Set, key, &value, timeout)
            .into_iter()
            .collect();
        self.run_checked(&commands).await.map(drop)
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        let commands: Vec<Command> = entries
            .iter()
            .filter_map(|(key, value)| self.store(StoreVerb::Set, key, value, timeout))
            .collect();
        self.run_checked(&commands).await.map(drop)
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        let Some(command) = self.store(StoreVerb::Add, key, &value, timeout) else {
            return Ok(false);
        };
        let outcomes = self.run_checked(&[command]).await?;
        Ok(outcomes.first().copied().unwrap_or(false))
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let command = Command::Delete {
            key: self.keys.map(key),
        };
        let outcomes = self.run_checked(&[command]).await?;
        Ok(outcomes.first().copied().unwrap_or(false))
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        let commands: Vec<Command> = keys
            .iter()
            .map(|key| Command::Delete {
                key: self.keys.map(key),
            })
            .collect();
        self.run_checked(&commands).await.map(drop)
    }

    /// One pipeline per server touched; an `add` that finds its key present is no error.
    /// Keep-alives read their keys' lifetimes (`mg <key> t`) in that same pipeline, then
    /// one more pipeline lengthens the ones that need it (`mg <key> T<exptime>`): two
    /// round trips when a lifetime grows, one otherwise.
    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        let mut commands = Vec::with_capacity(writes.len());
        // (position of its `mg <key> t`, the lifetime asked) of each keep-alive.
        let mut keep_alives = Vec::new();
        for write in writes {
            match write {
                Write {
                    key,
                    value,
                    timeout,
                    mode: WriteMode::Set,
                } => commands.extend(self.store(StoreVerb::Set, key, value, *timeout)),
                Write {
                    key,
                    value,
                    timeout,
                    mode: WriteMode::Add,
                } => commands.extend(self.store(StoreVerb::Add, key, value, *timeout)),
                Write {
                    key,
                    timeout,
                    mode: WriteMode::KeepAlive,
                    ..
                } => {
                    if let Some(ttl) = self.keep_alive_lifetime(*timeout) {
                        keep_alives.push((commands.len(), ttl));
                        commands.push(Command::Ttl {
                            key: self.keys.map(key),
                        });
                    }
                }
            }
        }
        let (replies, mut failure) = self.run(&commands).await;
        for (command, reply) in commands.iter().zip(&replies) {
            if let Some(Err(e)) = reply.as_ref().map(|r| self.outcome(command, r)) {
                failure.get_or_insert(e);
            }
        }
        // memcached's `touch` (and `mg T`) sets a lifetime unconditionally, so it is sent
        // only where the lifetime just read is shorter than the one asked: never shortened,
        // an absent key (`EN`) is not touched, and a key deleted since the read stays
        // absent (`mg T` creates nothing). Why a read then a write and not one atomic
        // step: memcached has no "lengthen only" command. So two keep-alives racing on one
        // key may both read the old lifetime and the shorter of their two longer lifetimes
        // may land last; the key still lives longer than before, and a version key that
        // expires early costs its entries a miss, never a wrong value.
        let touches: Vec<Command> = keep_alives
            .iter()
            .filter_map(|&(position, ttl)| match replies[position] {
                Some(Reply::Ttl(remaining)) => {
                    proto::lengthened_exptime(remaining, ttl).map(|exptime| Command::Touch {
                        key: commands[position].key().to_owned(),
                        exptime,
                    })
                }
                _ => None,
            })
            .collect();
        if !touches.is_empty() {
            if let Err(e) = self.run_checked(&touches).await {
                failure.get_or_insert(e);
            }
        }
        failure.map_or(Ok(()), Err)
    }

    /// Lengthens the lifetime of `key` if it is stored (see [`Self::write_batch`]).
    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.write_batch(&[Write::keep_alive(key.to_owned(), timeout)])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use tokio::net::TcpListener;

    #[test]
    fn builds_without_a_server_and_names_itself_without_secrets() {
        let config =
            MemcachedConfig::from_url("memcache://u:hunter2@127.0.0.1:1,127.0.0.1:2").unwrap();
        let cache = MemcachedCache::new(config).unwrap();
        assert_eq!(cache.name(), "memcache://127.0.0.1:1,127.0.0.1:2");
        assert!(!format!("{cache:?}").contains("hunter2"));
        assert!(MemcachedCache::new(MemcachedConfig::new(Vec::<String>::new())).is_err());
    }

    #[test]
    fn zero_lifetimes_delete_or_skip() {
        let cache = MemcachedCache::new(MemcachedConfig::default()).unwrap();
        let v = Bytes::from_static(b"v");
        let zero = Timeout::After(Duration::ZERO);
        assert_eq!(
            cache.store(StoreVerb::Set, "k", &v, zero),
            Some(Command::Delete { key: "k".into() })
        );
        assert_eq!(cache.store(StoreVerb::Add, "k", &v, zero), None);
        let Some(Command::Store { exptime, .. }) =
            cache.store(StoreVerb::Set, "k", &v, Timeout::Never)
        else {
            panic!("a set with a lifetime must store");
        };
        assert_eq!(exptime, 0);
        let cache = MemcachedCache::new(MemcachedConfig::default().default_timeout(Duration::ZERO))
            .unwrap();
        assert_eq!(cache.store(StoreVerb::Add, "k", &v, Timeout::Default), None);
    }

    #[test]
    fn a_value_over_the_item_size_is_unsupported_and_logged() {
        let cache = MemcachedCache::new(MemcachedConfig::default()).unwrap();
        let command = cache
            .store(
                StoreVerb::Set,
                "big",
                &Bytes::from(vec![0; 2 << 20]),
                Timeout::Never,
            )
            .unwrap();
        let (outcome, logs) = easy_cache_test_support::capture_logs(tracing::Level::INFO, || {
            cache.outcome(&command, &Reply::TooLarge)
        });
        let err = outcome.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert!(err.message().contains("2097152 bytes"), "{err}");
        let log = logs.text();
        assert!(
            log.contains("WARN") && log.contains("item size limit"),
            "{log}"
        );
        let err = cache
            .outcome(&command, &Reply::ServerError("out of memory".into()))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Backend);
        assert!(!cache.outcome(&command, &Reply::NotStored).unwrap());
    }

    #[tokio::test]
    async fn keep_alives_read_in_the_stores_pipeline_and_touch_only_to_lengthen() {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (socket, _) = listener.accept().await.unwrap();
            let mut socket = BufReader::new(socket);
            let mut exchanges = Vec::new();
            for (lines, reply) in [
                (
                    7,
                    &b"STORED\r\nHD t10\r\nHD t100\r\nEN\r\nHD t-1\r\nHD t10\r\n"[..],
                ),
                (2, b"HD\r\nHD\r\n"),
            ] {
                let mut request = String::new();
                for _ in 0..lines {
                    socket.read_line(&mut request).await.unwrap();
                }
                socket.get_mut().write_all(reply).await.unwrap();
                exchanges.push(request);
            }
            exchanges
        });
        let cache = MemcachedCache::new(MemcachedConfig::new([address])).unwrap();
        let keep = |key: &str, timeout| Write::keep_alive(key, timeout);
        let minute = Timeout::secs(60);
        let ops = [
            Write::set("a", "v", Timeout::Never),
            keep("short", minute),
            keep("long", minute),
            keep("absent", minute),
            keep("never", minute),
            keep("zero", Timeout::After(Duration::ZERO)),
            keep("short", Timeout::Never),
        ];
        // The second keep-alive of "short" reads its lifetime too; the batch pipelines
        // every read with the set, then touches only the keys that must live longer.
        let err = cache.write_batch(&ops).await;
        let exchanges = server.await.unwrap();
        err.unwrap();
        assert_eq!(
            exchanges,
            [
                "set a 0 0 1\r\nv\r\nmg short t\r\nmg long t\r\nmg absent t\r\n\
                 mg never t\r\nmg short t\r\n",
                "mg short T60\r\nmg short T0\r\n",
            ]
        );
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        // Accepts connections but never answers.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let cache =
            MemcachedCache::new(MemcachedConfig::new([address]).timeout(Duration::from_millis(50)))
                .unwrap();
        let started = Instant::now();
        let err = cache.get("k").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
        let err = cache
            .set("k", "v".into(), Timeout::Never)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
        drop(listener);
    }
}
