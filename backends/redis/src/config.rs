//! Configuration of the Redis backend, parsed from `redis://`, `rediss://`, `redis+unix://`
//! and `redis+cluster://` URLs.

use easy_cache_core::{BackendUrl, Error, ErrorKind, Result, shown_in_error};
use serde::{Deserialize, Serialize};
use std::{fmt, time::Duration};

/// The port a node listens on when its URL names none.
///
/// ```
/// use easy_cache_redis::{DEFAULT_PORT, RedisConfig};
/// let config = RedisConfig::from_url("redis://cache.internal").unwrap();
/// assert_eq!(config.nodes, [format!("cache.internal:{DEFAULT_PORT}")]);
/// ```
pub const DEFAULT_PORT: u16 = 6379;
/// Default bound of one operation (command or pipeline round trip), in milliseconds.
///
/// ```
/// use easy_cache_redis::{DEFAULT_TIMEOUT_MS, RedisConfig};
/// assert_eq!(RedisConfig::new("h:6379").timeout_ms, DEFAULT_TIMEOUT_MS);
/// let config = RedisConfig::from_url("redis://h?timeout_ms=50").unwrap();
/// assert_eq!(config.timeout_ms, 50);
/// ```
pub const DEFAULT_TIMEOUT_MS: u64 = 250;
/// Default bound of opening a connection, in milliseconds.
///
/// ```
/// use easy_cache_redis::{DEFAULT_CONNECT_TIMEOUT_MS, RedisConfig};
/// let config = RedisConfig::from_url("redis://h:6379").unwrap();
/// assert_eq!(config.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
/// ```
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 250;
/// Default bound of waiting for replicas to acknowledge an invalidation (`WAIT`), in
/// milliseconds; used only when `wait_replicas` is set.
///
/// ```
/// use easy_cache_redis::{DEFAULT_WAIT_TIMEOUT_MS, RedisConfig};
/// let config = RedisConfig::from_url("redis://h?wait_replicas=1").unwrap();
/// assert_eq!((config.wait_replicas, config.wait_timeout_ms), (1, DEFAULT_WAIT_TIMEOUT_MS));
/// ```
pub const DEFAULT_WAIT_TIMEOUT_MS: u64 = 100;

/// The options a redis URL takes.
const OPTIONS: [&str; 13] = [
    "timeout_ms",
    "connect_timeout_ms",
    "default_timeout",
    "key_prefix",
    "db",
    "username",
    "password",
    "tls_ca_file",
    "client_tracking",
    "wait_replicas",
    "wait_timeout_ms",
    "near_capacity",
    "near_ttl",
];

/// How long a near-cache entry read from Redis is kept when `near_ttl` is not given, in
/// seconds. A read does not tell how long the entry has left on the server, and Redis
/// reports an expiry only once its expiry cycle deletes the key (soon on a small keyspace,
/// later on a large one): this bounds how long past its expiry an entry may be served here.
///
/// ```
/// use easy_cache_redis::{DEFAULT_NEAR_TTL_SECS, RedisConfig};
/// use std::time::Duration;
/// let config = RedisConfig::from_url("redis://h?near_capacity=1000").unwrap();
/// let near = config.near_config().expect("asked for");
/// assert_eq!(near.capacity(), 1000);
/// assert_eq!(config.near_ttl, None);
/// assert_eq!(DEFAULT_NEAR_TTL_SECS, 5);
/// ```
pub const DEFAULT_NEAR_TTL_SECS: u64 = 5;

/// How the Redis deployment is reached.
///
/// ```
/// use easy_cache_redis::{RedisConfig, Topology};
/// let topology = |url| RedisConfig::from_url(url).unwrap().topology;
/// assert_eq!(topology("redis://h:6379"), Topology::Standalone);
/// assert_eq!(topology("redis+unix:///run/redis.sock"), Topology::Unix);
/// assert_eq!(topology("redis+cluster://h1:7000,h2:7000"), Topology::Cluster);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Topology {
    /// One server over TCP (`redis://`, or `rediss://` with TLS).
    #[default]
    Standalone,
    /// One server over a unix socket (`redis+unix:///path/to/redis.sock`).
    Unix,
    /// A Redis Cluster (`redis+cluster://h1:p1,h2:p2`, `rediss+cluster://` with TLS).
    Cluster,
}

/// Where Redis is and how to talk to it.
///
/// Parsed from one of:
/// - `redis://[user:password@]host[:port][/db][?options]` (`rediss://` for TLS),
/// - `redis+unix:///path/to/redis.sock[?options]` (database as the `db` option),
/// - `redis+cluster://[user:password@]host:port,host:port[?options]` (`rediss+cluster://`
///   for TLS); the nodes are seeds, the rest of the cluster is discovered.
///
/// Options: `timeout_ms`, `connect_timeout_ms`, `default_timeout` (seconds), `key_prefix`,
/// `client_tracking`, `wait_replicas` and `wait_timeout_ms` (invalidations acknowledged by
/// replicas), `near_capacity` and `near_ttl` (seconds: a near cache, see
/// [`near_capacity`](RedisConfig::near_capacity)), and `db`, `username`, `password` for configurations that keep them out of
/// the userinfo.
/// The password is never printed by `Debug`.
///
/// ```
/// use easy_cache_redis::{RedisConfig, Topology};
/// use std::time::Duration;
/// let config = RedisConfig::from_url("redis://:secret@10.0.0.1/2?key_prefix=shop:").unwrap();
/// assert_eq!(config.nodes, ["10.0.0.1:6379"]);
/// assert_eq!(config.db, 2);
/// assert_eq!(config.key_prefix, "shop:");
/// assert!(!format!("{config:?}").contains("secret"));
///
/// let cluster = RedisConfig::cluster(["10.0.0.1:7000", "10.0.0.2:7000"])
///     .timeout(Duration::from_millis(100))
///     .default_timeout(Duration::from_secs(60));
/// assert_eq!(cluster.topology, Topology::Cluster);
/// assert_eq!(cluster.timeout_ms, 100);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// Standalone over TCP, over a unix socket, or a cluster.
    pub topology: Topology,
    /// `host:port` of the server (standalone: exactly one) or of the cluster's seed nodes;
    /// IPv6 hosts in brackets. Empty for a unix socket.
    pub nodes: Vec<String>,
    /// The socket path of [`Topology::Unix`].
    pub socket_path: Option<String>,
    /// Connect with TLS (rustls; the server's certificate is verified against Mozilla's root
    /// certificates, or against `tls_ca_file`).
    pub tls: bool,
    /// A PEM file of the certificate authorities to trust instead of Mozilla's roots (a
    /// private CA); read when the cache is built.
    pub tls_ca_file: Option<String>,
    /// The database number (standalone and unix only; a cluster has only database 0).
    pub db: i64,
    /// The ACL user, if any.
    pub username: Option<String>,
    /// The password (`AUTH`), if any.
    pub password: Option<String>,
    /// Bound of one operation (a command or a pipeline), in milliseconds.
    pub timeout_ms: u64,
    /// Bound of opening a connection, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Lifetime of values stored with `Timeout::Default`; `None` keeps them until evicted.
    #[serde(with = "easy_cache_core::optional_seconds")]
    pub default_timeout: Option<Duration>,
    /// Prepended to every key (like Django's `KEY_PREFIX`).
    pub key_prefix: String,
    /// Keep the tag and prefix versions this process has read in memory, kept current by
    /// the server's invalidation pushes (RESP3 `CLIENT TRACKING ... BCAST`), so a tagged
    /// hit reads only its entry. Standalone and unix servers of Redis 6 or later; a server
    /// that refuses it, and a cluster, read the versions with the entry instead. On by
    /// default.
    pub client_tracking: bool,
    /// After each invalidation (`delete`, `delete_many`, so also the version keys deleted by
    /// tag and prefix invalidations), wait until this many replicas have acknowledged it
    /// (`WAIT`), and fail the invalidation with [`ErrorKind::Backend`] when fewer did
    /// within `wait_timeout_ms`: the caller then knows it may not survive a failover.
    /// 0 (the default) waits for nothing.
    pub wait_replicas: u32,
    /// Bound of that wait, in milliseconds (added to `timeout_ms` for invalidations).
    pub wait_timeout_ms: u64,
    /// A near cache of decoded values in this process, at most this many entries per
    /// decorated function; 0 (the default): none. Kept coherent with every process by the
    /// server's invalidation pushes (RESP3 client tracking of the keys read on the cache's
    /// connection): needs `client_tracking`, and a standalone or unix server (a cluster is
    /// refused).
    pub near_capacity: u64,
    /// How long a near-cache entry read from the server is kept at most; `None`:
    /// [`DEFAULT_NEAR_TTL_SECS`].
    #[serde(with = "easy_cache_core::optional_seconds")]
    pub near_ttl: Option<Duration>,
}

impl Default for RedisConfig {
    fn default() -> Self {
        RedisConfig::new(format!("127.0.0.1:{DEFAULT_PORT}"))
    }
}

impl RedisConfig {
    /// A standalone server at `address` (`host:port`) with every other option at its default.
    ///
    /// ```
    /// use easy_cache_redis::{RedisConfig, Topology};
    /// let config = RedisConfig::new("10.0.0.1:6379");
    /// assert_eq!(config.topology, Topology::Standalone);
    /// assert_eq!(config.nodes, ["10.0.0.1:6379"]);
    /// assert_eq!(config, RedisConfig::from_url("redis://10.0.0.1:6379").unwrap());
    /// ```
    pub fn new(address: impl Into<String>) -> Self {
        RedisConfig {
            topology: Topology::Standalone,
            nodes: vec![address.into()],
            socket_path: None,
            tls: false,
            tls_ca_file: None,
            db: 0,
            username: None,
            password: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            default_timeout: None,
            key_prefix: String::new(),
            client_tracking: true,
            wait_replicas: 0,
            wait_timeout_ms: DEFAULT_WAIT_TIMEOUT_MS,
            near_capacity: 0,
            near_ttl: None,
        }
    }

    /// A server listening on the unix socket `path`.
    ///
    /// ```
    /// use easy_cache_redis::{RedisConfig, Topology};
    /// let config = RedisConfig::unix("/run/redis.sock").db(1);
    /// assert_eq!(config.topology, Topology::Unix);
    /// assert_eq!(config.socket_path.as_deref(), Some("/run/redis.sock"));
    /// assert_eq!(config, RedisConfig::from_url("redis+unix:///run/redis.sock?db=1").unwrap());
    /// // The socket path must be absolute.
    /// assert!(RedisConfig::unix("redis.sock").validate().is_err());
    /// ```
    pub fn unix(path: impl Into<String>) -> Self {
        RedisConfig {
            topology: Topology::Unix,
            nodes: Vec::new(),
            socket_path: Some(path.into()),
            ..RedisConfig::default()
        }
    }

    /// A Redis Cluster reached through the seed `nodes` (`host:port`).
    ///
    /// ```
    /// use easy_cache_redis::{RedisConfig, Topology};
    /// let config = RedisConfig::cluster(["10.0.0.1:7000", "10.0.0.2:7000"]);
    /// assert_eq!(config.topology, Topology::Cluster);
    /// assert_eq!(config.nodes.len(), 2);
    /// // A cluster has only database 0.
    /// assert!(config.clone().db(1).validate().is_err());
    /// config.validate().unwrap();
    /// ```
    pub fn cluster<S: Into<String>>(nodes: impl IntoIterator<Item = S>) -> Self {
        RedisConfig {
            topology: Topology::Cluster,
            nodes: nodes.into_iter().map(Into::into).collect(),
            ..RedisConfig::default()
        }
    }

    /// Parses a URL of one of the schemes above and validates it.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_redis::{RedisConfig, Topology};
    /// let url = "redis://app:s3cret@10.0.0.1:6380/3?timeout_ms=100";
    /// let config = RedisConfig::from_url(url).unwrap();
    /// assert_eq!(config.nodes, ["10.0.0.1:6380"]);
    /// assert_eq!(config.username.as_deref(), Some("app"));
    /// assert_eq!(config.password.as_deref(), Some("s3cret"));
    /// assert_eq!(config.db, 3);
    /// assert_eq!(config.timeout_ms, 100);
    /// let cluster = RedisConfig::from_url("redis+cluster://h1:7000,h2:7000").unwrap();
    /// assert_eq!(cluster.topology, Topology::Cluster);
    ///
    /// // Errors name the problem and never show the password.
    /// let err = RedisConfig::from_url("redis://:s3cret@h?colour=red").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("colour"));
    /// let err = RedisConfig::from_url("memcache://:s3cret@h").unwrap_err();
    /// assert!(!err.to_string().contains("s3cret"));
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_backend_url(&BackendUrl::parse_as(url, &crate::SCHEMES)?)
    }

    /// Reads a parsed URL of one of the schemes above, with any options merged into it,
    /// and validates it.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// use easy_cache_redis::RedisConfig;
    /// let mut url = BackendUrl::parse("redis+cluster://h1:7000,h2:7000")?;
    /// url.options.insert("password", "p%41&x=1");
    /// let config = RedisConfig::from_backend_url(&url)?;
    /// assert_eq!(config.nodes, ["h1:7000", "h2:7000"]);
    /// assert_eq!(config.password.as_deref(), Some("p%41&x=1"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn from_backend_url(url: &BackendUrl) -> Result<Self> {
        url.expect_scheme(&crate::SCHEMES)?;
        let bad = |message: String| Error::new(ErrorKind::Config, message);
        // Every piece of the URL an error quotes goes through `show`: a password with an
        // unescaped `/ ? # @` lands where a host, a path or an option belongs.
        let show = |piece: &str| url.show(piece);
        let scheme = url.scheme.as_str();
        let mut config = match scheme {
            "redis" | "rediss" => RedisConfig::new(String::new()),
            "redis+unix" => RedisConfig::unix(String::new()),
            _ => RedisConfig::cluster(Vec::<String>::new()),
        };
        config.tls = scheme.starts_with("rediss");
        if let Some(userinfo) = &url.userinfo {
            config.username = Some(userinfo.user.clone()).filter(|u| !u.is_empty());
            config.password = userinfo.password.clone().filter(|p| !p.is_empty());
        }
        // The path after its first `/`: a database number, or nothing.
        let after_slash = url.path.strip_prefix('/').unwrap_or(&url.path);
        match config.topology {
            Topology::Standalone => {
                config.nodes = vec![parse_node(&url.hosts.join(","), scheme, &show)?];
                let db = after_slash.trim_end_matches('/');
                if !db.is_empty() {
                    config.db = parse_db(db, &show)?;
                }
            }
            Topology::Cluster => {
                config.nodes = if url.hosts.is_empty() {
                    vec![parse_node("", scheme, &show)?]
                } else {
                    url.hosts
                        .iter()
                        .map(|h| parse_node(h, scheme, &show))
                        .collect::<Result<_>>()?
                };
                if !after_slash.trim_end_matches('/').is_empty() {
                    return Err(bad(format!(
                        "{scheme}:// URLs take no path (`{}`): a cluster has only \
                         database 0; list nodes as host:port,host:port",
                        url.redacted()
                    )));
                }
            }
            Topology::Unix => {
                if !url.hosts.is_empty() || !url.path.starts_with('/') {
                    return Err(bad(format!(
                        "redis+unix:// needs an absolute socket path, as in \
                         redis+unix:///run/redis.sock (got `{}`)",
                        url.redacted()
                    )));
                }
                config.socket_path = Some(url.path.clone());
            }
        }
        let mut options = url.options.clone();
        config.timeout_ms = options.millis("timeout_ms")?.unwrap_or(config.timeout_ms);
        let connect = options.millis("connect_timeout_ms")?;
        config.connect_timeout_ms = connect.unwrap_or(config.connect_timeout_ms);
        config.default_timeout = options.seconds("default_timeout")?;
        config.key_prefix = options.string("key_prefix")?.unwrap_or_default();
        if let Some(db) = options.string("db")? {
            config.db = parse_db(&db, &show)?;
        }
        // For configurations that keep secrets out of the URL (`options` tables).
        if let Some(username) = options.string("username")? {
            config.username = Some(username);
        }
        if let Some(password) = options.string("password")? {
            config.password = Some(password);
        }
        config.tls_ca_file = options.string("tls_ca_file")?;
        let tracking = options.bool("client_tracking")?;
        config.client_tracking = tracking.unwrap_or(config.client_tracking);
        config.wait_replicas = options.u32("wait_replicas")?.unwrap_or_default();
        let wait = options.millis("wait_timeout_ms")?;
        config.wait_timeout_ms = wait.unwrap_or(config.wait_timeout_ms);
        config.near_capacity = options.u64("near_capacity")?.unwrap_or_default();
        config.near_ttl = options.seconds("near_ttl")?;
        options.finish(&OPTIONS)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every field; errors are [`ErrorKind::Config`] naming the field.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_redis::RedisConfig;
    /// RedisConfig::new("h:6379").validate().unwrap();
    /// let err = RedisConfig::new("h:6379").db(-1).validate().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("db"));
    /// // A user without a password cannot authenticate.
    /// let mut config = RedisConfig::new("h:6379");
    /// config.username = Some("app".into());
    /// assert!(config.validate().unwrap_err().message().contains("password"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| Err(Error::new(ErrorKind::Config, message));
        match self.topology {
            Topology::Standalone if self.nodes.len() != 1 => {
                return bad(format!(
                    "redis:// `nodes` must name exactly one server, got {} (use \
                     redis+cluster:// for several)",
                    self.nodes.len()
                ));
            }
            Topology::Cluster if self.nodes.is_empty() => {
                return bad("redis+cluster:// `nodes` must name at least one node".into());
            }
            Topology::Unix if !self.nodes.is_empty() => {
                return bad("redis+unix:// takes a `socket_path`, not `nodes`".into());
            }
            Topology::Unix
                if !self
                    .socket_path
                    .as_deref()
                    .is_some_and(|p| p.starts_with('/')) =>
            {
                return bad("redis+unix:// `socket_path` must be an absolute path".into());
            }
            Topology::Unix if self.tls => {
                return bad("redis+unix:// `tls` is not supported over a unix socket".into());
            }
            Topology::Cluster if self.db != 0 => {
                return bad("redis+cluster:// `db` must be 0: a cluster has one database".into());
            }
            _ => {}
        }
        for (i, node) in self.nodes.iter().enumerate() {
            parse_node(node, "redis", &shown_in_error)?;
            if self.nodes[..i].contains(node) {
                let shown_node = shown_in_error(node);
                return bad(format!("redis:// node {shown_node} is listed twice"));
            }
        }
        if self.db < 0 {
            return bad("redis:// `db` must be a database number, 0 or more".into());
        }
        if self.timeout_ms == 0 {
            return bad("redis:// option `timeout_ms` must be above zero".into());
        }
        if self.connect_timeout_ms == 0 {
            return bad("redis:// option `connect_timeout_ms` must be above zero".into());
        }
        if self.wait_replicas > 0 && self.wait_timeout_ms == 0 {
            // `WAIT n 0` blocks until n replicas answer, however long that takes.
            return bad("redis:// option `wait_timeout_ms` must be above zero".into());
        }
        if self.near_capacity > 0 && self.topology == Topology::Cluster {
            return bad(
                "redis+cluster:// `near_capacity`: no near cache on a cluster (each node \
                 reports only its own keys' changes, on its own connection, which this \
                 backend does not follow): it could serve values changed elsewhere"
                    .into(),
            );
        }
        if self.near_capacity > 0 && !self.client_tracking {
            return bad(
                "redis:// `near_capacity` needs `client_tracking`: without the server's \
                 invalidation pushes the near cache would serve values changed by other \
                 processes"
                    .into(),
            );
        }
        if self.password.is_none() && self.username.is_some() {
            return bad("redis:// `username` needs a `password` too".into());
        }
        if self.tls_ca_file.is_some() && !self.tls {
            return bad("redis:// `tls_ca_file` needs TLS (rediss:// or rediss+cluster://)".into());
        }
        if cfg!(not(feature = "tls")) && self.tls {
            return bad(
                "redis:// `tls` (rediss://) needs easy-cache-redis built with its `tls` feature"
                    .into(),
            );
        }
        Ok(())
    }

    /// Sets the credentials (`AUTH user password`).
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Sets the password only (`AUTH password`, the `default` user).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Connects with TLS.
    pub fn tls(mut self, tls: bool) -> Self {
        self.tls = tls;
        self
    }

    /// Trusts the certificate authorities of the PEM file at `path` instead of Mozilla's roots (and turns TLS on).
    pub fn tls_ca_file(mut self, path: impl Into<String>) -> Self {
        self.tls = true;
        self.tls_ca_file = Some(path.into());
        self
    }

    /// Selects database `db` (standalone and unix only).
    pub fn db(mut self, db: i64) -> Self {
        self.db = db;
        self
    }

    easy_cache_core::network_setters!();

    /// Whether to track tag and prefix versions in memory (see [`client_tracking`](RedisConfig::client_tracking); on by default).
    pub fn client_tracking(mut self, on: bool) -> Self {
        self.client_tracking = on;
        self
    }

    /// Makes every invalidation wait until `replicas` replicas have acknowledged it, for at most `timeout` (see [`wait_replicas`](RedisConfig::wait_replicas)).
    pub fn wait_replicas(mut self, replicas: u32, timeout: Duration) -> Self {
        self.wait_replicas = replicas;
        self.wait_timeout_ms = easy_cache_core::whole_millis(timeout);
        self
    }

    /// Puts a near cache of at most `capacity` entries per function in front of the server
    /// (0: none), entries read from the server kept at most `near_ttl` (`None`:
    /// [`DEFAULT_NEAR_TTL_SECS`]); see [`near_capacity`](RedisConfig::near_capacity).
    ///
    /// ```
    /// use easy_cache_redis::RedisConfig;
    /// use std::time::Duration;
    /// let config = RedisConfig::new("h:6379").near_cache(10_000, Some(Duration::from_secs(2)));
    /// assert_eq!(config, RedisConfig::from_url("redis://h?near_capacity=10000&near_ttl=2").unwrap());
    /// assert!(RedisConfig::cluster(["a:1"]).near_cache(10, None).validate().is_err());
    /// ```
    pub fn near_cache(mut self, capacity: u64, near_ttl: Option<Duration>) -> Self {
        self.near_capacity = capacity;
        self.near_ttl = near_ttl;
        self
    }

    /// The near cache this configuration asks for, if any: `near_capacity` entries per
    /// function, `near_ttl` (or its default) for entries read from the server, values just
    /// written not kept (the server's tracking of a key ends with this process's own write
    /// of it, so a kept written value would hear of no later change).
    pub fn near_config(&self) -> Option<easy_cache_core::NearConfig> {
        let ttl = self
            .near_ttl
            .unwrap_or(Duration::from_secs(DEFAULT_NEAR_TTL_SECS));
        (self.near_capacity > 0).then(|| {
            easy_cache_core::NearConfig::new(self.near_capacity)
                .near_ttl(Some(ttl))
                .default_timeout(self.default_timeout)
                .keep_writes(false)
        })
    }

    /// The longest a reply may take: `timeout_ms`, plus `wait_timeout_ms` when
    /// invalidations wait for replicas (their `WAIT` holds the reply that long).
    pub(crate) fn response_timeout(&self) -> Duration {
        let wait = if self.wait_replicas > 0 {
            self.wait_timeout_ms
        } else {
            0
        };
        Duration::from_millis(self.timeout_ms.saturating_add(wait))
    }

    /// The URL of this configuration without credentials or options, e.g.
    /// `redis://10.0.0.1:6379/2`: the instance's name in logs.
    ///
    /// ```
    /// use easy_cache_redis::RedisConfig;
    /// let display = |url| RedisConfig::from_url(url).unwrap().display_url();
    /// assert_eq!(display("redis://app:s3cret@h/2?timeout_ms=9"), "redis://h:6379/2");
    /// assert_eq!(display("redis+unix:///run/redis.sock"), "redis+unix:///run/redis.sock?db=0");
    /// assert_eq!(display("redis+cluster://h1:7000,h2:7000"), "redis+cluster://h1:7000,h2:7000");
    /// ```
    pub fn display_url(&self) -> String {
        let s = if self.tls { "s" } else { "" };
        match self.topology {
            Topology::Standalone => format!("redis{s}://{}/{}", self.nodes.join(","), self.db),
            Topology::Unix => format!(
                "redis+unix://{}?db={}",
                self.socket_path.as_deref().unwrap_or_default(),
                self.db
            ),
            Topology::Cluster => format!("redis{s}+cluster://{}", self.nodes.join(",")),
        }
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("topology", &self.topology)
            .field("nodes", &self.nodes)
            .field("socket_path", &self.socket_path)
            .field("tls", &self.tls)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("db", &self.db)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout_ms", &self.timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("default_timeout", &self.default_timeout)
            .field("key_prefix", &self.key_prefix)
            .field("client_tracking", &self.client_tracking)
            .field("wait_replicas", &self.wait_replicas)
            .field("wait_timeout_ms", &self.wait_timeout_ms)
            .field("near_capacity", &self.near_capacity)
            .field("near_ttl", &self.near_ttl)
            .finish()
    }
}

/// A database number from a URL path or the `db` option; `show` quotes `text` in the error.
fn parse_db(text: &str, show: &dyn Fn(&str) -> String) -> Result<i64> {
    text.parse::<i64>()
        .ok()
        .filter(|db| *db >= 0)
        .ok_or_else(|| {
            let shown_text = show(text);
            Error::new(
                ErrorKind::Config,
                format!("redis:// `db` must be a database number, got {shown_text}"),
            )
        })
}

/// `host:port` (port defaulted) from one node of a URL; `[v6]:port` for IPv6. `show`
/// quotes `node` in the error.
pub(crate) fn parse_node(
    node: &str,
    scheme: &str,
    show: &dyn Fn(&str) -> String,
) -> Result<String> {
    let (host, port) = split_node(node).ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            format!("{scheme}:// node {} is not host:port", show(node)),
        )
    })?;
    Ok(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// The host (without brackets) and port of `host[:port]` / `[v6][:port]`.
pub(crate) fn split_node(node: &str) -> Option<(&str, u16)> {
    easy_cache_core::split_host_port(node, DEFAULT_PORT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use easy_cache_test_support::secrets::{UrlShapes, no_password_is_shown};

    fn config_error(url: &str) -> String {
        let err = RedisConfig::from_url(url).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
        err.message().to_owned()
    }

    #[test]
    fn parses_standalone_urls_and_every_option() {
        let c = RedisConfig::from_url("redis://127.0.0.1:6379").unwrap();
        assert_eq!(c, RedisConfig::default());
        let c = RedisConfig::from_url("redis://cache.local").unwrap();
        assert_eq!(c.nodes, ["cache.local:6379"]);
        let c = RedisConfig::from_url(
            "redis://h:7/3?timeout_ms=10&connect_timeout_ms=20&default_timeout=60\
             &key_prefix=app%3A",
        )
        .unwrap();
        assert_eq!(c.topology, Topology::Standalone);
        assert_eq!(c.nodes, ["h:7"]);
        assert_eq!(c.db, 3);
        assert!(!c.tls);
        assert_eq!(c.timeout_ms, 10);
        assert_eq!(c.connect_timeout_ms, 20);
        assert_eq!(c.default_timeout, Some(Duration::from_secs(60)));
        assert_eq!(c.key_prefix, "app:");
        assert_eq!(c.display_url(), "redis://h:7/3");
        let c = RedisConfig::from_url("redis://[::1]:6380/").unwrap();
        assert_eq!((c.nodes[0].as_str(), c.db), ("[::1]:6380", 0));
        let c = RedisConfig::from_url("redis://h?db=5").unwrap();
        assert_eq!(c.db, 5);
    }

    #[test]
    fn parses_tls_unix_and_cluster_urls() {
        let c = RedisConfig::from_url("rediss://h:6380/1").unwrap();
        assert!(c.tls);
        assert_eq!(c.tls_ca_file, None);
        assert_eq!(c.display_url(), "rediss://h:6380/1");
        let c = RedisConfig::from_url("rediss://h?tls_ca_file=/etc/ca%20x.pem").unwrap();
        assert_eq!(c.tls_ca_file.as_deref(), Some("/etc/ca x.pem"));

        let c =
            RedisConfig::from_url("redis+unix:///run/redis%20x.sock?db=2&timeout_ms=5").unwrap();
        assert_eq!(c.topology, Topology::Unix);
        assert_eq!(c.socket_path.as_deref(), Some("/run/redis x.sock"));
        assert_eq!((c.db, c.timeout_ms), (2, 5));
        assert!(c.nodes.is_empty());
        let c = RedisConfig::from_url("redis+unix://:pw@/tmp/r.sock").unwrap();
        assert_eq!(c.password.as_deref(), Some("pw"));
        assert_eq!(c.socket_path.as_deref(), Some("/tmp/r.sock"));

        let c = RedisConfig::from_url("redis+cluster://a:7000,b,[::1]:7002?key_prefix=x").unwrap();
        assert_eq!(c.topology, Topology::Cluster);
        assert_eq!(c.nodes, ["a:7000", "b:6379", "[::1]:7002"]);
        assert_eq!(c.key_prefix, "x");
        assert_eq!(c.display_url(), "redis+cluster://a:7000,b:6379,[::1]:7002");
        let c = RedisConfig::from_url("rediss+cluster://u:p@a:1,b:2/").unwrap();
        assert!(c.tls);
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.display_url(), "rediss+cluster://a:1,b:2");
    }

    #[test]
    fn parses_credentials() {
        let c = RedisConfig::from_url("redis://user:p%40ss@h:1").unwrap();
        assert_eq!(c.username.as_deref(), Some("user"));
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        let c = RedisConfig::from_url("redis://:only@h").unwrap();
        assert_eq!((c.username, c.password.as_deref()), (None, Some("only")));
        let c = RedisConfig::from_url("redis://h?username=u&password=p%26q").unwrap();
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("p&q"));
        assert!(config_error("redis://u@h").contains("username"));
        // `+` stays a `+` (no form encoding); `%2B`, `%40`, `%3A` decode as ever.
        let c = RedisConfig::from_url("redis://u:a+b%2Bc%40d%3Ae@h").unwrap();
        assert_eq!(c.password.as_deref(), Some("a+b+c@d:e"));
        let c = RedisConfig::from_url("redis://h?username=u&password=a+b%2B").unwrap();
        assert_eq!(c.password.as_deref(), Some("a+b+"));
    }

    #[test]
    fn debug_and_display_never_show_the_password() {
        let c = RedisConfig::from_url("redis://user:hunter2@h:1").unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***") && shown.contains("user"), "{shown}");
        assert!(!c.display_url().contains("hunter2"));
        let c = RedisConfig::from_url("redis://h?password=hunter2").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        // Nor does a parse error repeat it.
        let err = RedisConfig::from_url("redis://user:hunter2@h:1/x").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = RedisConfig::from_url("redix://user:hunter2@h:1").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    /// Everything an error shows.
    fn error_texts(err: &Error) -> String {
        format!("{} | {err} | {err:?}", err.message())
    }

    #[test]
    fn a_password_with_a_question_mark_never_reaches_a_config_error() {
        for url in [
            "redis://app:hunter2?x@h",
            "redis://app:hunter2?timeout_ms=1@h",
            "redis://app:6380?timeout_ms=hunter2&x@h",
            "redis://:hunter2#x@h/0",
            "redis://app:hunter2/x@h",
            "redis://app:hunter2/0@h",
            "redis+cluster://app:hunter2?x@a:1,b:2",
            "redis+cluster://app:hunter2#x@a:1,b:2",
            "redis://h?password=&hunter2=1",
            "redis://h?p%61ssword=x&hunter2",
            "redi:/app:hunter2@h",
            "u:hunter2@h://x",
        ] {
            let err = RedisConfig::from_url(url).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{url}");
            let texts = error_texts(&err);
            assert!(!texts.contains("hunter2"), "{url}: {texts}");
        }
    }

    #[test]
    fn a_mistyped_scheme_does_not_echo_the_url() {
        for url in ["redis:/:hunter2@h", "redis:hunter2@h", "redis//:hunter2@h"] {
            let err = RedisConfig::from_url(url).unwrap_err();
            let texts = error_texts(&err);
            assert!(!texts.contains("hunter2"), "{url}: {texts}");
            assert!(texts.contains("redis://"), "{texts}");
        }
    }

    #[test]
    fn no_password_reaches_an_error_or_debug() {
        let shapes = UrlShapes {
            schemes: vec![
                "redis://",
                "rediss+cluster://",
                "redis+unix://",
                "redis:/",
                "redix://",
            ],
            rests: vec!["h", "h:6379/0", "a:1,b:2", "/tmp/r.sock", "h/x"],
            options: vec!["", "timeout_ms=5", "db=x", "colour=red"],
            query_prefix: "",
        };
        no_password_is_shown(shapes, |url| match RedisConfig::from_url(url) {
            Ok(config) => format!("{config:?} {}", config.display_url()),
            Err(err) => error_texts(&err),
        });
    }

    #[test]
    fn errors_name_the_bad_field() {
        assert!(config_error("redis://h?timeout_ms=soon").contains("timeout_ms"));
        assert!(config_error("redis://h?timeout_ms=0").contains("timeout_ms"));
        assert!(config_error("redis://h?connect_timeout_ms=0").contains("connect_timeout_ms"));
        assert!(config_error("redis://h?default_timeout=-1").contains("default_timeout"));
        assert!(config_error("redis://h?colour=red").contains("colour"));
        assert!(config_error("redis://h/x").contains("db"));
        assert!(config_error("redis://h?db=-1").contains("db"));
        assert!(config_error("redis://h:99999").contains("h:99999"));
        assert!(config_error("redis://h:0").contains("h:0"));
        assert!(config_error("redis://").contains("node"));
        assert!(config_error("redis://a:1,b:2").contains("a:1,b:2"));
        assert!(config_error("redis+cluster://a:1,a:1").contains("twice"));
        assert!(config_error("redis+cluster://a:1,,b:2").contains("node"));
        assert!(config_error("redis+cluster://a:1/2").contains("database 0"));
        assert!(config_error("redis+cluster://a:1?db=2").contains("db"));
        assert!(config_error("redis+unix://relative.sock").contains("socket path"));
        assert!(config_error("redis+unix://").contains("socket path"));
        assert!(config_error("redis://h?key_prefix=%zz").contains("key_prefix"));
        assert!(config_error("memcache://h").contains("memcache"));
        assert!(config_error("redis://h?tls_ca_file=/ca.pem").contains("tls_ca_file"));
        assert!(config_error("no scheme").contains("redis://"));
        assert!(config_error("redis://h?wait_replicas=x").contains("wait_replicas"));
        assert!(config_error("redis://h?wait_replicas=4294967296").contains("wait_replicas"));
        let err = config_error("redis://h?wait_replicas=1&wait_timeout_ms=0");
        assert!(err.contains("wait_timeout_ms"), "{err}");
    }

    #[test]
    fn wait_options_parse_and_round_trip() {
        let c = RedisConfig::from_url("redis://h?wait_replicas=2&wait_timeout_ms=40").unwrap();
        assert_eq!((c.wait_replicas, c.wait_timeout_ms), (2, 40));
        assert_eq!(
            c.response_timeout(),
            Duration::from_millis(DEFAULT_TIMEOUT_MS + 40)
        );
        assert!(format!("{c:?}").contains("wait_replicas: 2"));
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"wait_replicas\":2") && json.contains("\"wait_timeout_ms\":40"));
        assert_eq!(serde_json::from_str::<RedisConfig>(&json).unwrap(), c);
        // Off by default; a zero wait bound is fine while nothing waits.
        let off: RedisConfig = serde_json::from_str(r#"{"nodes":["h:1"]}"#).unwrap();
        assert_eq!(
            (off.wait_replicas, off.wait_timeout_ms),
            (0, DEFAULT_WAIT_TIMEOUT_MS)
        );
        RedisConfig::from_url("redis://h?wait_timeout_ms=0").unwrap();
    }

    #[test]
    fn builder_sets_fields_and_validates() {
        let c = RedisConfig::new("h:1")
            .credentials("u", "p")
            .db(4)
            .timeout(Duration::from_micros(10))
            .connect_timeout(Duration::from_secs(2))
            .default_timeout(Duration::from_secs(9))
            .key_prefix("k:");
        assert_eq!(c.timeout_ms, 1, "sub-millisecond bounds round up to 1 ms");
        assert_eq!(c.connect_timeout_ms, 2000);
        assert_eq!(c.db, 4);
        c.validate().unwrap();
        let cluster = RedisConfig::cluster(Vec::<String>::new());
        let err = cluster.validate().unwrap_err();
        assert!(err.message().contains("nodes"), "{err}");
        let err = RedisConfig::cluster(["a:1"]).db(1).validate().unwrap_err();
        assert!(err.message().contains("db"), "{err}");
        let unix = RedisConfig::unix("/tmp/redis.sock").password("pw");
        unix.validate().unwrap();
        assert_eq!(unix.display_url(), "redis+unix:///tmp/redis.sock?db=0");
        let err = RedisConfig::unix("/tmp/r.sock").tls(true).validate();
        assert!(err.unwrap_err().message().contains("tls"));
        let c = RedisConfig::new("h:1").tls_ca_file("/ca.pem");
        assert!(c.tls);
        c.validate().unwrap();
        // Each setter gives what the URL spelling it gives.
        let from_url = |url| RedisConfig::from_url(url).unwrap();
        let c = RedisConfig::new("h:6379").password("s3cret");
        assert_eq!(c.username, None);
        assert_eq!(c, from_url("redis://:s3cret@h:6379"));
        let c = RedisConfig::new("h:6379").credentials("app", "s3cret");
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(
            RedisConfig::new("h:6380").tls(true).display_url(),
            "rediss://h:6380/0"
        );
        assert_eq!(
            RedisConfig::new("h:6379").db(2),
            from_url("redis://h:6379/2")
        );
        assert_eq!(
            RedisConfig::new("h:6379").client_tracking(false),
            from_url("redis://h?client_tracking=false")
        );
        assert_eq!(
            RedisConfig::new("h:6379").wait_replicas(1, Duration::from_millis(50)),
            from_url("redis://h?wait_replicas=1&wait_timeout_ms=50")
        );
    }

    #[test]
    fn serde_round_trips_with_defaults() {
        let c = RedisConfig::from_url("redis+cluster://a:1,b:2?default_timeout=30").unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"cluster\"") && json.contains("\"default_timeout\":30"));
        let back: RedisConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        let partial: RedisConfig =
            serde_json::from_str(r#"{"topology":"cluster","nodes":["a:1","b:2"]}"#).unwrap();
        assert_eq!(partial.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(partial.nodes.len(), 2);
        assert!(serde_json::from_str::<RedisConfig>(r#"{"colour":1}"#).is_err());
    }

    #[test]
    fn near_cache_options_parse_and_a_cluster_or_untracked_server_is_refused() {
        let c = RedisConfig::from_url("redis://h?near_capacity=10000&near_ttl=2").unwrap();
        assert_eq!(
            (c.near_capacity, c.near_ttl),
            (10_000, Some(Duration::from_secs(2)))
        );
        let near = c.near_config().unwrap();
        assert_eq!(near.capacity(), 10_000);
        assert!(!near.keeps_writes(), "written values are not tracked");
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"near_capacity\":10000") && json.contains("\"near_ttl\":2"));
        assert_eq!(serde_json::from_str::<RedisConfig>(&json).unwrap(), c);
        assert!(format!("{c:?}").contains("near_capacity: 10000"));
        // Off by default, and 0 says "none".
        assert_eq!(RedisConfig::default().near_config(), None);
        let c = RedisConfig::from_url("redis://h?near_capacity=0&near_ttl=3").unwrap();
        assert_eq!(c.near_config(), None);
        for (url, says) in [
            ("redis+cluster://a:1,b:2?near_capacity=10", "cluster"),
            (
                "redis://h?near_capacity=10&client_tracking=false",
                "client_tracking",
            ),
        ] {
            let err = RedisConfig::from_url(url).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{url}");
            assert!(err.message().contains("near_capacity"), "{url}: {err}");
            assert!(err.message().contains(says), "{url}: {err}");
        }
        RedisConfig::from_url("redis+unix:///tmp/r.sock?near_capacity=10").unwrap();
        assert!(config_error("redis://h?near_capacity=x").contains("near_capacity"));
    }
}
