//! Test backends: core's doubles, with the memory backend behind the counting one.

#![allow(dead_code)]

use easy_cache::MemoryCache;
pub use easy_cache::testing::{CountingCache, DownCache};
use std::sync::Arc;

/// The memory backend behind a counting front: each trait call is one round trip.
pub fn counting_memory() -> CountingCache {
    CountingCache::new(Arc::new(MemoryCache::default()))
}

/// Round trips in two sums.
pub trait RoundTrips {
    /// Reads so far (`get` and `get_many`, answered in process or not).
    fn reads(&self) -> usize;
    /// Writes so far.
    fn writes(&self) -> usize;
}

impl RoundTrips for CountingCache {
    fn reads(&self) -> usize {
        self.counts().snapshot().reads() as usize
    }
    fn writes(&self) -> usize {
        self.counts().snapshot().writes() as usize
    }
}
