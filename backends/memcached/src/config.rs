//! Configuration of the memcached backend, parsed from `memcache://` URLs.

use crate::keys::MAX_PREFIX_LEN;
use easy_cache_core::{BackendUrl, Error, ErrorKind, Result, shown_in_error};
use serde::{Deserialize, Serialize};
use std::{fmt, time::Duration};

/// The port a server listens on when its URL names none.
///
/// ```
/// use easy_cache_memcached::{DEFAULT_PORT, MemcachedConfig};
/// let config = MemcachedConfig::from_url("memcache://cache.internal").unwrap();
/// assert_eq!(config.servers, [format!("cache.internal:{DEFAULT_PORT}")]);
/// ```
pub const DEFAULT_PORT: u16 = 11211;
/// Default bound of one command's round trip, in milliseconds.
///
/// ```
/// use easy_cache_memcached::{DEFAULT_TIMEOUT_MS, MemcachedConfig};
/// assert_eq!(MemcachedConfig::new(["h:11211"]).timeout_ms, DEFAULT_TIMEOUT_MS);
/// ```
pub const DEFAULT_TIMEOUT_MS: u64 = 250;
/// Default bound of opening (and authenticating) a connection, in milliseconds.
///
/// ```
/// use easy_cache_memcached::{DEFAULT_CONNECT_TIMEOUT_MS, MemcachedConfig};
/// let config = MemcachedConfig::from_url("memcache://h:11211").unwrap();
/// assert_eq!(config.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
/// ```
pub const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 250;
/// Default number of connections per server.
///
/// ```
/// use easy_cache_memcached::{DEFAULT_POOL_SIZE, MemcachedConfig};
/// assert_eq!(MemcachedConfig::new(["h:11211"]).pool_size, DEFAULT_POOL_SIZE);
/// ```
pub const DEFAULT_POOL_SIZE: usize = 4;
/// The most connections per server a configuration may ask for.
///
/// ```
/// use easy_cache_memcached::{MAX_POOL_SIZE, MemcachedConfig};
/// MemcachedConfig::new(["h:11211"]).pool_size(MAX_POOL_SIZE).validate().unwrap();
/// let too_many = MemcachedConfig::new(["h:11211"]).pool_size(MAX_POOL_SIZE + 1);
/// let err = too_many.validate().unwrap_err();
/// assert!(err.message().contains("pool_size"));
/// ```
pub const MAX_POOL_SIZE: usize = 1024;

/// The URL schemes this backend answers to.
const SCHEMES: [&str; 2] = ["memcache", "memcached"];
/// The options a `memcache://` URL takes.
const OPTIONS: [&str; 7] = [
    "timeout_ms",
    "connect_timeout_ms",
    "pool_size",
    "default_timeout",
    "key_prefix",
    "username",
    "password",
];

/// Where the memcached servers are and how to talk to them.
///
/// Parsed from `memcache://[user:password@]host[:port][,host[:port]...][?options]`
/// (`memcached://` is accepted too; credentials may also come as `username` and
/// `password` options). The password is never printed by `Debug`.
///
/// ```
/// use easy_cache_memcached::MemcachedConfig;
/// use std::time::Duration;
/// let config = MemcachedConfig::from_url(
///     "memcache://10.0.0.1:11211,10.0.0.2?timeout_ms=100&key_prefix=shop:",
/// )
/// .unwrap();
/// assert_eq!(config.servers, ["10.0.0.1:11211", "10.0.0.2:11211"]);
/// assert_eq!(config.timeout_ms, 100);
/// assert_eq!(config.key_prefix, "shop:");
///
/// let built = MemcachedConfig::new(["10.0.0.1:11211"])
///     .pool_size(8)
///     .default_timeout(Duration::from_secs(60));
/// assert_eq!(built.pool_size, 8);
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemcachedConfig {
    /// The servers as `host:port` (IPv6 hosts in brackets); keys are spread over them by
    /// consistent hashing.
    pub servers: Vec<String>,
    /// User for memcached's ASCII authentication (`memcached -Y`), if any.
    pub username: Option<String>,
    /// Password for memcached's ASCII authentication.
    pub password: Option<String>,
    /// Bound of one command's round trip, in milliseconds.
    pub timeout_ms: u64,
    /// Bound of getting a connection (waiting for a free one, connecting, authenticating),
    /// in milliseconds.
    pub connect_timeout_ms: u64,
    /// Connections per server, opened lazily.
    pub pool_size: usize,
    /// Lifetime of values stored with `Timeout::Default`; `None` keeps them until evicted.
    #[serde(with = "easy_cache_core::optional_seconds")]
    pub default_timeout: Option<Duration>,
    /// Prepended to every key (like Django's `KEY_PREFIX`); printable ASCII, no spaces.
    pub key_prefix: String,
}

impl Default for MemcachedConfig {
    fn default() -> Self {
        MemcachedConfig::new([format!("127.0.0.1:{DEFAULT_PORT}")])
    }
}

impl MemcachedConfig {
    /// A configuration for `servers` (`host:port`) with every other option at its default.
    ///
    /// ```
    /// use easy_cache_memcached::{DEFAULT_TIMEOUT_MS, MemcachedConfig};
    /// let config = MemcachedConfig::new(["10.0.0.1:11211", "10.0.0.2:11211"]);
    /// assert_eq!(config.servers.len(), 2);
    /// assert_eq!(config.timeout_ms, DEFAULT_TIMEOUT_MS);
    /// assert_eq!(config.username, None);
    /// config.validate().unwrap();
    /// ```
    pub fn new<S: Into<String>>(servers: impl IntoIterator<Item = S>) -> Self {
        MemcachedConfig {
            servers: servers.into_iter().map(Into::into).collect(),
            username: None,
            password: None,
            timeout_ms: DEFAULT_TIMEOUT_MS,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT_MS,
            pool_size: DEFAULT_POOL_SIZE,
            default_timeout: None,
            key_prefix: String::new(),
        }
    }

    /// Parses a `memcache://` or `memcached://` URL and validates it.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_memcached::MemcachedConfig;
    /// let url = "memcached://app:s3cret@10.0.0.1?pool_size=2";
    /// let config = MemcachedConfig::from_url(url).unwrap();
    /// assert_eq!(config.servers, ["10.0.0.1:11211"]);
    /// assert_eq!(config.username.as_deref(), Some("app"));
    /// assert_eq!(config.pool_size, 2);
    ///
    /// // Unknown options are refused, and the error names them.
    /// let err = MemcachedConfig::from_url("memcache://h?colour=red").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("colour"));
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_backend_url(&BackendUrl::parse_as(url, &SCHEMES)?)
    }

    /// Reads a parsed `memcache://` URL, with any options merged into it, and validates it.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// use easy_cache_memcached::MemcachedConfig;
    /// let mut url = BackendUrl::parse("memcache://a:1,b:2")?;
    /// url.options.insert("pool_size", "2");
    /// let config = MemcachedConfig::from_backend_url(&url)?;
    /// assert_eq!((config.servers.len(), config.pool_size), (2, 2));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn from_backend_url(url: &BackendUrl) -> Result<Self> {
        url.expect_scheme(&SCHEMES)?;
        let scheme = &url.scheme;
        if !matches!(url.path.as_str(), "" | "/") {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "{scheme}:// URLs take no path (`{}`); list servers as host:port,host:port",
                    url.redacted()
                ),
            ));
        }
        if url.hosts.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                format!("{scheme}:// needs at least one server"),
            ));
        }
        let mut config = MemcachedConfig::new(Vec::<String>::new());
        if let Some(userinfo) = &url.userinfo {
            config.username = Some(userinfo.user.clone());
            config.password = Some(userinfo.password.clone().unwrap_or_default());
        }
        let show = |piece: &str| url.show(piece);
        config.servers = url
            .hosts
            .iter()
            .map(|server| parse_server(server, &show))
            .collect::<Result<_>>()?;
        let mut options = url.options.clone();
        config.timeout_ms = options.millis("timeout_ms")?.unwrap_or(config.timeout_ms);
        let connect = options.millis("connect_timeout_ms")?;
        config.connect_timeout_ms = connect.unwrap_or(config.connect_timeout_ms);
        config.pool_size = options.usize("pool_size")?.unwrap_or(config.pool_size);
        config.default_timeout = options.seconds("default_timeout")?;
        config.key_prefix = options.string("key_prefix")?.unwrap_or_default();
        // For configurations that keep secrets out of the URL (`options` tables).
        if let Some(username) = options.string("username")? {
            config.username = Some(username);
        }
        if let Some(password) = options.string("password")? {
            config.password = Some(password);
        }
        options.finish(&OPTIONS)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every field; errors are [`ErrorKind::Config`] naming the field.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_memcached::MemcachedConfig;
    /// MemcachedConfig::new(["h:11211"]).validate().unwrap();
    /// let err = MemcachedConfig::new(["h:11211"]).key_prefix("has space").validate().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("key_prefix"));
    /// assert!(MemcachedConfig::new(Vec::<String>::new()).validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| Err(Error::new(ErrorKind::Config, message));
        if self.servers.is_empty() {
            return bad("memcache:// needs at least one server".into());
        }
        for (i, server) in self.servers.iter().enumerate() {
            parse_server(server, &shown_in_error)?;
            if self.servers[..i].contains(server) {
                let shown_server = shown_in_error(server);
                return bad(format!("memcache:// server {shown_server} is listed twice"));
            }
        }
        if self.timeout_ms == 0 {
            return bad("memcache:// option `timeout_ms` must be above zero".into());
        }
        if self.connect_timeout_ms == 0 {
            return bad("memcache:// option `connect_timeout_ms` must be above zero".into());
        }
        if !(1..=MAX_POOL_SIZE).contains(&self.pool_size) {
            return bad(format!(
                "memcache:// option `pool_size` must be between 1 and {MAX_POOL_SIZE}"
            ));
        }
        if self.key_prefix.len() > MAX_PREFIX_LEN
            || !self.key_prefix.bytes().all(|b| b.is_ascii_graphic())
        {
            return bad(format!(
                "memcache:// option `key_prefix` must be at most {MAX_PREFIX_LEN} printable \
                 ASCII characters without spaces"
            ));
        }
        // The credentials travel as `user password` in one line: no blanks or controls.
        let token =
            |s: &str| !s.is_empty() && s.chars().all(|c| !c.is_whitespace() && !c.is_control());
        match (&self.username, &self.password) {
            (None, None) => {}
            (Some(user), _) if !token(user) => {
                return bad("memcache:// `username` must be non-empty, without spaces".into());
            }
            (Some(_), Some(password)) if token(password) => {}
            _ => {
                return bad(
                    "memcache:// `password` must be non-empty, without spaces, and come with a \
                     username"
                        .into(),
                );
            }
        }
        Ok(())
    }

    /// Adds a server (`host:port`).
    pub fn server(mut self, address: impl Into<String>) -> Self {
        self.servers.push(address.into());
        self
    }

    /// Sets the credentials of memcached's ASCII authentication.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self.password = Some(password.into());
        self
    }

    /// Sets the number of connections per server (1 to [`MAX_POOL_SIZE`]).
    pub fn pool_size(mut self, connections: usize) -> Self {
        self.pool_size = connections;
        self
    }

    easy_cache_core::network_setters!();

    /// The URL of this configuration without credentials or options, e.g.
    /// `memcache://h1:11211,h2:11211`: the instance's name in logs.
    ///
    /// ```
    /// use easy_cache_memcached::MemcachedConfig;
    /// let url = "memcache://app:s3cret@h1,h2:11212?timeout_ms=9";
    /// let config = MemcachedConfig::from_url(url).unwrap();
    /// assert_eq!(config.display_url(), "memcache://h1:11211,h2:11212");
    /// ```
    pub fn display_url(&self) -> String {
        format!("memcache://{}", self.servers.join(","))
    }
}

impl fmt::Debug for MemcachedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemcachedConfig")
            .field("servers", &self.servers)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout_ms", &self.timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("pool_size", &self.pool_size)
            .field("default_timeout", &self.default_timeout)
            .field("key_prefix", &self.key_prefix)
            .finish()
    }
}

/// `host:port` (port defaulted) from one server of a URL; `[v6]:port` for IPv6. `show`
/// quotes `server` in the error.
fn parse_server(server: &str, show: &dyn Fn(&str) -> String) -> Result<String> {
    let bad = || {
        let shown_server = show(server);
        Error::new(
            ErrorKind::Config,
            format!("memcache:// server {shown_server} is not host:port"),
        )
    };
    let (host, port) = easy_cache_core::split_host_port(server, DEFAULT_PORT).ok_or_else(bad)?;
    Ok(if server.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use easy_cache_test_support::secrets::{UrlShapes, no_password_is_shown};

    fn config_error(url: &str) -> String {
        let err = MemcachedConfig::from_url(url).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
        err.message().to_owned()
    }

    #[test]
    fn parses_servers_and_every_option() {
        let c = MemcachedConfig::from_url("memcache://127.0.0.1:11211").unwrap();
        assert_eq!(c, MemcachedConfig::default());
        let c = MemcachedConfig::from_url(
            "memcached://a:1,b,[::1]:3/?timeout_ms=10&connect_timeout_ms=20&pool_size=2\
             &default_timeout=60&key_prefix=app%3A",
        )
        .unwrap();
        assert_eq!(c.servers, ["a:1", "b:11211", "[::1]:3"]);
        assert_eq!(c.timeout_ms, 10);
        assert_eq!(c.connect_timeout_ms, 20);
        assert_eq!(c.pool_size, 2);
        assert_eq!(c.default_timeout, Some(Duration::from_secs(60)));
        assert_eq!(c.key_prefix, "app:");
        assert_eq!(c.username, None);
        assert_eq!(c.display_url(), "memcache://a:1,b:11211,[::1]:3");
    }

    #[test]
    fn parses_credentials() {
        let c = MemcachedConfig::from_url("memcache://user:p%40ss@h:1").unwrap();
        assert_eq!(c.username.as_deref(), Some("user"));
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert_eq!(c.servers, ["h:1"]);
        let c = MemcachedConfig::from_url("memcache://h:1?username=u&password=p%26q").unwrap();
        assert_eq!(c.username.as_deref(), Some("u"));
        assert_eq!(c.password.as_deref(), Some("p&q"));
        assert!(config_error("memcache://h:1?password=p").contains("username"));
        // `+` stays a `+` (no form encoding); `%2B`, `%40`, `%3A` decode as ever.
        let c = MemcachedConfig::from_url("memcache://u:a+b%2Bc%40d%3Ae@h1,h2:2").unwrap();
        assert_eq!(c.password.as_deref(), Some("a+b+c@d:e"));
        assert_eq!(c.servers, ["h1:11211", "h2:2"]);
        // Options merged into a parsed URL (a TOML table) override its userinfo.
        let mut url = BackendUrl::parse("memcache://u:old@h").unwrap();
        url.options.insert("password", "new+%41");
        let c = MemcachedConfig::from_backend_url(&url).unwrap();
        assert_eq!(c.password.as_deref(), Some("new+%41"));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let c = MemcachedConfig::from_url("memcache://user:pw@h:1").unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("pw\""), "{shown}");
        assert!(shown.contains("***") && shown.contains("user"), "{shown}");
        let c = MemcachedConfig::from_url("memcache://user:hunter2@h:1").unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!c.display_url().contains("hunter2"));
        // Nor does a parse error repeat it.
        let err = MemcachedConfig::from_url("memcache://user:hunter2@h:1/path").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    /// Everything an error shows.
    fn error_texts(err: &Error) -> String {
        format!("{} | {err} | {err:?}", err.message())
    }

    #[test]
    fn a_password_with_a_question_mark_never_reaches_a_config_error() {
        for url in [
            "memcache://app:hunter2?x@h",
            "memcache://app:hunter2?timeout_ms=1@h",
            "memcache://app:11212?pool_size=hunter2&x@h",
            "memcache://app:hunter2#x@h",
            "memcache://app:hunter2/x@h",
            "memcache://app:hunter2,x@h",
            "memcache://h?password=&hunter2=1",
            "memcache://h?p%61ssword=x&hunter2",
            "memcache:/app:hunter2@h",
            "memcached//app:hunter2@h",
        ] {
            // Some are valid (a `#` or `,` in a password is no delimiter here): then the
            // configuration's `Debug` hides it.
            let texts = match MemcachedConfig::from_url(url) {
                Ok(config) => format!("{config:?}"),
                Err(err) => error_texts(&err),
            };
            assert!(!texts.contains("hunter2"), "{url}: {texts}");
        }
    }

    #[test]
    fn no_password_reaches_an_error_or_debug() {
        let shapes = UrlShapes {
            schemes: vec!["memcache://", "memcached://", "memcache:/", "memcach://"],
            rests: vec!["h", "h:11211", "a:1,b:2", "h/x", "[::1]"],
            options: vec!["", "timeout_ms=5", "pool_size=x", "colour=red"],
            query_prefix: "username=app&",
        };
        no_password_is_shown(shapes, |url| match MemcachedConfig::from_url(url) {
            Ok(config) => format!("{config:?} {}", config.display_url()),
            Err(err) => error_texts(&err),
        });
    }

    #[test]
    fn errors_name_the_bad_field() {
        assert!(config_error("memcache://h?timeout_ms=soon").contains("timeout_ms"));
        assert!(config_error("memcache://h?timeout_ms=0").contains("timeout_ms"));
        assert!(config_error("memcache://h?connect_timeout_ms=0").contains("connect_timeout_ms"));
        assert!(config_error("memcache://h?pool_size=0").contains("pool_size"));
        assert!(config_error("memcache://h?pool_size=99999999999999").contains("pool_size"));
        assert!(config_error("memcache://h?default_timeout=-1").contains("default_timeout"));
        assert!(config_error("memcache://h?key_prefix=a%20b").contains("key_prefix"));
        let long = "p".repeat(MAX_PREFIX_LEN + 1);
        assert!(config_error(&format!("memcache://h?key_prefix={long}")).contains("key_prefix"));
        assert!(config_error("memcache://h?colour=red").contains("colour"));
        assert!(config_error("memcache://h:port").contains("h:port"));
        assert!(config_error("memcache://h:0").contains("h:0"));
        assert!(config_error("memcache://").contains("server"));
        assert!(config_error("memcache://a:1,,b:2").contains("server"));
        assert!(config_error("memcache://a:1,a:1").contains("twice"));
        assert!(config_error("memcache://h/0").contains("path"));
        assert!(config_error("memcache://u:@h").contains("password"));
        assert!(config_error("memcache://u:a%20b@h").contains("password"));
        assert!(config_error("memcache://h?key_prefix=%zz").contains("key_prefix"));
        assert!(config_error("redis://h").contains("not a memcache"));
    }

    #[test]
    fn builder_sets_fields_and_validates() {
        let c = MemcachedConfig::new(["a:1"])
            .server("b:2")
            .timeout(Duration::from_millis(30))
            .connect_timeout(Duration::from_micros(10))
            .pool_size(1)
            .key_prefix("x:")
            .credentials("u", "p");
        assert_eq!(c.servers, ["a:1", "b:2"]);
        assert_eq!((c.timeout_ms, c.connect_timeout_ms), (30, 1));
        c.validate().unwrap();
        assert!(!format!("{c:?}").contains("\"p\""), "{c:?}");
        assert!(
            MemcachedConfig::new(["h:11211"])
                .pool_size(0)
                .validate()
                .is_err()
        );
        assert!(
            MemcachedConfig::new(Vec::<String>::new())
                .validate()
                .is_err()
        );
    }

    #[test]
    fn serde_round_trips_with_defaults() {
        let c = MemcachedConfig::default().default_timeout(Duration::from_secs(9));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<MemcachedConfig>(&json).unwrap(), c);
        let partial: MemcachedConfig = serde_json::from_str(r#"{"pool_size":2}"#).unwrap();
        assert_eq!(partial.timeout_ms, DEFAULT_TIMEOUT_MS);
        assert_eq!(partial.pool_size, 2);
    }
}
