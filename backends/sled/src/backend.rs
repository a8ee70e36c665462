//! The sled [`CacheInstance`]: opens its database on first use, purges in the background.

use crate::{
    SledConfig, open, purge,
    store::{Store, backend_error},
};
use async_trait::async_trait;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, InProcess, Result, Timeout, Write};
use easy_cache_disk::{LazyOpen, Purger};
use std::{
    fmt,
    sync::{Arc, atomic::AtomicBool},
};

/// A cache in a sled database on local disk: survives restarts, per-entry lifetimes
/// enforced on read and purged in the background, atomic `add`.
///
/// The database is opened on first use, not by [`new`](SledCache::new), so an application
/// starts even while the directory is unavailable (locked by another process, not mounted);
/// each call retries until it opens. Caches of one process on the same directory share one
/// sled `Db` (sled allows only one per directory); another process on it gets
/// `ErrorKind::Backend` until the first one exits.
///
/// ```
/// use easy_cache_core::{CacheInstance, Timeout};
/// use easy_cache_sled::{SledCache, SledConfig};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = SledCache::new(SledConfig::temporary())?;
/// assert!(cache.add("k", "v".into(), Timeout::secs(60)).await?);
/// assert!(!cache.add("k", "w".into(), Timeout::secs(60)).await?);
/// assert_eq!(cache.get("k").await?.as_deref(), Some(&b"v"[..]));
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub struct SledCache {
    config: SledConfig,
    name: String,
    opened: LazyOpen<Opened>,
}

/// The open store and its purge thread.
struct Opened {
    /// Declared first so it is dropped first: the thread is joined before the store goes.
    _purger: Option<Purger>,
    store: Arc<Store>,
}

impl SledCache {
    /// A cache configured by `config` (validated; nothing is opened yet).
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, ErrorKind};
    /// use easy_cache_sled::{SledCache, SledConfig};
    /// let cache = SledCache::new(SledConfig::temporary()).unwrap();
    /// assert_eq!(cache.name(), "sled://?temporary=true");
    ///
    /// // The configuration is validated up front.
    /// let err = SledCache::new(SledConfig::new("relative/dir")).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// ```
    pub fn new(config: SledConfig) -> Result<Self> {
        config.validate()?;
        Ok(SledCache {
            name: config.display_url(),
            config,
            opened: LazyOpen::new("sled"),
        })
    }

    /// The configuration this cache was built from.
    ///
    /// ```
    /// use easy_cache_sled::{SledCache, SledConfig};
    /// let cache = SledCache::new(SledConfig::temporary().key_prefix("app:")).unwrap();
    /// assert_eq!(cache.config().key_prefix, "app:");
    /// assert!(cache.config().temporary);
    /// ```
    pub fn config(&self) -> &SledConfig {
        &self.config
    }

    /// The sled tree holding this cache's records (opening the database if needed), for
    /// inspection and maintenance. Records are stored under `key_prefix + key` as an 8-byte
    /// big-endian expiry (Unix milliseconds, 0 = never) followed by the value. A tree kept
    /// after the cache is dropped keeps the database open, and its directory locked.
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_sled::{SledCache, SledConfig};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = SledCache::new(SledConfig::temporary().key_prefix("app:"))?;
    /// cache.set("k", "v".into(), Timeout::Never).await?;
    /// let tree = cache.tree()?;
    /// let record = tree.get("app:k").unwrap().expect("stored under the prefixed key");
    /// assert_eq!(&record[..8], &[0u8; 8]); // expiry 0: never expires
    /// assert_eq!(&record[8..], b"v");
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub fn tree(&self) -> Result<sled::Tree> {
        Ok(self.store()?.tree.clone())
    }

    /// Removes every expired record of this cache now (the background purge does this every
    /// `purge_interval_secs`); returns how many were removed.
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_sled::{SledCache, SledConfig};
    /// use std::time::Duration;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = SledCache::new(SledConfig::temporary())?;
    /// cache.set("short", "a".into(), Timeout::After(Duration::from_millis(1))).await?;
    /// cache.set("long", "b".into(), Timeout::Never).await?;
    /// std::thread::sleep(Duration::from_millis(20));
    /// assert_eq!(cache.purge_expired()?, 1);
    /// assert_eq!(cache.tree()?.len(), 1);
    /// assert_eq!(cache.get("long").await?.as_deref(), Some(&b"b"[..]));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub fn purge_expired(&self) -> Result<usize> {
        purge::purge_expired(self.store()?, &AtomicBool::new(false))
    }

    /// Writes everything stored so far to disk, blocking until done. sled also flushes every
    /// `flush_every_ms` and when the last cache on the database is dropped.
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_sled::{SledCache, SledConfig};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = SledCache::new(SledConfig::temporary())?;
    /// cache.set("k", "v".into(), Timeout::Never).await?;
    /// // Returns the number of bytes written: something was pending.
    /// assert!(cache.flush()? > 0);
    /// assert_eq!(cache.get("k").await?.as_deref(), Some(&b"v"[..]));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub fn flush(&self) -> Result<usize> {
        let store = self.store()?;
        store
            .tree
            .flush()
            .map_err(|e| backend_error(&store.name, "flush", e))
    }

    /// Like [`flush`](SledCache::flush), without blocking the calling thread.
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_sled::{SledCache, SledConfig};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = SledCache::new(SledConfig::temporary())?;
    /// cache.set("k", "v".into(), Timeout::Never).await?;
    /// assert!(cache.flush_async().await? > 0);
    /// assert_eq!(cache.get("k").await?.as_deref(), Some(&b"v"[..]));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn flush_async(&self) -> Result<usize> {
        let store = self.store()?;
        store
            .tree
            .flush_async()
            .await
            .map_err(|e| backend_error(&store.name, "flush", e))
    }

    /// The open store, opening it on first use.
    #[inline]
    fn store(&self) -> Result<&Store> {
        let opened = self.opened.get(&self.name, || self.open())?;
        Ok(&opened.store)
    }

    fn open(&self) -> Result<Opened> {
        let db = open::open_db(&self.config)?;
        let store = Arc::new(Store::new(
            db,
            &self.config.tree,
            &self.config.key_prefix,
            self.config.default_timeout,
            self.name.clone(),
        )?);
        let purger = self.config.purge_interval_duration().and_then(|every| {
            let store = Arc::downgrade(&store);
            Purger::spawn(store, every, &self.name, "sled", purge::purge_expired)
        });
        Ok(Opened {
            _purger: purger,
            store,
        })
    }
}

impl fmt::Debug for SledCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledCache")
            .field("name", &self.name)
            .field("tree", &self.config.tree)
            .field("key_prefix", &self.config.key_prefix)
            .field("open", &self.opened.is_open())
            .finish()
    }
}

// sled answers in-process without waiting on I/O for cached pages: skip the future, and
// lend its record rather than copying it into `Bytes`.
impl InProcess for SledCache {
    fn get_now(&self, key: &str) -> Result<Option<Bytes>> {
        self.store()?.get(key)
    }

    fn get_many_now(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.store()?.get_many(keys)
    }

    fn lend(&self, key: &str, read: &mut dyn FnMut(Option<&[u8]>)) -> Result<bool> {
        self.store()?.peek(key, read).map(|()| true)
    }
}

#[async_trait]
impl CacheInstance for SledCache {
    fn name(&self) -> &str {
        &self.name
    }

    fn default_timeout(&self) -> Option<std::time::Duration> {
        self.config.default_timeout
    }

    fn in_process(&self) -> Option<&dyn InProcess> {
        Some(self)
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.store()?.get(key)
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.store()?.get_many(keys)
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        self.store()?.set(key, &value, timeout)
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        self.store()?.set_many(entries, timeout)
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        self.store()?.add(key, &value, timeout)
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        self.store()?.delete(key)
    }

    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.store()?.keep_alive(key, timeout)
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        self.store()?.delete_many(keys)
    }

    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        self.store()?.write_batch(writes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Runs `f` with its DEBUG and above logs captured; returns its output and the log text.
    fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
        let (out, logs) = easy_cache_test_support::capture_logs(tracing::Level::DEBUG, f);
        (out, logs.text())
    }

    #[test]
    fn nothing_touches_the_disk_before_first_use() {
        let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("easy-cache-sled-lazy-{nanos}"));
        let cache = SledCache::new(SledConfig::new(&dir)).unwrap();
        assert!(!dir.exists(), "new must not open the database");
        assert!(format!("{cache:?}").contains("open: false"));
        cache.tree().unwrap();
        assert!(dir.is_dir());
        drop(cache);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_record_is_logged_as_a_warning() {
        let cache = SledCache::new(SledConfig::temporary()).unwrap();
        cache.tree().unwrap().insert("bad", &b"abc"[..]).unwrap();
        let (got, log) = logged(|| cache.get_now("bad").unwrap());
        assert_eq!(got, None);
        assert!(
            log.contains("WARN") && log.contains("shorter than"),
            "{log}"
        );
        assert!(log.contains("key=bad"), "{log}");
        assert_eq!(cache.tree().unwrap().get("bad").unwrap(), None);
    }

    #[test]
    fn a_failing_open_warns_once_then_logs_at_debug() {
        let file =
            std::env::temp_dir().join(format!("easy-cache-sled-file-{}", std::process::id()));
        std::fs::write(&file, b"not a directory").unwrap();
        let cache = SledCache::new(SledConfig::new(&file)).unwrap();
        let (results, log) = logged(|| [cache.get_now("k"), cache.get_now("k")]);
        std::fs::remove_file(&file).unwrap();
        for result in results {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), easy_cache_core::ErrorKind::Backend, "{err}");
        }
        assert_eq!(log.matches("WARN").count(), 1, "{log}");
        assert!(log.contains("still not open"), "{log}");
    }

    #[test]
    fn dropping_the_cache_stops_its_purge_thread_at_once() {
        let cache = SledCache::new(SledConfig::temporary()).unwrap();
        // Opening starts the purge thread.
        cache.tree().unwrap();
        let started = Instant::now();
        // The purge interval is 60 s: only the stop signal can end the thread this soon.
        drop(cache);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    fn assert_send<T: Send>(value: T) -> T {
        value
    }

    #[tokio::test]
    async fn flushes_on_demand_without_blocking_the_runtime() {
        let cache = SledCache::new(SledConfig::temporary().flush_every(Duration::ZERO)).unwrap();
        cache.set("k", "v".into(), Timeout::Never).await.unwrap();
        // The future can move to another worker (tokio::spawn needs Send).
        assert_send(cache.flush_async()).await.unwrap();
        cache.flush().unwrap();
        assert!(format!("{cache:?}").contains("open: true"));
    }
}
