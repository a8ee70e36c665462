//! The `memory_hit_metrics_vs_plain` line: the `memory_hit/ecached` hit, compiled with
//! easy-cache's `metrics` feature and a Prometheus recorder installed, against the same
//! hit compiled without it. Features are crate-wide, so one build cannot hold both: the
//! bench names its figure after how it was built, and `cargo xtask bench` runs it twice,
//! `--bench metrics_hit` (`memory_hit_metrics/off`) and
//! `--features metrics --bench metrics_hit` (`memory_hit_metrics/on`).

use criterion::{Criterion, criterion_group, criterion_main};
use easy_cache::ecached;
use easy_cache_benches::concurrency::current_thread_runtime;
use std::hint::black_box;

/// `memory_hit`'s `ecached_square`, as it is.
#[ecached("bench:{n}")]
async fn ecached_square(n: u64) -> u64 {
    n * n
}

/// What this build measures.
const BUILT: &str = if cfg!(feature = "metrics") {
    "on"
} else {
    "off"
};

fn hits(c: &mut Criterion) {
    // Before the first call: the function registers its series with this recorder.
    #[cfg(feature = "metrics")]
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder");
    let rt = current_thread_runtime();
    rt.block_on(ecached_square(7));
    let mut group = c.benchmark_group("memory_hit_metrics");
    group.bench_function(BUILT, |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(ecached_square(black_box(7)).await) })
    });
    group.finish();
}

criterion_group!(benches, hits);
criterion_main!(benches);
