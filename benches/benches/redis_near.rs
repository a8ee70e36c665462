//! The `redis_near_hit_vs_memory_hit` line of the bench report: an `#[ecached]` hit on Redis
//! with two tags and a prefix, served by the near cache (`near_capacity`), one thread;
//! the report divides it by the memory hit of `memory_hit/ecached` (same run). Needs
//! `EASY_CACHE_TEST_REDIS_URL` (`cargo xtask bench` sets it).

use criterion::{Criterion, criterion_group, criterion_main};
use easy_cache_benches::concurrency::current_thread_runtime;
use easy_cache_benches::functions::{install_redis_near, redis_near_tagged, warm_redis_near};
use std::hint::black_box;

fn near_hits(c: &mut Criterion) {
    let rt = current_thread_runtime();
    install_redis_near();
    rt.block_on(warm_redis_near(7));
    let mut group = c.benchmark_group("redis_near_hit");
    group.bench_function("ecached", |b| {
        b.to_async(&rt).iter(|| redis_near_tagged(black_box(7)))
    });
    group.finish();
}

criterion_group!(benches, near_hits);
criterion_main!(benches);
