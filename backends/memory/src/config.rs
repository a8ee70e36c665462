//! Configuration of the in-memory backend, parsed from `memory://?...` URLs.

use easy_cache_core::{BackendUrl, Error, ErrorKind, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How the in-memory cache is bounded and how long values live by default.
///
/// ```
/// use easy_cache_memory::MemoryConfig;
/// let config = MemoryConfig::from_url("memory://?max_capacity=10000&default_timeout=60").unwrap();
/// assert_eq!(config.max_capacity, Some(10_000));
/// assert_eq!(config.default_timeout, Some(std::time::Duration::from_secs(60)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MemoryConfig {
    /// At most this many entries (tag versions count as entries). Exclusive with `max_bytes`.
    pub max_capacity: Option<u64>,
    /// At most this many bytes of keys and values (plus a per-entry overhead estimate).
    pub max_bytes: Option<u64>,
    /// Lifetime of values stored with `Timeout::Default`; `None` keeps them until evicted.
    #[serde(with = "easy_cache_core::optional_seconds")]
    pub default_timeout: Option<Duration>,
    /// The near cache: how many decoded values each decorated function keeps in front of
    /// the stored bytes (a hit then decodes nothing). `None`: [`DEFAULT_NEAR_CAPACITY`], or
    /// `max_capacity` when smaller; `Some(0)`: no near cache.
    pub near_capacity: Option<u64>,
}

/// Bound used when a URL names none: generous, but never unbounded.
///
/// ```
/// use easy_cache_memory::{DEFAULT_MAX_CAPACITY, MemoryConfig};
/// let config = MemoryConfig::from_url("memory://").unwrap();
/// assert_eq!(config.max_capacity, Some(DEFAULT_MAX_CAPACITY));
/// ```
pub const DEFAULT_MAX_CAPACITY: u64 = 100_000;

/// Decoded values each function keeps in the near cache when the config names no
/// `near_capacity`: the hot set; the others are decoded from the stored bytes on a hit.
///
/// ```
/// use easy_cache_memory::{DEFAULT_NEAR_CAPACITY, MemoryConfig};
/// assert_eq!(MemoryConfig::default().near_entries(), DEFAULT_NEAR_CAPACITY);
/// ```
pub const DEFAULT_NEAR_CAPACITY: u64 = 10_000;

/// The options a `memory://` URL takes.
const OPTIONS: [&str; 4] = [
    "max_capacity",
    "max_bytes",
    "default_timeout",
    "near_capacity",
];

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            max_capacity: Some(DEFAULT_MAX_CAPACITY),
            max_bytes: None,
            default_timeout: None,
            near_capacity: None,
        }
    }
}

impl MemoryConfig {
    /// Parses `memory://` with optional query parameters `max_capacity`, `max_bytes` and
    /// `default_timeout` (seconds).
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_memory::MemoryConfig;
    /// let config = MemoryConfig::from_url("memory://?max_bytes=65536").unwrap();
    /// assert_eq!((config.max_bytes, config.max_capacity), (Some(65_536), None));
    /// let err = MemoryConfig::from_url("memory://?colour=red").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(err.message().contains("colour"));
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_backend_url(&BackendUrl::parse_as(url, &[crate::SCHEME])?)
    }

    /// Reads a parsed `memory://` URL, with any options merged into it.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// use easy_cache_memory::MemoryConfig;
    /// let mut url = BackendUrl::parse("memory://")?;
    /// url.options.insert("max_capacity", "500");
    /// assert_eq!(MemoryConfig::from_backend_url(&url)?.max_capacity, Some(500));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn from_backend_url(url: &BackendUrl) -> Result<Self> {
        url.expect_scheme(&[crate::SCHEME])?;
        if url.userinfo.is_some() || !url.hosts.is_empty() || !url.path.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                format!(
                    "memory:// URLs take no host or path, only options: `{}`",
                    url.redacted()
                ),
            ));
        }
        let mut options = url.options.clone();
        let mut config = MemoryConfig::default();
        // The bounds replace each other: the one given last wins.
        let last_bound = options.last_of(&["max_capacity", "max_bytes"]);
        let (max_capacity, max_bytes) = (options.u64("max_capacity")?, options.u64("max_bytes")?);
        match last_bound {
            Some("max_capacity") => config = config.max_capacity(max_capacity.unwrap_or_default()),
            Some(_) => config = config.max_bytes(max_bytes.unwrap_or_default()),
            None => {}
        }
        config.default_timeout = options.seconds("default_timeout")?;
        config.near_capacity = options.u64("near_capacity")?;
        options.finish(&OPTIONS)?;
        if config.max_capacity == Some(0) || config.max_bytes == Some(0) {
            return Err(Error::new(
                ErrorKind::Config,
                "memory:// capacity must be above zero",
            ));
        }
        Ok(config)
    }

    /// Bounds the cache by entry count (replacing any bound by bytes).
    pub fn max_capacity(mut self, entries: u64) -> Self {
        self.max_capacity = Some(entries);
        self.max_bytes = None;
        self
    }

    /// Bounds the cache by bytes of keys and values (replacing any bound by entries).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes);
        self.max_capacity = None;
        self
    }

    /// Sets the lifetime of values stored with `Timeout::Default`.
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// Sets how many decoded values each function keeps in the near cache (0: none).
    pub fn near_capacity(mut self, entries: u64) -> Self {
        self.near_capacity = Some(entries);
        self
    }

    /// The near cache's entries per function: see [`near_capacity`](Self::near_capacity).
    ///
    /// ```
    /// use easy_cache_memory::MemoryConfig;
    /// assert_eq!(MemoryConfig::default().max_capacity(500).near_entries(), 500);
    /// assert_eq!(MemoryConfig::default().near_capacity(50_000).near_entries(), 50_000);
    /// let off = MemoryConfig::from_url("memory://?near_capacity=0").unwrap();
    /// assert_eq!(off.near_entries(), 0);
    /// ```
    pub fn near_entries(&self) -> u64 {
        self.near_capacity.unwrap_or_else(|| {
            let bound = self.max_capacity.unwrap_or(DEFAULT_NEAR_CAPACITY);
            bound.min(DEFAULT_NEAR_CAPACITY)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option() {
        assert_eq!(
            MemoryConfig::from_url("memory://").unwrap(),
            MemoryConfig::default()
        );
        let c = MemoryConfig::from_url("memory://?max_bytes=1000000&default_timeout=5").unwrap();
        assert_eq!(c.max_bytes, Some(1_000_000));
        assert_eq!(c.max_capacity, None);
        assert_eq!(c.default_timeout, Some(Duration::from_secs(5)));
    }

    #[test]
    fn errors_name_the_bad_field() {
        let err = MemoryConfig::from_url("memory://?max_capacity=lots").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("max_capacity"), "{err}");
        let err = MemoryConfig::from_url("memory://?colour=red").unwrap_err();
        assert!(err.message().contains("colour"), "{err}");
        assert!(MemoryConfig::from_url("memory://host").is_err());
        assert!(MemoryConfig::from_url("memory://?max_capacity=0").is_err());
    }

    #[test]
    fn builder_bounds_replace_each_other() {
        let config = MemoryConfig::default().max_bytes(4096).max_capacity(500);
        assert_eq!((config.max_capacity, config.max_bytes), (Some(500), None));
        let config = MemoryConfig::default().max_bytes(64 << 20);
        assert_eq!(
            (config.max_bytes, config.max_capacity),
            (Some(64 << 20), None)
        );
        let config = MemoryConfig::default().default_timeout(Duration::from_secs(600));
        assert_eq!(
            config,
            MemoryConfig::from_url("memory://?default_timeout=600").unwrap()
        );
        // In a URL too, the bound given last wins.
        let config = MemoryConfig::from_url("memory://?max_bytes=5&max_capacity=7").unwrap();
        assert_eq!((config.max_capacity, config.max_bytes), (Some(7), None));
        let config = MemoryConfig::from_url("memory://?max_capacity=7&max_bytes=5").unwrap();
        assert_eq!((config.max_capacity, config.max_bytes), (None, Some(5)));
    }
}
