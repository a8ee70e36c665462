//! Shared pieces of the benchmarks: baselines, the functions measured, servers, counters.
//!
//! `cargo xtask bench` runs the criterion benches of this package and its examples
//! (`allocations`, `round_trips`, `resident`), which leave their counts in
//! `target/bench-extra/*.json`, then writes `target/bench-report.md`.

#![forbid(unsafe_code)]

pub mod concurrency;
pub mod counting;
pub mod env;
pub mod extra;
pub mod functions;
pub mod memcached_side;
pub mod redis_side;

use easy_cache::{CacheInstance, Codec, DefaultCodec, Timeout};
use std::sync::Arc;

/// The seed's "classic way", the baseline of an `#[ecached]` hit: format the key, get,
/// decode (and on a miss compute, encode, set).
pub async fn hand_written(cache: &Arc<dyn CacheInstance>, n: u64) -> u64 {
    let key = format!("hand:{n}");
    if let Ok(Some(bytes)) = cache.get(&key).await {
        if let Ok(value) = DefaultCodec::decode::<u64>(&bytes) {
            return value;
        }
    }
    let value = n * n;
    let mut bytes = Vec::new();
    DefaultCodec::encode(&value, &mut bytes).expect("a u64 encodes");
    let _ = cache.set(&key, bytes.into(), Timeout::Default).await;
    value
}

/// Heap blocks allocated per call of `run`, over `calls` calls (needs `dhat::Alloc` as the
/// global allocator and a live `dhat::Profiler`).
pub fn allocations_per_call(calls: u64, mut run: impl FnMut()) -> f64 {
    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..calls {
        run();
    }
    (dhat::HeapStats::get().total_blocks - before) as f64 / calls as f64
}
