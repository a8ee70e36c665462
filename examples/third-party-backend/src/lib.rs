//! A cache backend written outside easy-cache, as a third-party crate would: a map in a
//! mutex with per-entry deadlines, registered under the URL scheme `example-map`.
//!
//! Two steps make a backend:
//! 1. implement [`easy_cache::CacheInstance`] (four required methods; batch methods have
//!    defaults, override them when your store can do them in one round trip);
//! 2. register a URL scheme with [`easy_cache::register_backend!`].
//!
//! An application that only reaches the backend through `caches::from_url` must still
//! link the crate, with one line anywhere in it:
//!
//! ```
//! use easy_cache_example_backend as _;
//! ```

#![forbid(unsafe_code)]

use async_trait::async_trait;
use bytes::Bytes;
use easy_cache::{BackendUrl, CacheInstance, Error, ErrorKind, Result, Timeout};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The URL scheme this crate registers.
///
/// ```
/// use easy_cache::{CacheInstance, caches};
/// use easy_cache_example_backend::SCHEME;
/// assert!(caches::schemes().contains(&SCHEME));
/// let cache = caches::from_url(&format!("{SCHEME}://"))?;
/// assert_eq!(cache.name(), "example-map");
/// # Ok::<(), easy_cache::Error>(())
/// ```
pub const SCHEME: &str = "example-map";

/// A map with per-entry deadlines. `example-map://?default_timeout=60` sets the lifetime of
/// values stored with `Timeout::Default`.
///
/// ```
/// use easy_cache::{CacheInstance, Timeout};
/// use easy_cache_example_backend::MapCache;
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = MapCache::default();
/// assert!(cache.add("k", "v".into(), Timeout::Never).await?);
/// assert!(!cache.add("k", "w".into(), Timeout::Never).await?);
/// assert_eq!(cache.get("k").await?.as_deref(), Some(&b"v"[..]));
/// assert!(cache.delete("k").await?);
/// assert_eq!(cache.get("k").await?, None);
/// # Ok::<(), easy_cache::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct MapCache {
    entries: Mutex<HashMap<String, (Bytes, Option<Instant>)>>,
    default_timeout: Option<Duration>,
}

impl MapCache {
    /// Builds one from an `example-map://` URL.
    ///
    /// ```
    /// use easy_cache::{CacheInstance, ErrorKind, Timeout};
    /// use easy_cache_example_backend::MapCache;
    /// use std::time::Duration;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::from_url("example-map://?default_timeout=1")?;
    /// cache.set("k", "v".into(), Timeout::Default).await?;
    /// assert!(cache.get("k").await?.is_some());
    /// tokio::time::sleep(Duration::from_millis(1100)).await;
    /// assert_eq!(cache.get("k").await?, None); // expired after the default timeout
    ///
    /// let err = MapCache::from_url("example-map://?colour=red").unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// assert!(MapCache::from_url("memory://").is_err());
    /// # Ok::<(), easy_cache::Error>(()) }).unwrap();
    /// ```
    pub fn from_url(url: &str) -> Result<Self> {
        Self::from_backend_url(&BackendUrl::parse_as(url, &[SCHEME])?)
    }

    /// Builds one from a parsed `example-map://` URL (what the registry hands over, with
    /// any TOML options merged in): the URL's parts, then its options, taken by type.
    pub fn from_backend_url(url: &BackendUrl) -> Result<Self> {
        url.expect_scheme(&[SCHEME])?;
        if !url.hosts.is_empty() || !url.path.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                format!("example-map:// takes only options: `{}`", url.redacted()),
            ));
        }
        let mut options = url.options.clone();
        let cache = MapCache {
            default_timeout: options.seconds("default_timeout")?,
            ..MapCache::default()
        };
        // Anything left is refused, naming it and the options this backend knows.
        options.finish(&["default_timeout"])?;
        Ok(cache)
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<String, (Bytes, Option<Instant>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn deadline(&self, timeout: Timeout) -> Option<Instant> {
        timeout
            .resolve(self.default_timeout)
            .map(|d| Instant::now() + d)
    }

    /// The deadline to store with (`Some(None)`: never expires), or `None` when the
    /// lifetime is zero and nothing may be stored.
    fn lifetime(&self, timeout: Timeout) -> Option<Option<Instant>> {
        match timeout.resolve(self.default_timeout) {
            Some(d) if d.is_zero() => None,
            other => Some(other.map(|d| Instant::now() + d)),
        }
    }
}

fn live(entry: &(Bytes, Option<Instant>)) -> bool {
    entry.1.is_none_or(|deadline| Instant::now() < deadline)
}

#[async_trait]
impl CacheInstance for MapCache {
    fn name(&self) -> &str {
        SCHEME
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self
            .entries()
            .get(key)
            .filter(|e| live(e))
            .map(|e| e.0.clone()))
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        let mut entries = self.entries();
        match self.lifetime(timeout) {
            Some(deadline) => entries.insert(key.to_owned(), (value, deadline)),
            // A zero lifetime stores nothing, and leaves no older value behind either.
            None => entries.remove(key),
        };
        Ok(())
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        let Some(deadline) = self.lifetime(timeout) else {
            return Ok(false);
        };
        let mut entries = self.entries();
        if entries.get(key).is_some_and(live) {
            return Ok(false);
        }
        entries.insert(key.to_owned(), (value, deadline));
        Ok(true)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        Ok(self.entries().remove(key).is_some_and(|e| live(&e)))
    }

    /// Optional, but a backend with lifetimes should have it: the engine keeps tag and
    /// prefix versions alive with it as long as the entries that need them.
    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        let wanted = self.deadline(timeout);
        if let Some(entry) = self.entries().get_mut(key).filter(|e| live(e)) {
            // `None` (never) is the longest; a later deadline wins over an earlier one.
            entry.1 = match (entry.1, wanted) {
                (Some(now), Some(wanted)) => Some(now.max(wanted)),
                _ => None,
            };
        }
        Ok(())
    }
}

fn build(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    Ok(Arc::new(MapCache::from_backend_url(url)?))
}

easy_cache::register_backend!(SCHEME, build);
