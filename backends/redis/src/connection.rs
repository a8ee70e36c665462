//! Opening connections lazily: nothing connects when a cache is built, the first call
//! connects, and a failed attempt is retried by the next call.

use crate::config::{RedisConfig, Topology, split_node};
use easy_cache_core::{Error, ErrorKind, Result};
use redis::{
    Client, Cmd, ConnectionAddr, ConnectionInfo, IntoConnectionInfo, Pipeline, RedisFuture,
    RedisResult, Value,
    aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig},
    cluster::ClusterClient,
    cluster_async::ClusterConnection,
};
use std::{
    sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
    time::Duration,
};
use tokio::{
    runtime::{Handle, Id},
    sync::Mutex,
    time::timeout,
};

/// A live connection: a self-reconnecting multiplexed connection to one server, or a
/// cluster connection (which follows the slot map and reconnects to nodes itself). Both are
/// cheap handles to shared state: cloning one does not open a socket.
#[derive(Clone)]
pub(crate) enum Conn {
    /// A standalone server (TCP, TLS or unix socket).
    Single(ConnectionManager),
    /// A Redis Cluster.
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(c) => c.req_packed_command(cmd),
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
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// What to connect to; building it checks the configuration but opens nothing.
// One per cache, never moved around: the variants' sizes do not matter.
#[allow(clippy::large_enum_variant)]
enum Target {
    Single(Client),
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
}

impl Connector {
    /// A connector for `config` (already validated); `name` is the password-free address.
    pub(crate) fn new(config: &RedisConfig, name: String) -> Result<Self> {
        let connect_timeout = Duration::from_millis(config.connect_timeout_ms);
        let op_timeout = Duration::from_millis(config.timeout_ms);
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
            Topology::Standalone => {
                let info = connection_info(config, tcp_addr(&config.nodes[0], config.tls)?)?;
                #[cfg(feature = "tls")]
                if let Some(certs) = ca_certificates(config)? {
                    let client = Client::build_with_tls(info, certs).map_err(bad)?;
                    return Ok(Connector::with_target(Target::Single(client), config, name));
                }
                Target::Single(Client::open(info).map_err(bad)?)
            }
            Topology::Unix => {
                let path = config.socket_path.clone().unwrap_or_default();
                let addr = ConnectionAddr::Unix(path.into());
                Target::Single(Client::open(connection_info(config, addr)?).map_err(bad)?)
            }
        };
        Ok(Connector::with_target(target, config, name))
    }

    fn with_target(target: Target, config: &RedisConfig, name: String) -> Self {
        Connector {
            target,
            tls: config.tls,
            name,
            connect_timeout: Duration::from_millis(config.connect_timeout_ms),
            op_timeout: Duration::from_millis(config.timeout_ms),
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
    /// itself (the server refused our credentials, a protocol mix-up): the next call opens
    /// a new one. I/O errors are left to the connection's own reconnect.
    pub(crate) async fn reset_after(&self, error: &redis::RedisError) {
        let manager_cannot_recover = !error.is_io_error()
            && (error.kind() == redis::ErrorKind::AuthenticationFailed
                || error.is_unrecoverable_error());
        if manager_cannot_recover {
            tracing::warn!(cache = %self.name, %error, "dropping the redis connection");
            *self.current_mut() = None;
        }
    }

    /// The open connection, if it was opened in `runtime`.
    fn current_in(&self, runtime: Id) -> Option<Conn> {
        match self.current().as_ref() {
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
            Target::Single(client) => {
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
