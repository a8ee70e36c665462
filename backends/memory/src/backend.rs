//! The in-memory [`CacheInstance`], on a moka concurrent cache.

use crate::MemoryConfig;
use async_trait::async_trait;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, InProcess, NearCache, NearConfig, Result, Timeout};
use moka::Expiry;
use moka::ops::compute::{CompResult, Op};
use moka::sync::Cache;
use std::time::{Duration, Instant};

/// A stored value and its own lifetime.
#[derive(Clone)]
struct Stored {
    bytes: Bytes,
    ttl: Option<Duration>,
    /// Written by `keep_alive`: the lifetime becomes the longer of `ttl` and what is left.
    at_least: bool,
}

/// Gives every entry the lifetime it was stored with.
struct PerEntryTtl;

impl Expiry<String, Stored> for PerEntryTtl {
    fn expire_after_create(&self, _: &String, value: &Stored, _: Instant) -> Option<Duration> {
        value.ttl
    }

    fn expire_after_update(
        &self,
        _: &String,
        value: &Stored,
        _: Instant,
        remaining: Option<Duration>,
    ) -> Option<Duration> {
        match (value.at_least, value.ttl, remaining) {
            (true, Some(ttl), Some(remaining)) => Some(ttl.max(remaining)),
            (true, _, _) => None, // one of them is "never"
            (false, ttl, _) => ttl,
        }
    }
}

/// Rough bookkeeping cost of one entry beyond its key and value bytes.
const ENTRY_OVERHEAD_BYTES: usize = 96;

/// An in-process cache: per-entry timeouts, bounded by entries or bytes, atomic `add`.
///
/// ```
/// use easy_cache_core::{CacheInstance, Timeout};
/// use easy_cache_memory::{MemoryCache, MemoryConfig};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = MemoryCache::new(MemoryConfig::default().max_capacity(1000));
/// assert!(cache.add("k", "v".into(), Timeout::Never).await?);
/// assert!(!cache.add("k", "w".into(), Timeout::Never).await?);
/// assert_eq!(cache.get("k").await?.as_deref(), Some(&b"v"[..]));
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub struct MemoryCache {
    entries: Cache<String, Stored, foldhash::fast::RandomState>,
    default_timeout: Option<Duration>,
    /// Decoded values in front of `entries`; told of every set and delete.
    near: Option<NearCache>,
}

impl MemoryCache {
    /// A cache configured by `config`.
    ///
    /// ```
    /// use easy_cache_core::CacheInstance;
    /// use easy_cache_memory::{MemoryCache, MemoryConfig};
    /// let cache = MemoryCache::new(MemoryConfig::default().max_bytes(1 << 20));
    /// assert_eq!(cache.name(), "memory");
    /// assert_eq!(cache.entry_count(), 0);
    /// ```
    pub fn new(config: MemoryConfig) -> Self {
        let mut builder = Cache::builder().expire_after(PerEntryTtl);
        if let Some(bytes) = config.max_bytes {
            builder = builder
                .max_capacity(bytes)
                .weigher(|key: &String, value: &Stored| {
                    u32::try_from(key.len() + value.bytes.len() + ENTRY_OVERHEAD_BYTES)
                        .unwrap_or(u32::MAX)
                });
        } else if let Some(entries) = config.max_capacity {
            builder = builder.max_capacity(entries);
        }
        let near = Some(config.near_entries())
            .filter(|&n| n > 0)
            .map(|entries| {
                NearCache::new(NearConfig::new(entries).default_timeout(config.default_timeout))
            });
        MemoryCache {
            // foldhash: a fraction of SipHash's cost per lookup, still randomly seeded.
            entries: builder.build_with_hasher(foldhash::fast::RandomState::default()),
            default_timeout: config.default_timeout,
            near,
        }
    }

    /// The number of live entries (approximate until pending maintenance runs).
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_memory::MemoryCache;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MemoryCache::default();
    /// cache.set("a", "1".into(), Timeout::Never).await?;
    /// cache.set("b", "2".into(), Timeout::Never).await?;
    /// cache.run_pending_tasks();
    /// assert_eq!(cache.entry_count(), 2);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub fn entry_count(&self) -> u64 {
        self.entries.entry_count()
    }

    /// Runs moka's pending maintenance (evictions, expirations) now; useful in tests.
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_memory::{MemoryCache, MemoryConfig};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MemoryCache::new(MemoryConfig::default().max_capacity(10));
    /// for i in 0..100 {
    ///     cache.set(&format!("k{i}"), "v".into(), Timeout::Never).await?;
    /// }
    /// cache.run_pending_tasks(); // evicts down to the bound now
    /// assert!(cache.entry_count() <= 10);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub fn run_pending_tasks(&self) {
        self.entries.run_pending_tasks();
    }

    /// Tells the near cache that `key` was written or deleted.
    fn changed(&self, key: &str) {
        if let Some(near) = &self.near {
            near.changed(key);
        }
    }

    fn stored(&self, value: Bytes, timeout: Timeout) -> Stored {
        Stored {
            bytes: value,
            ttl: timeout.resolve(self.default_timeout),
            at_least: false,
        }
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        MemoryCache::new(MemoryConfig::default())
    }
}

impl std::fmt::Debug for MemoryCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCache")
            .field("entries", &self.entries.entry_count())
            .field("default_timeout", &self.default_timeout)
            .finish()
    }
}

// Every read answers at once: the engine skips the future of the async methods.
impl InProcess for MemoryCache {
    fn get_now(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self.entries.get(key).map(|stored| stored.bytes))
    }

    fn get_many_now(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        Ok(keys
            .iter()
            .map(|key| self.entries.get(*key).map(|stored| stored.bytes))
            .collect())
    }
}

#[async_trait]
impl CacheInstance for MemoryCache {
    fn name(&self) -> &str {
        "memory"
    }

    fn default_timeout(&self) -> Option<Duration> {
        self.default_timeout
    }

    fn in_process(&self) -> Option<&dyn InProcess> {
        Some(self)
    }

    fn near_cache(&self) -> Option<&NearCache> {
        self.near.as_ref()
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self.entries.get(key).map(|stored| stored.bytes))
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        Ok(keys
            .iter()
            .map(|key| self.entries.get(*key).map(|stored| stored.bytes))
            .collect())
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        if timeout.is_zero() {
            self.entries.invalidate(key);
        } else {
            self.entries
                .insert(key.to_owned(), self.stored(value, timeout));
        }
        self.changed(key);
        Ok(())
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        if timeout.is_zero() {
            return Ok(false);
        }
        let entry = self
            .entries
            .entry_by_ref(key)
            .or_insert_with(|| self.stored(value, timeout));
        Ok(entry.is_fresh())
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        // Through the key's compute lock, as `keep_alive`: moka's plain `remove` does not
        // take it, so a `keep_alive` that read the value before the removal would put it
        // back after (a deleted tag version brought back to life).
        let removed = self
            .entries
            .entry_by_ref(key)
            .and_compute_with(|current| match current {
                Some(_) => Op::Remove,
                None => Op::Nop,
            });
        self.changed(key);
        Ok(matches!(removed, CompResult::Removed(_)))
    }

    /// Serialized with `delete` of the key (both take moka's compute lock), so a deleted key
    /// stays deleted. An `add` cannot slip in between its read and its write either: the key
    /// is present then, and only a `delete`, which waits, could make room. A plain `set` of
    /// the same key at the same moment may be undone by it: the engine never `set`s a
    /// version key, the only keys it keeps alive.
    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        let ttl = timeout.resolve(self.default_timeout);
        // An update with `at_least` set: the expiry policy keeps the longer lifetime.
        self.entries
            .entry_by_ref(key)
            .and_compute_with(|current| match current {
                Some(entry) => Op::Put(Stored {
                    bytes: entry.into_value().bytes,
                    ttl,
                    at_least: true,
                }),
                None => Op::Nop,
            });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn per_entry_timeouts_expire_independently() {
        run(async {
            let cache = MemoryCache::default();
            let short = Timeout::After(Duration::from_millis(50));
            cache.set("short", "a".into(), short).await.unwrap();
            cache.set("long", "b".into(), Timeout::Never).await.unwrap();
            tokio::time::sleep(Duration::from_millis(120)).await;
            assert_eq!(cache.get("short").await.unwrap(), None);
            assert!(cache.get("long").await.unwrap().is_some());
        });
    }

    #[test]
    fn default_timeout_applies_to_timeout_default() {
        run(async {
            let cache = MemoryCache::new(
                MemoryConfig::default().default_timeout(Duration::from_millis(50)),
            );
            cache.set("k", "v".into(), Timeout::Default).await.unwrap();
            cache.set("n", "v".into(), Timeout::Never).await.unwrap();
            tokio::time::sleep(Duration::from_millis(120)).await;
            assert_eq!(cache.get("k").await.unwrap(), None);
            assert!(cache.get("n").await.unwrap().is_some());
        });
    }

    #[test]
    fn entry_capacity_is_bounded() {
        run(async {
            let cache = MemoryCache::new(MemoryConfig::default().max_capacity(100));
            for i in 0..1000 {
                cache
                    .set(&format!("k{i}"), "v".into(), Timeout::Never)
                    .await
                    .unwrap();
            }
            cache.run_pending_tasks();
            assert!(
                cache.entry_count() <= 100,
                "{} entries",
                cache.entry_count()
            );
        });
    }

    #[test]
    fn byte_capacity_is_bounded() {
        run(async {
            let cache = MemoryCache::new(MemoryConfig::default().max_bytes(100_000));
            let value = Bytes::from(vec![7u8; 1000]);
            for i in 0..1000 {
                cache
                    .set(&format!("k{i}"), value.clone(), Timeout::Never)
                    .await
                    .unwrap();
            }
            cache.run_pending_tasks();
            assert!(
                cache.entry_count() <= 100,
                "{} entries",
                cache.entry_count()
            );
        });
    }

    #[test]
    fn add_is_atomic_across_threads() {
        let cache = std::sync::Arc::new(MemoryCache::default());
        let winners: usize = (0..8)
            .map(|i| {
                let cache = cache.clone();
                std::thread::spawn(move || {
                    run(cache.add("race", Bytes::from(vec![i]), Timeout::Never)).unwrap()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| usize::from(t.join().unwrap()))
            .sum();
        assert_eq!(winners, 1);
    }

    /// A deleted tag version brought back by a concurrent `keep_alive` would validate the
    /// entries its invalidation meant to drop (the concurrency test found it: 1 723 stale
    /// reads in 357 697 calls).
    #[test]
    fn keep_alive_never_brings_back_a_key_deleted_meanwhile() {
        let cache = std::sync::Arc::new(MemoryCache::default());
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let keepers: Vec<_> = (0..2)
            .map(|_| {
                let (cache, stop) = (cache.clone(), stop.clone());
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        run(cache.keep_alive("version", Timeout::secs(60))).unwrap();
                    }
                })
            })
            .collect();
        let mut back = 0;
        run(async {
            for round in 0..20_000u32 {
                let token = Bytes::from(round.to_le_bytes().to_vec());
                cache.add("version", token, Timeout::secs(1)).await.unwrap();
                cache.delete("version").await.unwrap();
                if cache.get("version").await.unwrap().is_some() {
                    back += 1;
                }
            }
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for keeper in keepers {
            keeper.join().unwrap();
        }
        assert_eq!(back, 0, "deleted keys came back");
    }

    #[test]
    fn add_succeeds_over_an_expired_entry_and_zero_timeout_stores_nothing() {
        run(async {
            let cache = MemoryCache::default();
            cache
                .set("k", "old".into(), Timeout::After(Duration::from_millis(30)))
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(80)).await;
            assert!(cache.add("k", "new".into(), Timeout::Never).await.unwrap());
            cache
                .set("z", "v".into(), Timeout::After(Duration::ZERO))
                .await
                .unwrap();
            assert_eq!(cache.get("z").await.unwrap(), None);
        });
    }
}
