//! Configuration of the sled backend, parsed from `sled://` URLs.

use easy_cache_core::{BackendUrl, Error, ErrorKind, Result};
use easy_cache_disk::location;
use serde::{Deserialize, Serialize};
use std::{path::PathBuf, time::Duration};

/// How often expired records are purged in the background, in seconds.
///
/// ```
/// use easy_cache_sled::{DEFAULT_PURGE_INTERVAL_SECS, SledConfig};
/// let config = SledConfig::temporary();
/// assert_eq!(config.purge_interval_secs, DEFAULT_PURGE_INTERVAL_SECS);
/// ```
pub const DEFAULT_PURGE_INTERVAL_SECS: u64 = 60;
/// sled's page cache size when the URL names none: sled's own default, 1 GiB.
///
/// ```
/// use easy_cache_sled::{DEFAULT_CACHE_CAPACITY_BYTES, SledConfig};
/// let config = SledConfig::from_url("sled:///var/lib/myapp/cache").unwrap();
/// assert_eq!(config.cache_capacity_bytes, DEFAULT_CACHE_CAPACITY_BYTES);
/// ```
pub const DEFAULT_CACHE_CAPACITY_BYTES: u64 = 1024 * 1024 * 1024;
/// How often sled writes its log to disk, in milliseconds: sled's own default.
///
/// ```
/// use easy_cache_sled::{DEFAULT_FLUSH_EVERY_MS, SledConfig};
/// assert_eq!(SledConfig::temporary().flush_every_ms, DEFAULT_FLUSH_EVERY_MS);
/// ```
pub const DEFAULT_FLUSH_EVERY_MS: u64 = 500;
/// The sled tree (keyspace) values are stored in when the URL names none.
///
/// ```
/// use easy_cache_sled::{DEFAULT_TREE, SledConfig};
/// assert_eq!(SledConfig::from_url("sled://?temporary=true").unwrap().tree, DEFAULT_TREE);
/// ```
pub const DEFAULT_TREE: &str = "easy_cache";

/// A `sled://` URL, for errors.
const EXAMPLE: &str = "sled:///var/lib/myapp/cache";

/// The options a `sled://` URL takes.
const OPTIONS: [&str; 7] = [
    "temporary",
    "default_timeout",
    "purge_interval_secs",
    "cache_capacity_bytes",
    "flush_every_ms",
    "key_prefix",
    "tree",
];

/// Where the sled database lives and how the cache uses it.
///
/// Parsed from `sled:///absolute/path/to/dir[?options]`, or `sled://?temporary=true` for a
/// fresh database that is removed when the cache is dropped (tests).
///
/// ```
/// use easy_cache_sled::SledConfig;
/// use std::time::Duration;
/// let config =
///     SledConfig::from_url("sled:///var/lib/myapp/cache?default_timeout=600&key_prefix=v1:")
///         .unwrap();
/// assert_eq!(config.path.as_deref(), Some(std::path::Path::new("/var/lib/myapp/cache")));
/// assert_eq!(config.default_timeout, Some(Duration::from_secs(600)));
/// assert_eq!(config.key_prefix, "v1:");
///
/// let built = SledConfig::temporary().tree("sessions").purge_interval(Duration::from_secs(5));
/// assert!(built.temporary);
/// assert_eq!(built.purge_interval_secs, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SledConfig {
    /// The database directory (absolute); `None` only for a temporary database.
    pub path: Option<PathBuf>,
    /// A fresh database in a temporary directory, removed when the cache is dropped.
    pub temporary: bool,
    /// Lifetime of values stored with `Timeout::Default`; `None` keeps them forever.
    #[serde(with = "easy_cache_core::optional_seconds")]
    pub default_timeout: Option<Duration>,
    /// Seconds between background purges of expired records; 0 turns the purge off
    /// (expired records are then removed only when read).
    pub purge_interval_secs: u64,
    /// Bytes of sled's page cache (memory, not disk).
    pub cache_capacity_bytes: u64,
    /// Milliseconds between sled's background flushes to disk; 0 flushes only on drop
    /// and on [`SledCache::flush`](crate::SledCache::flush).
    pub flush_every_ms: u64,
    /// Prepended to every key (like Django's `KEY_PREFIX`).
    pub key_prefix: String,
    /// The sled tree (keyspace) holding the records.
    pub tree: String,
}

impl Default for SledConfig {
    fn default() -> Self {
        SledConfig {
            path: None,
            temporary: false,
            default_timeout: None,
            purge_interval_secs: DEFAULT_PURGE_INTERVAL_SECS,
            cache_capacity_bytes: DEFAULT_CACHE_CAPACITY_BYTES,
            flush_every_ms: DEFAULT_FLUSH_EVERY_MS,
            key_prefix: String::new(),
            tree: DEFAULT_TREE.to_owned(),
        }
    }
}

impl SledConfig {
    /// A configuration for the database directory `path`, every other option at its default.
    ///
    /// ```
    /// use easy_cache_sled::SledConfig;
    /// let config = SledConfig::new("/var/lib/myapp/cache");
    /// assert_eq!(config.path.as_deref(), Some(std::path::Path::new("/var/lib/myapp/cache")));
    /// assert!(!config.temporary);
    /// assert_eq!(config, SledConfig::from_url("sled:///var/lib/myapp/cache").unwrap());
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        SledConfig {
            path: Some(path.into()),
            ..SledConfig::default()
        }
    }

    /// A configuration for a fresh temporary database, removed when the cache is dropped.
    ///
    /// ```
    /// use easy_cache_sled::SledConfig;
    /// let config = SledConfig::temporary();
    /// assert!(config.temporary);
    /// assert_eq!(config.path, None);
    /// config.validate().unwrap();
    /// ```
    pub fn temporary() -> Self {
        SledConfig {
            temporary: true,
            ..SledConfig::default()
        }
    }

    /// Parses a `sled://` URL and validates it.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_sled::SledConfig;
    /// let config = SledConfig::from_url("sled:///srv/cache?tree=pages&flush_every_ms=0").unwrap();
    /// assert_eq!(config.tree, "pages");
    /// assert_eq!(config.flush_every_ms, 0);
    ///
    /// // Relative paths and unknown options are rejected, naming the problem.
    /// let err = SledConfig::from_url("sled:///srv/cache?colour=red").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("colour"));
    /// assert!(SledConfig::from_url("sled://relative/dir").is_err());
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_backend_url(&BackendUrl::parse_as(url, &[crate::SCHEME])?)
    }

    /// Reads a parsed `sled://` URL, with any options merged into it, and validates it.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// use easy_cache_sled::SledConfig;
    /// let mut url = BackendUrl::parse("sled:///srv/cache")?;
    /// url.options.insert("tree", "pages");
    /// assert_eq!(SledConfig::from_backend_url(&url)?.tree, "pages");
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn from_backend_url(url: &BackendUrl) -> Result<Self> {
        url.expect_scheme(&[crate::SCHEME])?;
        let mut config = SledConfig {
            path: location::path_from_url(url, EXAMPLE)?,
            ..SledConfig::default()
        };
        let mut options = url.options.clone();
        config.temporary = options.bool("temporary")?.unwrap_or(config.temporary);
        config.default_timeout = options.seconds("default_timeout")?;
        let purge = options.u64("purge_interval_secs")?;
        config.purge_interval_secs = purge.unwrap_or(config.purge_interval_secs);
        let capacity = options.u64("cache_capacity_bytes")?;
        config.cache_capacity_bytes = capacity.unwrap_or(config.cache_capacity_bytes);
        config.flush_every_ms = options
            .millis("flush_every_ms")?
            .unwrap_or(config.flush_every_ms);
        config.key_prefix = options.string("key_prefix")?.unwrap_or_default();
        config.tree = options.string("tree")?.unwrap_or(config.tree);
        options.finish(&OPTIONS)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every field; errors are [`ErrorKind::Config`] naming the field.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_sled::SledConfig;
    /// SledConfig::new("/srv/cache").validate().unwrap();
    /// let err = SledConfig::new("/srv/cache").tree("").validate().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("tree"));
    /// assert!(SledConfig::new("relative/dir").validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let bad = |message: &str| Err(Error::new(ErrorKind::Config, message));
        location::check(crate::SCHEME, self.path.as_deref(), self.temporary, EXAMPLE)?;
        if self.tree.is_empty() {
            return bad("sled:// option `tree` must not be empty");
        }
        if self.cache_capacity_bytes == 0 {
            return bad("sled:// option `cache_capacity_bytes` must be above zero");
        }
        Ok(())
    }

    /// Sets the lifetime of values stored with `Timeout::Default`.
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// Sets the time between background purges (whole seconds; zero turns them off).
    pub fn purge_interval(mut self, interval: Duration) -> Self {
        self.purge_interval_secs = interval.as_secs();
        self
    }

    /// Sets the size of sled's page cache in bytes.
    pub fn cache_capacity_bytes(mut self, bytes: u64) -> Self {
        self.cache_capacity_bytes = bytes;
        self
    }

    /// Sets the time between sled's background flushes (zero: only on drop and on demand).
    pub fn flush_every(mut self, every: Duration) -> Self {
        self.flush_every_ms = u64::try_from(every.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Sets the prefix prepended to every key.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets the sled tree holding the records.
    pub fn tree(mut self, name: impl Into<String>) -> Self {
        self.tree = name.into();
        self
    }

    /// The time between background purges, or `None` when they are off.
    ///
    /// ```
    /// use easy_cache_sled::SledConfig;
    /// use std::time::Duration;
    /// let config = SledConfig::from_url("sled://?temporary=true&purge_interval_secs=30").unwrap();
    /// assert_eq!(config.purge_interval_duration(), Some(Duration::from_secs(30)));
    /// let off = SledConfig::from_url("sled://?temporary=true&purge_interval_secs=0").unwrap();
    /// assert_eq!(off.purge_interval_duration(), None);
    /// ```
    pub fn purge_interval_duration(&self) -> Option<Duration> {
        (self.purge_interval_secs > 0).then(|| Duration::from_secs(self.purge_interval_secs))
    }

    /// `sled:///path` or `sled://?temporary=true`: the instance's name in logs.
    ///
    /// ```
    /// use easy_cache_sled::SledConfig;
    /// assert_eq!(SledConfig::new("/srv/cache").display_url(), "sled:///srv/cache");
    /// assert_eq!(SledConfig::temporary().display_url(), "sled://?temporary=true");
    /// ```
    pub fn display_url(&self) -> String {
        location::display_url(crate::SCHEME, self.path.as_deref(), self.temporary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config_error(url: &str) -> String {
        let err = SledConfig::from_url(url).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
        err.message().to_owned()
    }

    #[test]
    fn parses_a_path_and_defaults() {
        let c = SledConfig::from_url("sled:///var/lib/myapp/cache").unwrap();
        assert_eq!(c, SledConfig::new("/var/lib/myapp/cache"));
        assert_eq!(c.path.as_deref(), Some(Path::new("/var/lib/myapp/cache")));
        assert!(!c.temporary);
        assert_eq!(c.default_timeout, None);
        assert_eq!(c.purge_interval_secs, DEFAULT_PURGE_INTERVAL_SECS);
        assert_eq!(c.cache_capacity_bytes, DEFAULT_CACHE_CAPACITY_BYTES);
        assert_eq!(c.flush_every_ms, DEFAULT_FLUSH_EVERY_MS);
        assert_eq!(c.key_prefix, "");
        assert_eq!(c.tree, DEFAULT_TREE);
        assert_eq!(c.display_url(), "sled:///var/lib/myapp/cache");
    }

    #[test]
    fn parses_every_option() {
        let c = SledConfig::from_url(
            "sled:///srv/my%20cache?default_timeout=60&purge_interval_secs=5\
             &cache_capacity_bytes=1048576&flush_every_ms=0&key_prefix=app%3A&tree=pages",
        )
        .unwrap();
        assert_eq!(c.path.as_deref(), Some(Path::new("/srv/my cache")));
        assert_eq!(c.default_timeout, Some(Duration::from_secs(60)));
        assert_eq!(c.purge_interval_secs, 5);
        assert_eq!(c.purge_interval_duration(), Some(Duration::from_secs(5)));
        assert_eq!(c.cache_capacity_bytes, 1_048_576);
        assert_eq!(c.flush_every_ms, 0);
        assert_eq!(c.key_prefix, "app:");
        assert_eq!(c.tree, "pages");
        let off = SledConfig::from_url("sled:///d?purge_interval_secs=0").unwrap();
        assert_eq!(off.purge_interval_duration(), None);
    }

    #[test]
    fn parses_temporary_mode() {
        let c = SledConfig::from_url("sled://?temporary=true").unwrap();
        assert_eq!(c, SledConfig::temporary());
        assert_eq!(c.path, None);
        assert_eq!(c.display_url(), "sled://?temporary=true");
        let c = SledConfig::from_url("sled://?temporary=1&key_prefix=t:").unwrap();
        assert!(c.temporary);
        assert_eq!(c.key_prefix, "t:");
    }

    #[test]
    fn errors_name_the_bad_field() {
        assert!(config_error("sled://").contains("path"));
        assert!(config_error("sled://?temporary=false").contains("path"));
        assert!(config_error("sled://relative/dir").contains("absolute path"));
        assert!(config_error("sled://host/dir").contains("three slashes"));
        assert!(config_error("sled:///d?temporary=true").contains("temporary"));
        assert!(config_error("sled://?temporary=yes").contains("temporary"));
        assert!(config_error("sled:///d?default_timeout=-1").contains("default_timeout"));
        assert!(config_error("sled:///d?default_timeout=soon").contains("default_timeout"));
        assert!(config_error("sled:///d?purge_interval_secs=x").contains("purge_interval_secs"));
        assert!(config_error("sled:///d?cache_capacity_bytes=0").contains("cache_capacity_bytes"));
        assert!(
            config_error("sled:///d?cache_capacity_bytes=1GB").contains("cache_capacity_bytes")
        );
        assert!(config_error("sled:///d?flush_every_ms=often").contains("flush_every_ms"));
        assert!(config_error("sled:///d?tree=").contains("tree"));
        assert!(config_error("sled:///d?key_prefix=%zz").contains("key_prefix"));
        assert!(config_error("sled:///d%zz").contains("path"));
        assert!(config_error("sled:///d?colour=red").contains("colour"));
        assert!(config_error("redis://h").contains("not a sled"));
    }

    #[test]
    fn builder_sets_fields_and_validates() {
        let c = SledConfig::new("/d")
            .default_timeout(Duration::from_secs(3))
            .purge_interval(Duration::from_secs(7))
            .cache_capacity_bytes(4096)
            .flush_every(Duration::from_millis(20))
            .key_prefix("x:")
            .tree("t");
        assert_eq!(c.default_timeout, Some(Duration::from_secs(3)));
        assert_eq!(c.purge_interval_secs, 7);
        assert_eq!(c.cache_capacity_bytes, 4096);
        assert_eq!(c.flush_every_ms, 20);
        assert_eq!((c.key_prefix.as_str(), c.tree.as_str()), ("x:", "t"));
        c.validate().unwrap();
        let off = SledConfig::temporary().purge_interval(Duration::ZERO);
        assert_eq!(off.purge_interval_duration(), None);
        // sled needs some page cache.
        assert!(
            SledConfig::temporary()
                .cache_capacity_bytes(0)
                .validate()
                .is_err()
        );
        assert!(SledConfig::new("relative").validate().is_err());
        assert!(SledConfig::default().validate().is_err());
        SledConfig::temporary().validate().unwrap();
    }

    #[test]
    fn serde_round_trips_with_defaults() {
        let c = SledConfig::new("/d").default_timeout(Duration::from_secs(9));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<SledConfig>(&json).unwrap(), c);
        let partial: SledConfig = serde_json::from_str(r#"{"temporary":true}"#).unwrap();
        assert_eq!(partial, SledConfig::temporary());
        assert!(serde_json::from_str::<SledConfig>(r#"{"colour":1}"#).is_err());
    }
}
