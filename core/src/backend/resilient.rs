//! Instance defaults of the fail-safe, refresh, jitter and timeout options: a cache instance
//! that tells the functions caching in it what to do when their values age or their
//! computations fail, unless a function says otherwise.

use super::in_process::InProcess;
use super::timeout::Timeout;
use super::url::{BackendUrl, Options, seconds};
use super::{CacheInstance, Write};
use crate::engine::near::NearCache;
use crate::engine::resilience::{Jitter, RefreshAhead, Resilience};
use crate::error::Result;
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;
use std::time::Duration;

/// The URL and configuration options that set [`Resilience`] defaults, on any backend.
pub const RESILIENCE_OPTIONS: [&str; 6] = [
    "fail_safe",
    "fail_safe_throttle",
    "refresh_ahead",
    "jitter",
    "soft_timeout",
    "hard_timeout",
];

/// `inner`, with [`Resilience`] defaults for every function that caches in it; everything
/// else is `inner`'s. The registry builds one when a URL (or a configuration table) has
/// any of [`RESILIENCE_OPTIONS`], e.g. `redis://cache:6379?fail_safe=3600&refresh_ahead=0.8`.
///
/// ```
/// use easy_cache_core::testing::MapCache;
/// use easy_cache_core::{CacheInstance, Resilience, ResilientInstance};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let defaults = Resilience::new().fail_safe(Duration::from_secs(3600));
/// let cache = ResilientInstance::wrap(Arc::new(MapCache::default()), defaults);
/// assert_eq!(cache.name(), "map");
/// assert_eq!(cache.resilience(), Some(&defaults));
/// ```
pub struct ResilientInstance {
    inner: Arc<dyn CacheInstance>,
    defaults: Resilience,
}

impl ResilientInstance {
    /// `inner` with `defaults`; `inner` itself when `defaults` set nothing.
    pub fn wrap(inner: Arc<dyn CacheInstance>, defaults: Resilience) -> Arc<dyn CacheInstance> {
        if defaults.is_empty() {
            return inner;
        }
        Arc::new(ResilientInstance { inner, defaults })
    }

    /// Builds a backend from `url` with `build`, with the defaults the URL's
    /// [`RESILIENCE_OPTIONS`] set; `build` sees the URL without them.
    ///
    /// ```
    /// use easy_cache_core::testing::MapCache;
    /// use easy_cache_core::{BackendUrl, CacheInstance, ResilientInstance};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    ///
    /// let url = BackendUrl::parse("map://?fail_safe=600&refresh_ahead=0.8&hard_timeout=0.5")?;
    /// let cache = ResilientInstance::from_url(&url, |url| {
    ///     assert!(url.options.is_empty(), "the backend does not see them");
    ///     Ok(Arc::new(MapCache::default()))
    /// })?;
    /// let defaults = cache.resilience().unwrap();
    /// assert_eq!(defaults.fail_safe_max_stale(), Some(Duration::from_secs(600)));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn from_url(
        url: &BackendUrl,
        build: impl FnOnce(&BackendUrl) -> Result<Arc<dyn CacheInstance>>,
    ) -> Result<Arc<dyn CacheInstance>> {
        let mut url = url.clone();
        let defaults = from_options(&mut url.options)?;
        Ok(Self::wrap(build(&url)?, defaults))
    }

    /// The instance behind the defaults.
    pub fn inner(&self) -> &Arc<dyn CacheInstance> {
        &self.inner
    }
}

/// Takes [`RESILIENCE_OPTIONS`] out of `options`: durations in seconds (`30`, `0.25`);
/// `refresh_ahead` and `jitter` also take a fraction of the lifetime, written with a
/// decimal point from `0.0` to `1.0` (`0.8`), as the attribute's float literals are.
fn from_options(options: &mut Options) -> Result<Resilience> {
    let mut defaults = Resilience::new();
    if let Some(max_stale) = options.duration("fail_safe")? {
        defaults = defaults.fail_safe(max_stale);
    }
    if let Some(throttle) = options.duration("fail_safe_throttle")? {
        defaults = defaults.fail_safe_throttle(throttle);
    }
    if let Some(share) = share(options, "refresh_ahead")? {
        defaults = defaults.refresh_ahead(match share {
            Share::Fraction(f) => RefreshAhead::Fraction(f),
            Share::Duration(d) => RefreshAhead::After(d),
        });
    }
    if let Some(share) = share(options, "jitter")? {
        defaults = defaults.jitter(match share {
            Share::Fraction(f) => Jitter::Fraction(f),
            Share::Duration(d) => Jitter::UpTo(d),
        });
    }
    if let Some(after) = options.duration("soft_timeout")? {
        defaults = defaults.soft_timeout(after);
    }
    if let Some(limit) = options.duration("hard_timeout")? {
        defaults = defaults.hard_timeout(limit);
    }
    Ok(defaults)
}

enum Share {
    Fraction(f64),
    Duration(Duration),
}

/// A fraction of the lifetime (a decimal point, from 0 to 1) or whole seconds.
fn share(options: &mut Options, name: &str) -> Result<Option<Share>> {
    options.parsed(
        name,
        "a fraction of the lifetime from 0.0 to 1.0 (like `0.8`) or whole seconds",
        |text| {
            if !text.contains('.') {
                return text
                    .parse()
                    .ok()
                    .map(Duration::from_secs)
                    .map(Share::Duration);
            }
            let fraction: f64 = text.parse().ok()?;
            let plain = seconds(text).is_some();
            (plain && (0.0..=1.0).contains(&fraction)).then_some(Share::Fraction(fraction))
        },
    )
}

#[async_trait]
impl CacheInstance for ResilientInstance {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn in_process(&self) -> Option<&dyn InProcess> {
        self.inner.in_process()
    }

    fn near_cache(&self) -> Option<&NearCache> {
        self.inner.near_cache()
    }

    fn default_timeout(&self) -> Option<Duration> {
        self.inner.default_timeout()
    }

    fn resilience(&self) -> Option<&Resilience> {
        Some(&self.defaults)
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.inner.get_many(keys).await
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        self.inner.set(key, value, timeout).await
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        self.inner.set_many(entries, timeout).await
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        self.inner.add(key, value, timeout).await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        self.inner.delete(key).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        self.inner.delete_many(keys).await
    }

    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        self.inner.write_batch(writes).await
    }

    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.inner.keep_alive(key, timeout).await
    }
}

impl std::fmt::Debug for ResilientInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResilientInstance")
            .field("inner", &self.inner.name())
            .field("defaults", &self.defaults)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MapCache;

    fn defaults_of(url: &str) -> Result<Resilience> {
        from_options(&mut BackendUrl::parse(url)?.options)
    }

    #[test]
    fn every_option_is_read_from_a_url() {
        let got = defaults_of(
            "map://?fail_safe=3600&fail_safe_throttle=10&refresh_ahead=0.75&jitter=5&soft_timeout=0.1&hard_timeout=2",
        )
        .unwrap();
        let want = Resilience::new()
            .fail_safe(Duration::from_secs(3600))
            .fail_safe_throttle(Duration::from_secs(10))
            .refresh_ahead(RefreshAhead::Fraction(0.75))
            .jitter(Jitter::UpTo(Duration::from_secs(5)))
            .soft_timeout(Duration::from_millis(100))
            .hard_timeout(Duration::from_secs(2));
        assert_eq!(got, want);
        let shares = defaults_of("map://?refresh_ahead=30&jitter=0.1").unwrap();
        assert_eq!(
            shares,
            Resilience::new()
                .refresh_ahead(RefreshAhead::After(Duration::from_secs(30)))
                .jitter(Jitter::Fraction(0.1))
        );
    }

    #[test]
    fn a_bad_value_names_the_option_and_what_it_takes() {
        for (url, option) in [
            ("map://?fail_safe=an+hour", "fail_safe"),
            ("map://?refresh_ahead=1.5", "refresh_ahead"),
            ("map://?jitter=-0.1", "jitter"),
            ("map://?hard_timeout=inf", "hard_timeout"),
        ] {
            let err = defaults_of(url).unwrap_err();
            assert!(err.message().contains(option), "{url}: {err}");
        }
    }

    #[test]
    fn no_option_no_wrapper() {
        let inner: Arc<dyn CacheInstance> = Arc::new(MapCache::default());
        let url = BackendUrl::parse("map://").unwrap();
        let built = ResilientInstance::from_url(&url, |_| Ok(Arc::clone(&inner))).unwrap();
        assert!(Arc::ptr_eq(&built, &inner));
        assert!(built.resilience().is_none());
    }

    #[test]
    fn a_function_option_wins_and_an_option_turned_off_stays_off() {
        use crate::engine::resilience::ResilienceOption;
        let instance = Resilience::new()
            .fail_safe(Duration::from_secs(600))
            .jitter(Jitter::Fraction(0.2))
            .hard_timeout(Duration::from_secs(1));
        let function = Resilience::new()
            .fail_safe(Duration::from_secs(60))
            .without(ResilienceOption::Jitter);
        let merged = function.or(&instance);
        assert_eq!(merged.fail_safe, Some(Duration::from_secs(60)));
        assert_eq!(merged.jitter, None);
        assert_eq!(merged.hard_timeout, Some(Duration::from_secs(1)));
        assert_eq!(Resilience::new().or(&instance), instance);
    }
}
