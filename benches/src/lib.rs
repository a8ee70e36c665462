//! Shared pieces of the benchmarks: a counting allocator for allocations per call.

#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};

/// Allocation counter fed by the benches' global allocator.
pub static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// How many allocations `run` makes per call, over `calls` calls.
pub fn allocations_per_call(calls: u64, mut run: impl FnMut()) -> f64 {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..calls {
        run();
    }
    (ALLOCATIONS.load(Ordering::SeqCst) - before) as f64 / calls as f64
}
