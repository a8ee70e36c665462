//! Shared pieces of the benchmarks.

#![forbid(unsafe_code)]

/// Heap blocks allocated per call of `run`, over `calls` calls (needs `dhat::Alloc` as the
/// global allocator and a live `dhat::Profiler`).
pub fn allocations_per_call(calls: u64, mut run: impl FnMut()) -> f64 {
    let before = dhat::HeapStats::get().total_blocks;
    for _ in 0..calls {
        run();
    }
    (dhat::HeapStats::get().total_blocks - before) as f64 / calls as f64
}
