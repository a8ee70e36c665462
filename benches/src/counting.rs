//! A [`CacheInstance`] that counts the backend calls the engine makes, in front of a real
//! backend: each call of a network backend's method is one round trip (`get_many` is one
//! `MGET`, `write_batch` one pipeline), so the counts are the client's side of a round-trip
//! count; the server's side comes from its own statistics.

use easy_cache::{Bytes, CacheInstance, Result, Timeout, WriteOp, async_trait};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Calls per method.
#[derive(Debug, Default)]
pub struct Counts {
    /// `get` and `get_now` answered.
    pub get: AtomicU64,
    /// `get_many` and `get_many_now` answered.
    pub get_many: AtomicU64,
    /// `set`, `set_many`, `add`, `delete`, `delete_many`.
    pub single_writes: AtomicU64,
    /// `write_batch`.
    pub write_batch: AtomicU64,
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
}

impl Snapshot {
    /// Backend calls in all.
    pub fn total(&self) -> u64 {
        self.get + self.get_many + self.single_writes + self.write_batch
    }

    /// The calls made between `earlier` and `self`.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        Snapshot {
            get: self.get - earlier.get,
            get_many: self.get_many - earlier.get_many,
            single_writes: self.single_writes - earlier.single_writes,
            write_batch: self.write_batch - earlier.write_batch,
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
        }
    }
}

/// Counts the calls, then forwards them to `inner`.
pub struct CountingCache {
    inner: Arc<dyn CacheInstance>,
    counts: Arc<Counts>,
}

impl CountingCache {
    /// A counting front of `inner`; the counts are shared with the caller.
    pub fn new(inner: Arc<dyn CacheInstance>) -> (Self, Arc<Counts>) {
        let counts = Arc::new(Counts::default());
        let cache = CountingCache {
            inner,
            counts: Arc::clone(&counts),
        };
        (cache, counts)
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl CacheInstance for CountingCache {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn get_now(&self, key: &str) -> Option<Result<Option<Bytes>>> {
        let answer = self.inner.get_now(key);
        if answer.is_some() {
            Self::bump(&self.counts.get);
        }
        answer
    }

    fn get_many_now(&self, keys: &[&str]) -> Option<Result<Vec<Option<Bytes>>>> {
        let answer = self.inner.get_many_now(keys);
        if answer.is_some() {
            Self::bump(&self.counts.get_many);
        }
        answer
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        Self::bump(&self.counts.get);
        self.inner.get(key).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        Self::bump(&self.counts.get_many);
        self.inner.get_many(keys).await
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        Self::bump(&self.counts.single_writes);
        self.inner.set(key, value, timeout).await
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        Self::bump(&self.counts.single_writes);
        self.inner.set_many(entries, timeout).await
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        Self::bump(&self.counts.single_writes);
        self.inner.add(key, value, timeout).await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        Self::bump(&self.counts.single_writes);
        self.inner.delete(key).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        Self::bump(&self.counts.single_writes);
        self.inner.delete_many(keys).await
    }

    async fn write_batch(&self, ops: &[WriteOp]) -> Result<()> {
        Self::bump(&self.counts.write_batch);
        self.inner.write_batch(ops).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use easy_cache::{MemoryCache, Timeout, WriteOp};

    #[tokio::test]
    async fn counts_each_method_once_per_call() {
        let (cache, counts) = CountingCache::new(Arc::new(MemoryCache::default()));
        let before = counts.snapshot();
        cache.get_many(&["a", "b"]).await.unwrap();
        let ops = [WriteOp::Set {
            key: "a".into(),
            value: Bytes::from_static(b"1"),
            timeout: Timeout::Never,
        }];
        cache.write_batch(&ops).await.unwrap();
        assert!(cache.get_now("a").is_some(), "memory answers at once");
        let made = counts.snapshot().since(&before);
        assert_eq!(
            made,
            Snapshot {
                get: 1,
                get_many: 1,
                single_writes: 0,
                write_batch: 1
            }
        );
        assert_eq!(made.total(), 3);
    }
}
