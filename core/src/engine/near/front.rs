//! A near cache in front of any backend that has none of its own: [`NearFront`] forwards
//! every call and tells the near cache of each write and delete made through it.

use super::{NearCache, NearConfig};
use crate::backend::in_process::InProcess;
use crate::backend::timeout::Timeout;
use crate::backend::url::BackendUrl;
use crate::backend::{CacheInstance, Write, WriteMode};
use crate::error::Result;
use async_trait::async_trait;
use bytes::Bytes;
use std::sync::Arc;

/// `inner` with a near cache in front. Writes made through it (by this process) reach the
/// near cache before they return; writes by other processes are not seen, so on a shared
/// backend (Memcached, sled opened by several processes) a value changed elsewhere may be
/// served here for up to [`NearConfig::near_ttl`]: set one.
///
/// ```
/// use easy_cache_core::testing::{MapCache, run};
/// use easy_cache_core::{CacheInstance, NearConfig, NearFront, Timeout};
/// use std::time::Duration;
///
/// let config = NearConfig::new(10_000).near_ttl(Some(Duration::from_secs(5)));
/// let cache = NearFront::new(MapCache::default(), config);
/// assert_eq!(cache.near_cache().unwrap().config().capacity(), 10_000);
/// run(async {
///     cache.set("k", "v".into(), Timeout::Never).await?; // the near cache forgets `k`
///     assert_eq!(cache.get("k").await?.as_deref(), Some(&b"v"[..]));
///     Ok(())
/// });
/// ```
pub struct NearFront<B> {
    inner: B,
    near: NearCache,
}

impl<B: CacheInstance> NearFront<B> {
    /// `inner` behind a near cache bounded by `config`.
    pub fn new(inner: B, config: NearConfig) -> Self {
        NearFront {
            inner,
            near: NearCache::new(config),
        }
    }

    /// Builds a backend from `url` with `build`, behind a near cache when the URL asks for
    /// one (`near_capacity` above 0, `near_ttl`: see [`NearConfig::from_options`]); `build`
    /// sees the URL without those options.
    pub fn from_url(
        url: &BackendUrl,
        build: impl FnOnce(&BackendUrl) -> Result<B>,
    ) -> Result<Arc<dyn CacheInstance>> {
        let mut url = url.clone();
        let near = NearConfig::from_options(&mut url.options)?;
        let inner = build(&url)?;
        Ok(match near {
            Some(config) => Arc::new(NearFront::new(inner, config)),
            None => Arc::new(inner),
        })
    }

    /// The backend behind the near cache.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    fn changed<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        for key in keys {
            self.near.changed(key);
        }
    }
}

#[async_trait]
impl<B: CacheInstance> CacheInstance for NearFront<B> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn in_process(&self) -> Option<&dyn InProcess> {
        self.inner.in_process()
    }

    fn near_cache(&self) -> Option<&NearCache> {
        Some(&self.near)
    }

    fn default_timeout(&self) -> Option<std::time::Duration> {
        self.inner.default_timeout()
    }

    fn resilience(&self) -> Option<&crate::Resilience> {
        self.inner.resilience()
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.inner.get_many(keys).await
    }

    // Each write tells the near cache even when it failed: it may have landed in part.
    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        let set = self.inner.set(key, value, timeout).await;
        self.changed([key]);
        set
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        let set = self.inner.set_many(entries, timeout).await;
        self.changed(entries.iter().map(|(key, _)| *key));
        set
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        // An add stores only where nothing is stored: no value it could hide.
        self.inner.add(key, value, timeout).await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let deleted = self.inner.delete(key).await;
        self.changed([key]);
        deleted
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        let deleted = self.inner.delete_many(keys).await;
        self.changed(keys.iter().copied());
        deleted
    }

    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        let written = self.inner.write_batch(writes).await;
        let sets = writes.iter().filter(|w| w.mode == WriteMode::Set);
        self.changed(sets.map(|w| w.key.as_str()));
        written
    }

    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.inner.keep_alive(key, timeout).await
    }
}

impl<B: CacheInstance + std::fmt::Debug> std::fmt::Debug for NearFront<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NearFront")
            .field("inner", &self.inner)
            .field("near", &self.near)
            .finish()
    }
}
