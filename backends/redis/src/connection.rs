//! Opening connections lazily: nothing connects when a cache is built, the first call
//! connects, and a failed attempt is retried by the next call.

use crate::config::{RedisConfig, Topology, split_node};
use crate::tracking::VersionTracker;
use easy_cache_core::{Error, ErrorKind, Result};
use redis::{
    AsyncConnectionConfig, Client, Cmd, ConnectionAddr, ConnectionInfo, IntoConnectionInfo,
    Pipeline, ProtocolVersion, RedisFuture, RedisResult, Value,
    aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection},
    cluster::ClusterClient,
    cluster_async::ClusterConnection,
};
use std::{
    sync::{
        Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
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

/// Opens the connection on first use and keeps it; a failed attempt leaves nothing behind,
/// so the next call tries again.
pub(crate) struct Connector {
    target: Target,
    tls: bool,
    name: String,
    connect_timeout: Duration,
    op_timeout: Duration,
    /// The open connection and the runtime whose tasks drive it. Every call reads it: the
    /// lock is held only to clone a handle, never across an await (an async mutex here made
    /// 64 concurrent callers queue up behind each other on every call).
    current: RwLock<Option<(Conn, Id)>>,
    /// Held while opening, so concurrent first calls open one connection between them.
    opening: Mutex<()>,
    /// Set when the server refused RESP3 or `CLIENT TRACKING`: plain connections from then on.
    tracking_refused: AtomicBool,
}

impl Connector {
    /// A connector for `config` (already validated); `name` is the password-free address.
    pub(crate) fn new(config: &RedisConfig, name: String) -> Result<Self> {
        let connect_timeout = Duration::from_millis(config.connect_timeout_ms);
        // An invalidation's `WAIT` holds its reply up to `wait_timeout_ms` longer.
        let op_timeout = config.response_timeout();
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
                    .response_timeout(op_timeout);
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
                        Some((client, Arc::new(VersionTracker::new(&config.key_prefix))))
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
            target,
            tls: config.tls,
            name,
            connect_timeout: Duration::from_millis(config.connect_timeout_ms),
            op_timeout: config.response_timeout(),
            current: RwLock::new(None),
            opening: Mutex::new(()),
        }
    }

    /// The connection, opening it if there is none yet. Waiting for another caller's
    /// attempt counts against the same connect timeout, so a server that swallows SYNs
    /// cannot queue callers behind each other.
    pub(crate) async fn get(&self) -> Result<Conn> {
        let runtime = Handle::current().id();
        if let Some(conn) = self.current_in(runtime) {
            return Ok(conn);
        }
        let outcome = timeout(self.connect_timeout, async {
            let _opening = self.opening.lock().await;
            // Opened by the caller we waited for?
            if let Some(conn) = self.current_in(runtime) {
                return Ok::<_, redis::RedisError>(conn);
            }
            if self.current().is_some() {
                // The connection's driver task lives in the runtime that opened it, which
                // may be gone (one runtime per test, a cache in a global): open a new one here.
                tracing::debug!(cache = %self.name, "reconnecting in a new runtime");
            }
            let conn = self.open().await?;
            tracing::debug!(cache = %self.name, "connected to redis");
            *self.current_mut() = Some((conn.clone(), runtime));
            Ok(conn)
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

    /// Forgets the connection after `error` if the connection cannot recover from it by
    /// itself (the server refused our credentials, a protocol mix-up, or a tracked
    /// connection was lost): the next call opens a new one. Other I/O errors are left to the
    /// connection manager's own reconnect.
    pub(crate) async fn reset_after(&self, error: &redis::RedisError) {
        let lost = error.is_io_error() || error.is_unrecoverable_error();
        if lost && matches!(self.current().as_ref(), Some((Conn::Tracked { .. }, _))) {
            // A tracked connection does not reconnect by itself; the next call opens one.
            tracing::debug!(cache = %self.name, %error, "tracked redis connection lost");
            *self.current_mut() = None;
            return;
        }
        let manager_cannot_recover = !error.is_io_error()
            && (error.kind() == redis::ErrorKind::AuthenticationFailed
                || error.is_unrecoverable_error());
        if manager_cannot_recover {
            tracing::warn!(cache = %self.name, %error, "dropping the redis connection");
            *self.current_mut() = None;
        }
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

    /// The open connection, if it was opened in `runtime` and, when tracked, is still alive
    /// (a tracked connection does not reconnect by itself: a lost one is opened anew).
    fn current_in(&self, runtime: Id) -> Option<Conn> {
        match self.current().as_ref() {
            Some((Conn::Tracked { generation, .. }, _))
                if !self.tracker().is_some_and(|t| t.is_live(*generation)) =>
            {
                None
            }
            Some((conn, opened_in)) if *opened_in == runtime => Some(conn.clone()),
            _ => None,
        }
    }

    fn current(&self) -> RwLockReadGuard<'_, Option<(Conn, Id)>> {
        // Replacing the value is one assignment: a panicking holder cannot leave it torn.
        self.current.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn current_mut(&self) -> RwLockWriteGuard<'_, Option<(Conn, Id)>> {
        self.current.write().unwrap_or_else(PoisonError::into_inner)
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
                if let Some((tracked, tracker)) = tracked {
                    if !self.tracking_refused.load(Ordering::Relaxed) {
                        if let Some(conn) = self.open_tracked(tracked, tracker).await? {
                            return Ok(conn);
                        }
                    }
                }
                // One attempt per call: a down server fails fast, and the manager tries
                // again on the next call instead of backing off for seconds.
                let config = ConnectionManagerConfig::new()
                    .set_number_of_retries(0)
                    .set_connection_timeout(Some(self.connect_timeout))
                    .set_response_timeout(Some(self.op_timeout));
                let manager = ConnectionManager::new_with_config(client.clone(), config).await?;
                Ok(Conn::Single(manager))
            }
            Target::Cluster(client) => Ok(Conn::Cluster(client.get_async_connection().await?)),
        }
    }

    /// A RESP3 connection with `CLIENT TRACKING` on, or `None` when the server refuses
    /// either (Redis before 6, an ACL without `CLIENT`): the caller then opens a plain one.
    async fn open_tracked(
        &self,
        client: &Client,
        tracker: &Arc<VersionTracker>,
    ) -> RedisResult<Option<Conn>> {
        let handler = tracker.opening();
        let generation = handler.generation();
        // Every operation is already bounded by the backend's own timeout: a second timer
        // per request inside redis-rs would only cost (hits are counted in nanoseconds).
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(None)
            .set_push_sender(handler);
        let refused = |e: redis::RedisError| {
            tracing::info!(cache = %self.name, error = %e, "no client tracking: reading versions with each entry");
            self.tracking_refused.store(true, Ordering::Relaxed);
            Ok(None)
        };
        let mut conn = match client
            .get_multiplexed_async_connection_with_config(&config)
            .await
        {
            Ok(conn) => conn,
            Err(e) if is_refusal(&e) => return refused(e),
            Err(e) => return Err(e),
        };
        match tracker.tracking_cmd().query_async::<()>(&mut conn).await {
            Ok(()) => {
                tracker.tracking(generation);
                Ok(Some(Conn::Tracked { conn, generation }))
            }
            Err(e) if is_refusal(&e) => refused(e),
            Err(e) => Err(e),
        }
    }
}

/// An answer that says no (an unknown command, a protocol or permission error), not a
/// failure to reach the server: trying again would get the same answer.
fn is_refusal(e: &redis::RedisError) -> bool {
    !e.is_io_error()
        && !e.is_timeout()
        && !e.is_connection_dropped()
        && !e.is_connection_refusal()
        && e.kind() != redis::ErrorKind::AuthenticationFailed
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
