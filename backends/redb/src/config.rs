//! Configuration of the redb backend, parsed from `redb://` URLs.

use easy_cache_core::{BackendUrl, Error, ErrorKind, Result};
use easy_cache_disk::location;
use serde::{Deserialize, Serialize};
use std::{path::PathBuf, time::Duration};

/// How often expired records are removed in the background, in seconds.
///
/// ```
/// use easy_cache_redb::{DEFAULT_PURGE_INTERVAL_SECS, RedbConfig};
/// assert_eq!(RedbConfig::temporary().purge_interval_secs, DEFAULT_PURGE_INTERVAL_SECS);
/// ```
pub const DEFAULT_PURGE_INTERVAL_SECS: u64 = 60;
/// redb's page cache size when the URL names none: redb's own default, 1 GiB.
///
/// ```
/// use easy_cache_redb::{DEFAULT_CACHE_SIZE_BYTES, RedbConfig};
/// let config = RedbConfig::from_url("redb:///var/lib/myapp/cache.redb").unwrap();
/// assert_eq!(config.cache_size_bytes, DEFAULT_CACHE_SIZE_BYTES);
/// ```
pub const DEFAULT_CACHE_SIZE_BYTES: u64 = 1024 * 1024 * 1024;
/// The redb table values are stored in when the URL names none.
///
/// ```
/// use easy_cache_redb::{DEFAULT_TABLE, RedbConfig};
/// assert_eq!(RedbConfig::from_url("redb://?temporary=true").unwrap().table, DEFAULT_TABLE);
/// ```
pub const DEFAULT_TABLE: &str = "easy_cache";

/// A `redb://` URL, for errors.
const EXAMPLE: &str = "redb:///var/lib/myapp/cache.redb";

/// The options a `redb://` URL takes.
const OPTIONS: [&str; 7] = [
    "temporary",
    "default_timeout",
    "purge_interval_secs",
    "cache_size_bytes",
    "max_entries",
    "key_prefix",
    "table",
];

/// Where the redb database file lives and how the cache uses it. Nothing in it is secret,
/// so its `Debug` shows every field.
///
/// Parsed from `redb:///absolute/path/to/cache.redb[?options]`, or `redb://?temporary=true`
/// for a fresh database file that is removed when the cache is dropped (tests).
///
/// ```
/// use easy_cache_redb::RedbConfig;
/// use std::time::Duration;
/// let config = RedbConfig::from_url(
///     "redb:///var/lib/myapp/cache.redb?default_timeout=600&max_entries=100000",
/// )
/// .unwrap();
/// assert_eq!(
///     config.path.as_deref(),
///     Some(std::path::Path::new("/var/lib/myapp/cache.redb"))
/// );
/// assert_eq!(config.default_timeout, Some(Duration::from_secs(600)));
/// assert_eq!(config.max_entries, 100_000);
///
/// let built = RedbConfig::temporary().table("sessions").purge_interval(Duration::from_secs(5));
/// assert!(built.temporary);
/// assert_eq!(built.purge_interval_secs, 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedbConfig {
    /// The database file (absolute); `None` only for a temporary database.
    pub path: Option<PathBuf>,
    /// A fresh database file in the temporary directory, removed when the cache is dropped.
    pub temporary: bool,
    /// Lifetime of values stored with `Timeout::Default`; `None` keeps them forever.
    #[serde(with = "easy_cache_core::optional_seconds")]
    pub default_timeout: Option<Duration>,
    /// Seconds between background removals of expired records; 0 turns them off
    /// (expired records then read as absent and stay on disk until overwritten or evicted).
    pub purge_interval_secs: u64,
    /// Bytes of redb's page cache (memory, not disk).
    pub cache_size_bytes: u64,
    /// The most records the table holds after a write; 0 = unbounded. Crossing it evicts
    /// down to 90%: expired records first, then those expiring soonest.
    pub max_entries: u64,
    /// Prepended to every key (like Django's `KEY_PREFIX`).
    pub key_prefix: String,
    /// The redb table holding the records.
    pub table: String,
}

impl Default for RedbConfig {
    fn default() -> Self {
        RedbConfig {
            path: None,
            temporary: false,
            default_timeout: None,
            purge_interval_secs: DEFAULT_PURGE_INTERVAL_SECS,
            cache_size_bytes: DEFAULT_CACHE_SIZE_BYTES,
            max_entries: 0,
            key_prefix: String::new(),
            table: DEFAULT_TABLE.to_owned(),
        }
    }
}

impl RedbConfig {
    /// A configuration for the database file `path`, every other option at its default.
    ///
    /// ```
    /// use easy_cache_redb::RedbConfig;
    /// let config = RedbConfig::new("/var/lib/myapp/cache.redb");
    /// assert!(!config.temporary);
    /// assert_eq!(config, RedbConfig::from_url("redb:///var/lib/myapp/cache.redb").unwrap());
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        RedbConfig {
            path: Some(path.into()),
            ..RedbConfig::default()
        }
    }

    /// A configuration for a fresh temporary database, removed when the cache is dropped.
    ///
    /// ```
    /// use easy_cache_redb::RedbConfig;
    /// let config = RedbConfig::temporary();
    /// assert!(config.temporary);
    /// assert_eq!(config.path, None);
    /// config.validate().unwrap();
    /// ```
    pub fn temporary() -> Self {
        RedbConfig {
            temporary: true,
            ..RedbConfig::default()
        }
    }

    /// Parses a `redb://` URL and validates it.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_redb::RedbConfig;
    /// let config = RedbConfig::from_url("redb:///srv/cache.redb?table=pages").unwrap();
    /// assert_eq!(config.table, "pages");
    ///
    /// // Relative paths and unknown options are rejected, naming the problem.
    /// let err = RedbConfig::from_url("redb:///srv/cache.redb?colour=red").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("colour"));
    /// assert!(RedbConfig::from_url("redb://relative/cache.redb").is_err());
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_backend_url(&BackendUrl::parse_as(url, &[crate::SCHEME])?)
    }

    /// Reads a parsed `redb://` URL, with any options merged into it, and validates it.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// use easy_cache_redb::RedbConfig;
    /// let mut url = BackendUrl::parse("redb:///srv/cache.redb")?;
    /// url.options.insert("table", "pages");
    /// assert_eq!(RedbConfig::from_backend_url(&url)?.table, "pages");
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn from_backend_url(url: &BackendUrl) -> Result<Self> {
        url.expect_scheme(&[crate::SCHEME])?;
        let mut config = RedbConfig {
            path: location::path_from_url(url, EXAMPLE)?,
            ..RedbConfig::default()
        };
        let mut options = url.options.clone();
        config.temporary = options.bool("temporary")?.unwrap_or(config.temporary);
        config.default_timeout = options.seconds("default_timeout")?;
        let purge = options.u64("purge_interval_secs")?;
        config.purge_interval_secs = purge.unwrap_or(config.purge_interval_secs);
        let cache_size = options.u64("cache_size_bytes")?;
        config.cache_size_bytes = cache_size.unwrap_or(config.cache_size_bytes);
        config.max_entries = options.u64("max_entries")?.unwrap_or(config.max_entries);
        config.key_prefix = options.string("key_prefix")?.unwrap_or_default();
        config.table = options.string("table")?.unwrap_or(config.table);
        options.finish(&OPTIONS)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every field; errors are [`ErrorKind::Config`] naming the field.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_redb::RedbConfig;
    /// RedbConfig::new("/srv/cache.redb").validate().unwrap();
    /// let err = RedbConfig::new("/srv/cache.redb").table("").validate().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("table"));
    /// assert!(RedbConfig::new("relative.redb").validate().is_err());
    /// ```
    pub fn validate(&self) -> Result<()> {
        let bad = |message: &str| Err(Error::new(ErrorKind::Config, message));
        location::check(crate::SCHEME, self.path.as_deref(), self.temporary, EXAMPLE)?;
        if self
            .path
            .as_deref()
            .is_some_and(|path| path.file_name().is_none())
        {
            return bad("redb:// `path` must name a file, not end in `/` or `..`");
        }
        if self.table.is_empty() {
            return bad("redb:// option `table` must not be empty");
        }
        if usize::try_from(self.cache_size_bytes).is_err() {
            return bad("redb:// option `cache_size_bytes` is too large for this machine");
        }
        Ok(())
    }

    /// Sets the lifetime of values stored with `Timeout::Default`.
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// Sets the time between background removals of expired records (whole seconds; zero
    /// turns them off).
    pub fn purge_interval(mut self, interval: Duration) -> Self {
        self.purge_interval_secs = interval.as_secs();
        self
    }

    /// Sets the size of redb's page cache in bytes.
    pub fn cache_size_bytes(mut self, bytes: u64) -> Self {
        self.cache_size_bytes = bytes;
        self
    }

    /// Bounds the table to `entries` records (0: unbounded).
    pub fn max_entries(mut self, entries: u64) -> Self {
        self.max_entries = entries;
        self
    }

    /// Sets the prefix prepended to every key.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Sets the redb table holding the records.
    pub fn table(mut self, name: impl Into<String>) -> Self {
        self.table = name.into();
        self
    }

    /// The time between background removals, or `None` when they are off.
    ///
    /// ```
    /// use easy_cache_redb::RedbConfig;
    /// use std::time::Duration;
    /// let config = RedbConfig::from_url("redb://?temporary=true&purge_interval_secs=30").unwrap();
    /// assert_eq!(config.purge_interval_duration(), Some(Duration::from_secs(30)));
    /// let off = RedbConfig::from_url("redb://?temporary=true&purge_interval_secs=0").unwrap();
    /// assert_eq!(off.purge_interval_duration(), None);
    /// ```
    pub fn purge_interval_duration(&self) -> Option<Duration> {
        (self.purge_interval_secs > 0).then(|| Duration::from_secs(self.purge_interval_secs))
    }

    /// `redb:///path` or `redb://?temporary=true`: the instance's name in logs.
    ///
    /// ```
    /// use easy_cache_redb::RedbConfig;
    /// assert_eq!(RedbConfig::new("/srv/c.redb").display_url(), "redb:///srv/c.redb");
    /// assert_eq!(RedbConfig::temporary().display_url(), "redb://?temporary=true");
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
        let err = RedbConfig::from_url(url).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
        err.message().to_owned()
    }

    #[test]
    fn parses_a_path_and_defaults() {
        let c = RedbConfig::from_url("redb:///var/lib/myapp/cache.redb").unwrap();
        assert_eq!(c, RedbConfig::new("/var/lib/myapp/cache.redb"));
        assert_eq!(
            c.path.as_deref(),
            Some(Path::new("/var/lib/myapp/cache.redb"))
        );
        assert!(!c.temporary);
        assert_eq!(c.default_timeout, None);
        assert_eq!(c.purge_interval_secs, DEFAULT_PURGE_INTERVAL_SECS);
        assert_eq!(c.cache_size_bytes, DEFAULT_CACHE_SIZE_BYTES);
        assert_eq!(c.max_entries, 0);
        assert_eq!(c.key_prefix, "");
        assert_eq!(c.table, DEFAULT_TABLE);
        assert_eq!(c.display_url(), "redb:///var/lib/myapp/cache.redb");
    }

    #[test]
    fn parses_every_option() {
        let c = RedbConfig::from_url(
            "redb:///srv/my%20cache.redb?default_timeout=60&purge_interval_secs=5\
             &cache_size_bytes=1048576&max_entries=1000&key_prefix=app%3A&table=pages",
        )
        .unwrap();
        assert_eq!(c.path.as_deref(), Some(Path::new("/srv/my cache.redb")));
        assert_eq!(c.default_timeout, Some(Duration::from_secs(60)));
        assert_eq!(c.purge_interval_duration(), Some(Duration::from_secs(5)));
        assert_eq!(c.cache_size_bytes, 1_048_576);
        assert_eq!(c.max_entries, 1000);
        assert_eq!(c.key_prefix, "app:");
        assert_eq!(c.table, "pages");
        let off = RedbConfig::from_url("redb:///d.redb?purge_interval_secs=0").unwrap();
        assert_eq!(off.purge_interval_duration(), None);
    }

    #[test]
    fn parses_temporary_mode() {
        let c = RedbConfig::from_url("redb://?temporary=true").unwrap();
        assert_eq!(c, RedbConfig::temporary());
        assert_eq!(c.display_url(), "redb://?temporary=true");
        let c = RedbConfig::from_url("redb://?temporary=1&key_prefix=t:").unwrap();
        assert!(c.temporary);
        assert_eq!(c.key_prefix, "t:");
    }

    #[test]
    fn errors_name_the_bad_field() {
        assert!(config_error("redb://").contains("path"));
        assert!(config_error("redb://?temporary=false").contains("path"));
        assert!(config_error("redb://relative/c.redb").contains("absolute"));
        assert!(config_error("redb://host/c.redb").contains("three slashes"));
        assert!(config_error("redb:///d?temporary=true").contains("temporary"));
        assert!(config_error("redb://?temporary=yes").contains("temporary"));
        assert!(config_error("redb:///d?default_timeout=-1").contains("default_timeout"));
        assert!(config_error("redb:///d?purge_interval_secs=x").contains("purge_interval_secs"));
        assert!(config_error("redb:///d?cache_size_bytes=1GB").contains("cache_size_bytes"));
        assert!(config_error("redb:///d?max_entries=many").contains("max_entries"));
        assert!(config_error("redb:///d?table=").contains("table"));
        assert!(config_error("redb:///d?key_prefix=%zz").contains("key_prefix"));
        assert!(config_error("redb:///d?colour=red").contains("colour"));
        assert!(config_error("redb:///").contains("name a file"));
        assert!(config_error("sled:///d").contains("not a redb"));
    }

    #[test]
    fn builder_sets_fields_and_validates() {
        let c = RedbConfig::new("/d.redb")
            .default_timeout(Duration::from_secs(3))
            .purge_interval(Duration::from_secs(7))
            .cache_size_bytes(4096)
            .max_entries(10)
            .key_prefix("x:")
            .table("t");
        assert_eq!(c.default_timeout, Some(Duration::from_secs(3)));
        assert_eq!(c.purge_interval_secs, 7);
        assert_eq!((c.cache_size_bytes, c.max_entries), (4096, 10));
        assert_eq!((c.key_prefix.as_str(), c.table.as_str()), ("x:", "t"));
        c.validate().unwrap();
        assert!(RedbConfig::new("relative").validate().is_err());
        assert!(RedbConfig::default().validate().is_err());
    }

    #[test]
    fn serde_round_trips_with_defaults() {
        let c = RedbConfig::new("/d.redb").default_timeout(Duration::from_secs(9));
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<RedbConfig>(&json).unwrap(), c);
        let partial: RedbConfig = serde_json::from_str(r#"{"temporary":true}"#).unwrap();
        assert_eq!(partial, RedbConfig::temporary());
        assert!(serde_json::from_str::<RedbConfig>(r#"{"colour":1}"#).is_err());
    }
}
