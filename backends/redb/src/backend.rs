//! The redb [`CacheInstance`]: opens its database on first use, purges in the background.

use crate::{RedbConfig, open, purge, store::Store};
use async_trait::async_trait;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, InProcess, Result, Timeout, Write};
use easy_cache_disk::{LazyOpen, Purger};
use std::{
    fmt,
    sync::{Arc, atomic::AtomicBool},
};

/// A cache in a redb database file on local disk: crash-safe (every write is durable when
/// it returns), survives restarts, per-entry lifetimes enforced on read and purged in the
/// background, atomic `add`, optionally bounded by `max_entries`.
///
/// The database is opened on first use, not by [`new`](RedbCache::new), so an application
/// starts even while the file is unavailable (locked by another process, not mounted); each
/// call retries until it opens. Caches of one process on the same file share one redb
/// `Database` (redb allows only one per file); another process on it gets
/// `ErrorKind::Backend` until the first one exits.
///
/// ```
/// use easy_cache_core::{CacheInstance, Timeout};
/// use easy_cache_redb::{RedbCache, RedbConfig};
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = RedbCache::new(RedbConfig::temporary())?;
/// assert!(cache.add("k", "v".into(), Timeout::secs(60)).await?);
/// assert!(!cache.add("k", "w".into(), Timeout::secs(60)).await?);
/// assert_eq!(cache.get("k").await?.as_deref(), Some(&b"v"[..]));
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub struct RedbCache {
    config: RedbConfig,
    name: String,
    opened: LazyOpen<Opened>,
}

/// The open store and its purge thread.
struct Opened {
    /// Declared first so it is dropped first: the thread is joined before the store goes.
    _purger: Option<Purger>,
    store: Arc<Store>,
}

impl RedbCache {
    /// A cache configured by `config` (validated; nothing is opened yet).
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, ErrorKind};
    /// use easy_cache_redb::{RedbCache, RedbConfig};
    /// let cache = RedbCache::new(RedbConfig::temporary()).unwrap();
    /// assert_eq!(cache.name(), "redb://?temporary=true");
    ///
    /// // The configuration is validated up front.
    /// let err = RedbCache::new(RedbConfig::new("relative.redb")).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Config);
    /// ```
    pub fn new(config: RedbConfig) -> Result<Self> {
        config.validate()?;
        Ok(RedbCache {
            name: config.display_url(),
            config,
            opened: LazyOpen::new("redb"),
        })
    }

    /// The configuration this cache was built from.
    ///
    /// ```
    /// use easy_cache_redb::{RedbCache, RedbConfig};
    /// let cache = RedbCache::new(RedbConfig::temporary().key_prefix("app:")).unwrap();
    /// assert_eq!(cache.config().key_prefix, "app:");
    /// ```
    pub fn config(&self) -> &RedbConfig {
        &self.config
    }

    /// The redb database holding this cache's table (opening it if needed), for inspection
    /// and maintenance. Records are in the table named `table` (`&[u8]` keys and values),
    /// under `key_prefix + key`, as an 8-byte big-endian expiry (Unix milliseconds, 0 =
    /// never) followed by the value.
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_redb::redb::{ReadableDatabase, ReadableTable, TableDefinition};
    /// use easy_cache_redb::{RedbCache, RedbConfig};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = RedbCache::new(RedbConfig::temporary().key_prefix("app:"))?;
    /// cache.set("k", "v".into(), Timeout::Never).await?;
    /// let txn = cache.database()?.begin_read().unwrap();
    /// let records: TableDefinition<&[u8], &[u8]> = TableDefinition::new("easy_cache");
    /// let table = txn.open_table(records).unwrap();
    /// let record = table.get(&b"app:k"[..]).unwrap().expect("stored under the prefixed key");
    /// assert_eq!(&record.value()[..8], &[0u8; 8]); // expiry 0: never expires
    /// assert_eq!(&record.value()[8..], b"v");
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub fn database(&self) -> Result<&redb::Database> {
        self.store()?.database()
    }

    /// Removes every expired record of this cache now (the background purge does this every
    /// `purge_interval_secs`); returns how many were removed.
    ///
    /// ```
    /// use easy_cache_core::{CacheInstance, Timeout};
    /// use easy_cache_redb::{RedbCache, RedbConfig};
    /// use std::time::Duration;
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = RedbCache::new(RedbConfig::temporary())?;
    /// cache.set("short", "a".into(), Timeout::After(Duration::from_millis(1))).await?;
    /// cache.set("long", "b".into(), Timeout::Never).await?;
    /// std::thread::sleep(Duration::from_millis(20));
    /// assert_eq!(cache.purge_expired()?, 1);
    /// assert_eq!(cache.get("long").await?.as_deref(), Some(&b"b"[..]));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub fn purge_expired(&self) -> Result<usize> {
        purge::purge_expired(self.store()?, &AtomicBool::new(false))
    }

    /// The open store, opening it on first use.
    #[inline]
    fn store(&self) -> Result<&Store> {
        let opened = self.opened.get(&self.name, || self.open())?;
        Ok(&opened.store)
    }

    fn open(&self) -> Result<Opened> {
        let db = open::open_db(&self.config)?;
        let store = Arc::new(Store::new(db, &self.config, self.name.clone())?);
        let purger = self.config.purge_interval_duration().and_then(|every| {
            let store = Arc::downgrade(&store);
            Purger::spawn(store, every, &self.name, "redb", purge::purge_expired)
        });
        Ok(Opened {
            _purger: purger,
            store,
        })
    }
}

impl fmt::Debug for RedbCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedbCache")
            .field("name", &self.name)
            .field("table", &self.config.table)
            .field("key_prefix", &self.config.key_prefix)
            .field("open", &self.opened.is_open())
            .finish()
    }
}

// redb reads answer in-process from its page cache: skip the future, and lend the value
// from its page rather than copying it into `Bytes`.
impl InProcess for RedbCache {
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
impl CacheInstance for RedbCache {
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

    #[test]
    fn the_engine_is_told_the_default_timeout() {
        let config = RedbConfig::temporary().default_timeout(Duration::from_secs(9));
        let cache = RedbCache::new(config).unwrap();
        assert_eq!(cache.default_timeout(), Some(Duration::from_secs(9)));
        let cache = RedbCache::new(RedbConfig::temporary()).unwrap();
        assert_eq!(cache.default_timeout(), None);
    }

    #[test]
    fn nothing_touches_the_disk_before_first_use() {
        let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("easy-cache-redb-lazy-{nanos}"));
        let file = dir.join("cache.redb");
        let cache = RedbCache::new(RedbConfig::new(&file)).unwrap();
        assert!(!dir.exists(), "new must not open the database");
        assert!(format!("{cache:?}").contains("open: false"));
        cache.database().unwrap();
        assert!(file.is_file());
        drop(cache);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failing_open_warns_once_then_logs_at_debug() {
        // A directory where the database file should be.
        let nanos = std::time::UNIX_EPOCH.elapsed().unwrap().as_nanos();
        let dir = std::env::temp_dir().join(format!("easy-cache-redb-isdir-{nanos}"));
        std::fs::create_dir(&dir).unwrap();
        let cache = RedbCache::new(RedbConfig::new(&dir)).unwrap();
        let (results, logs) = easy_cache_test_support::capture_logs(tracing::Level::DEBUG, || {
            [cache.get_now("k"), cache.get_now("k")]
        });
        let log = logs.text();
        std::fs::remove_dir(&dir).unwrap();
        for result in results {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), easy_cache_core::ErrorKind::Backend, "{err}");
        }
        assert_eq!(log.matches("WARN").count(), 1, "{log}");
        assert!(log.contains("still not open"), "{log}");
    }

    #[test]
    fn dropping_the_cache_stops_its_purge_thread_and_removes_a_temporary_file() {
        let cache = RedbCache::new(RedbConfig::temporary()).unwrap();
        // Opening starts the purge thread.
        let file = cache.store().unwrap().temporary_file().unwrap().to_owned();
        assert!(file.is_file(), "{}", file.display());
        let started = Instant::now();
        // The purge interval is 60 s: only the stop signal can end the thread this soon.
        drop(cache);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(5), "{took:?}");
        assert!(!file.exists(), "the temporary file is removed");
    }
}
