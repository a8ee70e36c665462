//! Test doubles: small backends and helpers for examples, unit tests, the workspace's
//! tests and benches. Not for production use.
//!
//! ```
//! use easy_cache_core::testing::*;
//! use easy_cache_core::{CacheInstance, Timeout};
//!
//! run(async {
//!     let cache = MapCache::default();
//!     cache.set("a", "1".into(), Timeout::Never).await?;
//!     assert_eq!(cache.get("a").await?, Some("1".into()));
//!     assert!(DownCache.get("a").await.is_err());
//!     Ok(())
//! });
//! ```

use crate::alias_lookup::InstanceLookup;
use crate::backend::in_process::InProcess;
use crate::backend::timeout::Timeout;
use crate::backend::{CacheInstance, Write};
use crate::codec::DefaultCodec;
use crate::engine::spec::CallSpec;
use crate::engine::{CacheTarget, FnCache};
use crate::error::{Error, ErrorKind, Result};
use crate::handle::CacheHandle;
use crate::handle::arity::{Args1, NoPrefix, NoTags};
use crate::policy::AnyValue;
use async_trait::async_trait;
use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Runs `future` to completion on a fresh single-threaded runtime and unwraps its result:
/// the `main` of an example.
pub fn run<F: Future<Output = Result<()>>>(future: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
        .expect("the example succeeds");
}

/// A backend over a `HashMap` that never expires anything.
#[derive(Debug, Default)]
pub struct MapCache(Mutex<HashMap<String, Bytes>>);

#[async_trait]
impl CacheInstance for MapCache {
    fn name(&self) -> &str {
        "map"
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Ok(self.0.lock().unwrap().get(key).cloned())
    }
    async fn set(&self, key: &str, value: Bytes, _timeout: Timeout) -> Result<()> {
        self.0.lock().unwrap().insert(key.to_owned(), value);
        Ok(())
    }
    async fn add(&self, key: &str, value: Bytes, _timeout: Timeout) -> Result<bool> {
        let mut map = self.0.lock().unwrap();
        if map.contains_key(key) {
            return Ok(false);
        }
        map.insert(key.to_owned(), value);
        Ok(true)
    }
    async fn delete(&self, key: &str) -> Result<bool> {
        Ok(self.0.lock().unwrap().remove(key).is_some())
    }
}

/// A backend whose every operation fails, as a server that is down.
#[derive(Debug, Default, Clone, Copy)]
pub struct DownCache;

fn refused() -> Error {
    Error::new(ErrorKind::Backend, "connection refused")
}

#[async_trait]
impl CacheInstance for DownCache {
    fn name(&self) -> &str {
        "down"
    }
    async fn get(&self, _: &str) -> Result<Option<Bytes>> {
        Err(refused())
    }
    async fn set(&self, _: &str, _: Bytes, _: Timeout) -> Result<()> {
        Err(refused())
    }
    async fn add(&self, _: &str, _: Bytes, _: Timeout) -> Result<bool> {
        Err(refused())
    }
    async fn delete(&self, _: &str) -> Result<bool> {
        Err(refused())
    }
}

/// An alias lookup that knows no alias.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoAliases;

impl InstanceLookup for NoAliases {
    fn generation(&self) -> u64 {
        0
    }
    fn lookup(&self, _alias: &str) -> Option<Arc<dyn CacheInstance>> {
        None
    }
}

/// Backend calls per method, counted by [`CountingCache`]. Each call of a network
/// backend's method is one round trip (`get_many` is one `MGET`, `write_batch` one
/// pipeline).
#[derive(Debug, Default)]
pub struct Counts {
    /// `get`, and reads of one key answered in process.
    pub get: AtomicU64,
    /// `get_many`, and reads of several keys answered in process.
    pub get_many: AtomicU64,
    /// `set`, `set_many`, `add`, `delete`, `delete_many`.
    pub single_writes: AtomicU64,
    /// `write_batch`.
    pub write_batch: AtomicU64,
    /// `keep_alive`.
    pub keep_alive: AtomicU64,
}

/// A snapshot of [`Counts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// See [`Counts::get`].
    pub get: u64,
    /// See [`Counts::get_many`].
    pub get_many: u64,
    /// See [`Counts::single_writes`].
    pub single_writes: u64,
    /// See [`Counts::write_batch`].
    pub write_batch: u64,
    /// See [`Counts::keep_alive`].
    pub keep_alive: u64,
}

impl Snapshot {
    /// Reads in all.
    pub fn reads(&self) -> u64 {
        self.get + self.get_many
    }

    /// Writes in all.
    pub fn writes(&self) -> u64 {
        self.single_writes + self.write_batch + self.keep_alive
    }

    /// Backend calls in all.
    pub fn total(&self) -> u64 {
        self.reads() + self.writes()
    }

    /// The calls made between `earlier` and `self`.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            get: self.get - earlier.get,
            get_many: self.get_many - earlier.get_many,
            single_writes: self.single_writes - earlier.single_writes,
            write_batch: self.write_batch - earlier.write_batch,
            keep_alive: self.keep_alive - earlier.keep_alive,
        }
    }
}

impl Counts {
    /// The counts now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            get: self.get.load(Ordering::SeqCst),
            get_many: self.get_many.load(Ordering::SeqCst),
            single_writes: self.single_writes.load(Ordering::SeqCst),
            write_batch: self.write_batch.load(Ordering::SeqCst),
            keep_alive: self.keep_alive.load(Ordering::SeqCst),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::SeqCst);
}

/// Counts the backend calls the engine makes, then forwards them to another backend
/// (a [`MapCache`] by default). Reads the inner backend answers in process are counted
/// too.
///
/// ```
/// use easy_cache_core::testing::*;
/// use easy_cache_core::{CacheInstance, Timeout};
///
/// run(async {
///     let cache = CountingCache::default();
///     cache.set("a", "1".into(), Timeout::Never).await?;
///     cache.get_many(&["a", "b"]).await?;
///     let made = cache.counts().snapshot();
///     assert_eq!((made.reads(), made.writes()), (1, 1));
///     Ok(())
/// });
/// ```
pub struct CountingCache {
    inner: Arc<dyn CacheInstance>,
    counts: Arc<Counts>,
}

impl Default for CountingCache {
    fn default() -> Self {
        CountingCache::new(Arc::new(MapCache::default()))
    }
}

impl CountingCache {
    /// A counting front of `inner`.
    pub fn new(inner: Arc<dyn CacheInstance>) -> Self {
        CountingCache {
            inner,
            counts: Arc::default(),
        }
    }

    /// The counts, shareable after the cache moved into an `Arc<dyn CacheInstance>`.
    pub fn counts(&self) -> &Arc<Counts> {
        &self.counts
    }
}

impl std::fmt::Debug for CountingCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CountingCache")
            .field("inner", &self.inner.name())
            .field("counts", &self.counts.snapshot())
            .finish()
    }
}

#[async_trait]
impl CacheInstance for CountingCache {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn in_process(&self) -> Option<&dyn InProcess> {
        // Offered when the inner backend has one, so the engine takes the same path.
        self.inner.in_process().map(|_| self as &dyn InProcess)
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        bump(&self.counts.get);
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        bump(&self.counts.get_many);
        self.inner.get_many(keys).await
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        bump(&self.counts.single_writes);
        self.inner.set(key, value, timeout).await
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        bump(&self.counts.single_writes);
        self.inner.set_many(entries, timeout).await
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        bump(&self.counts.single_writes);
        self.inner.add(key, value, timeout).await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        bump(&self.counts.single_writes);
        self.inner.delete(key).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        bump(&self.counts.single_writes);
        self.inner.delete_many(keys).await
    }

    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        bump(&self.counts.write_batch);
        self.inner.write_batch(writes).await
    }

    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        bump(&self.counts.keep_alive);
        self.inner.keep_alive(key, timeout).await
    }
}

impl CountingCache {
    fn inner_now(&self) -> &dyn InProcess {
        self.inner
            .in_process()
            .expect("offered only when the inner backend has an in-process face")
    }
}

impl InProcess for CountingCache {
    fn get_now(&self, key: &str) -> Result<Option<Bytes>> {
        bump(&self.counts.get);
        self.inner_now().get_now(key)
    }

    fn get_many_now(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        bump(&self.counts.get_many);
        self.inner_now().get_many_now(keys)
    }

    fn lend(&self, key: &str, read: &mut dyn FnMut(Option<&[u8]>)) -> Result<bool> {
        let lent = self.inner_now().lend(key, read);
        if matches!(lent, Ok(true)) {
            bump(&self.counts.get);
        }
        lent
    }
}

fn map_cache() -> Arc<dyn CacheInstance> {
    Arc::new(MapCache::default())
}

/// The state of [`load_user`], as `#[ecached]` would generate it, on a [`MapCache`].
static LOAD_USER: FnCache = FnCache::new(
    "easy_cache_core::testing::load_user",
    "testing::load_user",
    CacheTarget::Instance(map_cache),
    &NoAliases,
    true,
);

static LOAD_USER_RUNS: AtomicU32 = AtomicU32::new(0);

/// The key builder of [`load_user_cache`].
pub type UserKey = Args1<fn(&u64) -> String>;

fn user_key(id: &u64) -> String {
    format!("user:{id}")
}

/// A cached function written out by hand as `#[ecached(key = "user:{id}")]` expands it:
/// returns `"user {id} v{n}"`, where `n` counts the times its body ran.
pub async fn load_user(id: u64) -> String {
    let key = user_key(&id);
    let spec = CallSpec {
        key: &key,
        versions: &[],
        timeout: Timeout::Never,
        stamp: 1,
        local: None,
    };
    LOAD_USER
        .call::<DefaultCodec, AnyValue, _, _>(spec, None, None, async move {
            format!(
                "user {id} v{}",
                LOAD_USER_RUNS.fetch_add(1, Ordering::SeqCst)
            )
        })
        .await
}

/// The state of [`load_book`], as `#[ecached]` would generate it, on a [`MapCache`].
static LOAD_BOOK: FnCache = FnCache::new(
    "easy_cache_core::testing::load_book",
    "testing::load_book",
    CacheTarget::Instance(map_cache),
    &NoAliases,
    true,
);

static LOAD_BOOK_RUNS: AtomicU32 = AtomicU32::new(0);

/// The key builder of [`load_book_cache`].
pub type BookKey = Args1<fn(&u64) -> String>;

fn book_key(id: &u64) -> String {
    format!("book:{id}")
}

/// A cached sync function written out by hand as `#[ecached(key = "book:{id}")]` expands
/// it: returns `"book {id} v{n}"`, where `n` counts the times its body ran.
pub fn load_book(id: u64) -> String {
    let key = book_key(&id);
    let spec = CallSpec {
        key: &key,
        versions: &[],
        timeout: Timeout::Never,
        stamp: 1,
        local: None,
    };
    LOAD_BOOK.call_blocking::<DefaultCodec, AnyValue, _>(spec, None, None, || {
        format!(
            "book {id} v{}",
            LOAD_BOOK_RUNS.fetch_add(1, Ordering::SeqCst)
        )
    })
}

/// The handle of [`load_book`], as `#[ecached]` generates `load_book_cache()`.
pub fn load_book_cache() -> crate::handle::blocking::CacheHandle<BookKey, NoTags, NoPrefix> {
    crate::handle::blocking::CacheHandle::new(
        &LOAD_BOOK,
        Args1(book_key as fn(&u64) -> String),
        NoTags,
        NoPrefix,
    )
}

/// The handle of [`load_user`], as `#[ecached]` generates `load_user_cache()`.
pub fn load_user_cache() -> CacheHandle<UserKey, NoTags, NoPrefix> {
    CacheHandle::new(
        &LOAD_USER,
        Args1(user_key as fn(&u64) -> String),
        NoTags,
        NoPrefix,
    )
}
