//! Opening connections lazily: nothing connects when a cache is built, the first call
//! connects, and a failed attempt is retried by the next call.

use crate::config::{RedisConfig, Topology, split_node};
use crate::tracking::VersionTracker;
use arc_swap::ArcSwapOption;
use easy_cache_core::{Error, ErrorKind, NearCache, Result};
use redis::{
    AsyncConnectionConfig, Client, Cmd, ConnectionAddr, ConnectionInfo, IntoConnectionInfo,
    Pipeline, ProtocolVersion, RedisFuture, RedisResult, Value,
    aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection},
    cluster::ClusterClient,
    cluster_async::ClusterConnection,
};
use std::{
    sync::{
        Arc, PoisonError,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::{
    runtime::{Handle, Id},
    sync::Mutex,
    time::timeout,
};

/// A live connection: a self-reconnecting multiplexed connection to one server, a
/// multiplexed connection that tracks versions (replaced by the [`Connector`] when it is
/// lost), or a cluster connection (which follows the slot map and reconnects to nodes
/// itself). All are cheap handles to shared state: cloning one does not open a socket.
#[derive(Clone)]
pub(crate) enum Conn {
    /// A standalone server (TCP, TLS or unix socket).
    Single(ConnectionManager),
    /// A standalone server whose version changes this process receives as pushes (see
    /// [`crate::tracking`]); `generation` names it to the tracker.
    Tracked {
        /// The connection; its pushes reach the tracker before the replies that follow them.
        conn: MultiplexedConnection,
        /// Its generation.
        generation: u64,
    },
    /// A Redis Cluster.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
            Conn::Tracked { conn, .. } => conn.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Tracked { conn, .. } => conn.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Tracked { conn, .. } => conn.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// What to connect to; building it checks the configuration but opens nothing.
// One per cache, never moved around: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Target {
    Single {
        /// RESP2, through a [`ConnectionManager`].
        plain: Client,
        /// The same server in RESP3 for a tracked connection, and the versions it keeps
        /// current (`client_tracking`).
        tracked: Option<(Client, Arc<VersionTracker>)>,
    },
    Cluster(ClusterClient),
}

/// The open connection, the runtime whose tasks drive it, and its serial number: a call that
/// failed on it names it by serial, so the failure can never replace a newer connection.
struct Opened {
    conn: Conn,
    runtime: Id,
    serial: u64,
}

/// After a transient failure to turn client tracking on, the first wait before trying again;
/// it doubles with each failure in a row up to [`TRACKING_RETRY_MAX`].
const TRACKING_RETRY_FIRST: Duration = Duration::from_millis(100);
/// The longest wait between two attempts to turn client tracking on.
const TRACKING_RETRY_MAX: Duration = Duration::from_secs(30);

/// When to ask for client tracking again after the server could not turn it on for now
/// (`-LOADING`, `-BUSY`, ...): meanwhile a plain connection serves, versions read with
/// each entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TrackingRetry {
    /// The earliest next attempt; `None` when the last attempt succeeded (or none failed).
    at: Option<Instant>,
    /// The wait after the next failure.
    wait: Duration,
}

impl TrackingRetry {
    const fn new() -> Self {
        TrackingRetry {
            at: None,
            wait: TRACKING_RETRY_FIRST,
        }
    }

    /// Whether tracking may be asked for at `now`.
    fn due(&self, now: Instant) -> bool {
        self.at.is_none_or(|at| now >= at)
    }

    /// Tracking failed for now at `now`: the wait before the next attempt.
    fn failed(&mut self, now: Instant) -> Duration {
        let wait = self.wait;
        self.at = Some(now + wait);
        self.wait = (wait * 2).min(TRACKING_RETRY_MAX);
        wait
    }
}

/// Opens the connection on first use and keeps it; a failed attempt leaves nothing behind,
/// so the next call tries again.
pub(crate) struct Connector {
    target: Target,
    tls: bool,
    name: String,
    connect_timeout: Duration,
    /// How long every connection waits for a reply ([`RedisConfig::response_timeout`]).
    reply_timeout: Duration,
    /// The open connection. Every call reads it, without a lock (a lock's counter is a
    /// cache line the workers of a runtime trade on every call); replaced only with
    /// `replacing` held.
    current: ArcSwapOption<Opened>,
    /// Held while `current` is replaced, so a check of the connection and its replacement
    /// are one step.
    replacing: std::sync::Mutex<()>,
    /// The serial number of the last connection opened.
    serial: AtomicU64,
    /// Held while opening, so concurrent first calls open one connection between them.
    opening: Mutex<()>,
    /// Set when the server refused RESP3 or `CLIENT TRACKING` for good (no `HELLO`, an ACL
    /// without `CLIENT`, an unknown command): plain connections from then on.
    tracking_refused: AtomicBool,
    /// When to ask for tracking again after a transient failure.
    tracking_retry: std::sync::Mutex<TrackingRetry>,
}

impl Connector {
    /// A connector for `config` (already validated); `name` is the password-free address;
    /// `near`, the near cache its tracked connections keep coherent.
    pub(crate) fn new(
        config: &RedisConfig,
        name: String,
        near: Option<Arc<NearCache>>,
    ) -> Result<Self> {
        let connect_timeout = Duration::from_millis(config.connect_timeout_ms);
        // An invalidation's `WAIT` holds its reply up to `wait_timeout_ms` longer.
        let reply_timeout = config.response_timeout();
        let bad = |e: redis::RedisError| {
            Error::new(ErrorKind::Config, format!("{name}: {e}")).with_source(e)
        };
        let target = match config.topology {
            Topology::Cluster => {
                let nodes: Vec<ConnectionInfo> = config
                    .nodes
                    .iter()
                    .map(|node| connection_info(config, tcp_addr(node, config.tls)?))
                    .collect::<Result<_>>()?;
                let builder = ClusterClient::builder(nodes)
                    .connection_timeout(connect_timeout)
                    .response_timeout(reply_timeout);
                #[cfg(feature = "tls")]
                let builder = match ca_certificates(config)? {
                    Some(certs) => builder.certs(certs),
                    None => builder,
                };
                Target::Cluster(builder.build().map_err(bad)?)
            }
            Topology::Standalone | Topology::Unix => {
                let addr = match config.topology {
                    Topology::Unix => {
                        ConnectionAddr::Unix(config.socket_path.clone().unwrap_or_default().into())
                    }
                    _ => tcp_addr(&config.nodes[0], config.tls)?,
                };
                let info = connection_info(config, addr)?;
                #[cfg(feature = "tls")]
                let certs = ca_certificates(config)?;
                let client = |info: ConnectionInfo| {
                    #[cfg(feature = "tls")]
                    if let Some(certs) = &certs {
                        return Client::build_with_tls(info, certs.clone()).map_err(bad);
                    }
                    Client::open(info).map_err(bad)
                };
                let tracked = match config.client_tracking {
                    true => {
                        let resp3 = info
                            .redis_settings()
                            .clone()
                            .set_protocol(ProtocolVersion::RESP3);
                        let client = client(info.clone().set_redis_settings(resp3))?;
                        let tracker = VersionTracker::new(&config.key_prefix, near);
                        Some((client, Arc::new(tracker)))
                    }
                    false => None,
                };
                Target::Single {
                    plain: client(info)?,
                    tracked,
                }
            }
        };
        Ok(Connector::with_target(target, config, name))
    }

    fn with_target(target: Target, config: &RedisConfig, name: String) -> Self {
        Connector {
            tracking_refused: AtomicBool::new(false),
            tracking_retry: std::sync::Mutex::new(TrackingRetry::new()),
            serial: AtomicU64::new(0),
            target,
            tls: config.tls,
            name,
            connect_timeout: Duration::from_millis(config.connect_timeout_ms),
            reply_timeout: config.response_timeout(),
            current: ArcSwapOption::empty(),
            replacing: std::sync::Mutex::new(()),
            opening: Mutex::new(()),
        }
    }

    /// The connection and its serial number (for [`Connector::timed_out`] and
    /// [`Connector::reset_after`]), opening it if there is none yet. Waiting for another
    /// caller's attempt counts against the same connect timeout, so a server that swallows
    /// SYNs cannot queue callers behind each other.
    pub(crate) async fn get(&self) -> Result<(Conn, u64)> {
        let runtime = Handle::current().id();
        if let Some(conn) = self.current_in(runtime) {
            return Ok(conn);
        }
        // Boxed: opening is rare and its future large. Inline, every operation's future
        // carries its space, and each hit copies that future into the box `async_trait`
        // makes (a visible part of a hit's time with 64 callers).
        Box::pin(self.open_in(runtime)).await
    }

    /// [`Connector::get`] when there is no connection for `runtime`: opens one, or waits for
    /// the caller opening it.
    async fn open_in(&self, runtime: Id) -> Result<(Conn, u64)> {
        let outcome = timeout(self.connect_timeout, async {
            let _opening = self.opening.lock().await;
            // Opened by the caller we waited for?
            if let Some(conn) = self.current_in(runtime) {
                return Ok::<_, redis::RedisError>(conn);
            }
            if self.current.load().is_some() {
                // The connection's driver task lives in the runtime that opened it, which
                // may be gone (one runtime per test, a cache in a global), or it is a plain
                // connection standing in until tracking is asked for again.
                tracing::debug!(cache = %self.name, "replacing the redis connection");
            }
            let conn = self.open().await?;
            let serial = self.serial.fetch_add(1, Ordering::Relaxed) + 1;
            tracing::debug!(cache = %self.name, serial, "connected to redis");
            self.replace_current(|_| {
                Some(Some(Opened {
                    conn: conn.clone(),
                    runtime,
                    serial,
                }))
            });
            Ok((conn, serial))
        })
        .await;
        match outcome {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(Error::backend(
                format!("cannot connect to {}: {e}", self.name),
                e,
            )),
            Err(_) => Err(Error::new(
                ErrorKind::Timeout,
                format!(
                    "no connection to {} within {} ms",
                    self.name,
                    self.connect_timeout.as_millis()
                ),
            )),
        }
    }

    /// Forgets the connection `serial` after `error` if the connection cannot recover from
    /// it by itself (the server refused our credentials, a protocol mix-up, a tracked
    /// connection was lost, or no answer came in time): the next call opens a new one. Other
    /// I/O errors are left to the connection manager's own reconnect.
    pub(crate) fn reset_after(&self, serial: u64, error: &redis::RedisError) {
        if error.is_timeout() {
            self.timed_out(serial);
            return;
        }
        self.replace_current(|current| {
            // Already replaced (or gone): the error was the old connection's.
            let opened = current.filter(|opened| opened.serial == serial)?;
            let lost = error.is_io_error() || error.is_unrecoverable_error();
            if lost && matches!(opened.conn, Conn::Tracked { .. }) {
                // A tracked connection does not reconnect by itself; the next call opens one.
                tracing::debug!(cache = %self.name, %error, "tracked redis connection lost");
                return Some(None);
            }
            let manager_cannot_recover = !error.is_io_error()
                && (error.kind() == redis::ErrorKind::AuthenticationFailed
                    || error.is_unrecoverable_error());
            if manager_cannot_recover {
                tracing::warn!(cache = %self.name, %error, "dropping the redis connection");
                return Some(None);
            }
            None
        });
    }

    /// The connection `serial` did not answer within the operation timeout: the next call
    /// opens a new one. A server that stopped answering without closing the socket (a
    /// black-holed route, a NAT entry gone) would otherwise hold every call on it until the
    /// kernel gives up on the socket, some 15 minutes; a server merely slow costs one
    /// reconnect. Calls still out on the old connection end at their own timeouts.
    ///
    /// A cluster connection is left as it is: redis-rs retries a request that timed out on
    /// the same node connection and replaces a node's connection only after an I/O error, and
    /// opening the whole cluster anew on each timeout would also drop the healthy nodes'
    /// connections (and fail every call while one node cannot be reached). On a cluster a
    /// black-holed node costs each call to its slots the operation timeout until the kernel
    /// reports its socket dead.
    pub(crate) fn timed_out(&self, serial: u64) {
        self.replace_current(|current| {
            let replace = current.is_some_and(|opened| {
                opened.serial == serial && !matches!(opened.conn, Conn::Cluster(_))
            });
            if !replace {
                return None;
            }
            tracing::debug!(
                cache = %self.name,
                "no answer within the operation timeout: opening a new redis connection"
            );
            Some(None)
        });
    }

    /// How long each connection waits for a reply by itself: an operation bounded by
    /// that needs no timer of its own.
    pub(crate) fn reply_timeout(&self) -> Duration {
        self.reply_timeout
    }

    /// The tracker of a tracked connection, if this cache has one.
    pub(crate) fn tracker(&self) -> Option<&VersionTracker> {
        match &self.target {
            Target::Single {
                tracked: Some((_, tracker)),
                ..
            } => Some(tracker),
            _ => None,
        }
    }

    /// The open connection and its serial, if it was opened in `runtime` and, when tracked,
    /// is still alive (a tracked connection does not reconnect by itself: a lost one is
    /// opened anew). A plain connection standing in for a tracked one while tracking could
    /// not be turned on is given up once it is time to ask again.
    fn current_in(&self, runtime: Id) -> Option<(Conn, u64)> {
        match self.current.load().as_deref() {
            Some(Opened {
                conn: Conn::Tracked { generation, .. },
                ..
            }) if !self.tracker().is_some_and(|t| t.is_live(*generation)) => None,
            Some(Opened {
                conn: Conn::Single(_),
                ..
            }) if self.tracker().is_some() && self.tracking_wanted() => None,
            Some(opened) if opened.runtime == runtime => Some((opened.conn.clone(), opened.serial)),
            _ => None,
        }
    }

    /// Shows `change` the open connection (if any) with other replacements shut out; the
    /// connection it returns (`Some(None)`: none) replaces it, `None` keeps it.
    fn replace_current(&self, change: impl FnOnce(Option<&Opened>) -> Option<Option<Opened>>) {
        // Replacing is one store: a panicking holder cannot leave it torn.
        let _replacing = self
            .replacing
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(next) = change(self.current.load().as_deref()) {
            self.current.store(next.map(Arc::new));
        }
    }

    fn tracking_retry(&self) -> std::sync::MutexGuard<'_, TrackingRetry> {
        // Two plain fields, each written in one step: a panicking holder cannot tear them.
        self.tracking_retry
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether a new connection should ask for client tracking: it was not refused for good,
    /// and no transient failure asks to wait.
    fn tracking_wanted(&self) -> bool {
        !self.tracking_refused.load(Ordering::Relaxed) && self.tracking_retry().due(Instant::now())
    }

    async fn open(&self) -> RedisResult<Conn> {
        if self.tls {
            install_crypto_provider();
        }
        match &self.target {
            Target::Single {
                plain: client,
                tracked,
            } => {
                if let Some((tracked, tracker)) = tracked
                    && self.tracking_wanted()
                {
                    match self.open_tracked(tracked, tracker).await {
                        Ok(conn) => {
                            *self.tracking_retry() = TrackingRetry::new();
                            return Ok(conn);
                        }
                        Err(e) if is_refusal(&e) => {
                            tracing::info!(cache = %self.name, error = %e, "no client tracking: reading versions with each entry");
                            self.tracking_refused.store(true, Ordering::Relaxed);
                        }
                        Err(e) if is_transient_refusal(&e) => {
                            // The server cannot turn tracking on right now (loading its data,
                            // running a script, ...): serve without it and ask again later.
                            let wait = self.tracking_retry().failed(Instant::now());
                            tracing::info!(
                                cache = %self.name,
                                error = %e,
                                retry_in_ms = wait.as_millis() as u64,
                                "no client tracking for now: reading versions with each entry"
                            );
                        }
                        // The server cannot be reached: a plain connection would fail the
                        // same way. This call fails; the next one tries again.
                        Err(e) => return Err(e),
                    }
                }
                // One attempt per call: a down server fails fast, and the manager tries
                // again on the next call instead of backing off for seconds.
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(0)
                    .set_connection_timeout(Some(self.connect_timeout))
                    .set_response_timeout(Some(self.reply_timeout));
                let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
                Ok(Conn::Single(manager))
            }
            Target::Cluster(client) => Ok(Conn::Cluster(client.get_async_connection().await?)),
        }
    }

    /// A RESP3 connection with `CLIENT TRACKING` on; the error of the handshake or of the
    /// tracking command otherwise (see [`is_refusal`] and [`is_transient_refusal`]).
    async fn open_tracked(
        &self,
        client: &Client,
        tracker: &Arc<VersionTracker>,
    ) -> RedisResult<Conn> {
        let handler = tracker.opening();
        let generation = handler.generation();
        // The bound of every command, as on the other kinds of connection: the backend
        // adds no timer of its own where this one is the operation's bound.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.reply_timeout))
            .set_push_sender(handler);
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        tracker.tracking_cmd().query_async::<()>(&mut conn).await?;
        tracker.tracking(generation);
        Ok(Conn::Tracked { conn, generation })
    }
}

/// An answer to `HELLO 3` or `CLIENT TRACKING` that says no for good: a server without
/// RESP3, a user whose ACL denies `CLIENT`, an unknown command or subcommand, a protocol
/// the server does not speak. Trying again would get the same answer.
fn is_refusal(e: &redis::RedisError) -> bool {
    use redis::{ErrorKind as Kind, ServerErrorKind as Server};
    match e.kind() {
        Kind::RESP3NotSupported | Kind::Server(Server::NoPerm) => true,
        Kind::Server(Server::ResponseError) => e.detail().is_some_and(|detail| {
            let detail = detail.to_ascii_lowercase();
            [
                "unknown command",
                "unknown subcommand",
                "syntax error",
                "wrong number of arguments",
            ]
            .iter()
            .any(|says| detail.contains(says))
        }),
        _ => e.code() == Some("NOPROTO"),
    }
}

/// Any other answer of the server to `HELLO 3` or `CLIENT TRACKING` (`-LOADING`, `-BUSY`,
/// `-MASTERDOWN`, `-TRYAGAIN`, an `-ERR` about limits): the server is there but cannot turn
/// tracking on now. Tracking is asked for again after a backoff; a refusal for good taken
/// for one of these costs one attempt every [`TRACKING_RETRY_MAX`].
fn is_transient_refusal(e: &redis::RedisError) -> bool {
    e.code().is_some() && !is_refusal(e)
}

/// `host:port` as a redis address, with TLS when asked.
fn tcp_addr(node: &str, tls: bool) -> Result<ConnectionAddr> {
    let (host, port) = split_node(node).ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            format!("redis:// node `{node}` is not host:port"),
        )
    })?;
    let host = host.to_owned();
    Ok(if tls {
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure: false,
            tls_params: None,
        }
    } else {
        ConnectionAddr::Tcp(host, port)
    })
}

/// `addr` with the database and credentials of `config`.
fn connection_info(config: &RedisConfig, addr: ConnectionAddr) -> Result<ConnectionInfo> {
    let info = addr.into_connection_info().map_err(|e| {
        Error::new(ErrorKind::Config, format!("redis:// address: {e}")).with_source(e)
    })?;
    let mut redis = info.redis_settings().clone().set_db(config.db);
    if let Some(user) = &config.username {
        redis = redis.set_username(user);
    }
    if let Some(password) = &config.password {
        redis = redis.set_password(password);
    }
    Ok(info.set_redis_settings(redis))
}

/// The certificate authorities of `tls_ca_file`, if the configuration names one.
#[cfg(feature = "tls")]
fn ca_certificates(config: &RedisConfig) -> Result<Option<redis::TlsCertificates>> {
    let Some(path) = config.tls_ca_file.as_deref() else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::Config,
            format!("redis:// `tls_ca_file`: cannot read {path}: {e}"),
        )
        .with_source(e)
    })?;
    install_crypto_provider();
    Ok(Some(redis::TlsCertificates {
        client_tls: None,
        root_cert: Some(pem),
    }))
}

/// rustls needs a process-wide crypto provider; install ring's unless the application
/// installed one already (then ours is not needed and the call changes nothing).
#[cfg(feature = "tls")]
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(not(feature = "tls"))]
fn install_crypto_provider() {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The error a server's reply line `reply` (`-CODE detail`) turns into.
    fn server_error(reply: &str) -> redis::RedisError {
        let value = redis::parse_redis_value(format!("{reply}\r\n").as_bytes()).unwrap();
        value.extract_error().unwrap_err()
    }

    #[test]
    fn only_a_refusal_for_good_turns_tracking_off() {
        for reply in [
            "-NOPERM this user has no permissions to run the 'client|tracking' command",
            "-ERR unknown command 'CLIENT', with args beginning with: 'TRACKING'",
            "-ERR Unknown subcommand or wrong number of arguments for 'TRACKING'",
            "-ERR syntax error",
            "-NOPROTO unsupported protocol version",
        ] {
            let e = server_error(reply);
            assert!(is_refusal(&e) && !is_transient_refusal(&e), "{reply}");
        }
        let no_resp3 = redis::RedisError::from((redis::ErrorKind::RESP3NotSupported, "no HELLO"));
        assert!(is_refusal(&no_resp3));
        for reply in [
            "-LOADING Redis is loading the dataset in memory",
            "-BUSY Redis is busy running a script",
            "-MASTERDOWN Link with MASTER is down",
            "-TRYAGAIN Multiple keys request during rehashing of slot",
            "-ERR max number of clients reached",
        ] {
            let e = server_error(reply);
            assert!(!is_refusal(&e) && is_transient_refusal(&e), "{reply}");
        }
        // Not an answer of the server: the call fails and the next one tries again.
        let io = redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
        assert!(!is_refusal(&io) && !is_transient_refusal(&io));
    }

    #[test]
    fn tracking_is_asked_for_again_after_a_doubling_capped_wait() {
        let mut retry = TrackingRetry::new();
        let now = Instant::now();
        assert!(retry.due(now));
        let mut waits = Vec::new();
        for _ in 0..12 {
            waits.push(retry.failed(now));
        }
        assert_eq!(waits[..4], [100, 200, 400, 800].map(Duration::from_millis));
        assert_eq!(waits[11], TRACKING_RETRY_MAX);
        assert!(!retry.due(now + TRACKING_RETRY_MAX - Duration::from_millis(1)));
        assert!(retry.due(now + TRACKING_RETRY_MAX));
        // Success starts over.
        assert_eq!(TrackingRetry::new().wait, TRACKING_RETRY_FIRST);
    }
}
