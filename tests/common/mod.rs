//! Test backends: one that always fails, one that counts requests.

#![allow(dead_code)]

use easy_cache::{
    Bytes, CacheInstance, Error, ErrorKind, MemoryCache, Result, Timeout, WriteOp, async_trait,
};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A backend whose every operation fails, as a server that is down.
pub struct DownCache;

#[async_trait]
impl CacheInstance for DownCache {
    fn name(&self) -> &str {
        "down"
    }
    async fn get(&self, _: &str) -> Result<Option<Bytes>> {
        Err(Error::new(ErrorKind::Backend, "connection refused"))
    }
    async fn set(&self, _: &str, _: Bytes, _: Timeout) -> Result<()> {
        Err(Error::new(ErrorKind::Backend, "connection refused"))
    }
    async fn add(&self, _: &str, _: Bytes, _: Timeout) -> Result<bool> {
        Err(Error::new(ErrorKind::Backend, "connection refused"))
    }
    async fn delete(&self, _: &str) -> Result<bool> {
        Err(Error::new(ErrorKind::Backend, "connection refused"))
    }
}

/// An in-memory backend that counts round trips (each trait call is one).
#[derive(Default)]
pub struct CountingCache {
    pub inner: MemoryCache,
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
}

impl CountingCache {
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
    pub fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl CacheInstance for CountingCache {
    fn name(&self) -> &str {
        "counting"
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.get_many(keys).await
    }
    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.set(key, value, timeout).await
    }
    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.set_many(entries, timeout).await
    }
    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.add(key, value, timeout).await
    }
    async fn delete(&self, key: &str) -> Result<bool> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.delete(key).await
    }
    async fn write_batch(&self, ops: &[WriteOp]) -> Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write_batch(ops).await
    }
    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.keep_alive(key, timeout).await
    }
}
