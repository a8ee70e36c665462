//! The `redb_hit_vs_raw_get` line of the bench report: an `#[ecached]` hit on redb against a
//! raw redb read of the same kind of key in the same table (read transaction, open table,
//! get), plus decoding the value.

use criterion::{Criterion, criterion_group, criterion_main};
use easy_cache_benches::concurrency::current_thread_runtime;
use easy_cache_benches::functions::{install_redb, redb_plain, redb_raw_get};
use std::hint::black_box;

fn hits(c: &mut Criterion) {
    let rt = current_thread_runtime();
    let cache = install_redb();
    assert_eq!(redb_raw_get(&cache, 7), 49);
    rt.block_on(redb_plain(7)); // stores; every call below is a hit
    let mut group = c.benchmark_group("redb_hit");
    group.bench_function("ecached", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(redb_plain(black_box(7)).await) })
    });
    group.bench_function("raw_get", |b| {
        b.iter(|| black_box(redb_raw_get(&cache, black_box(7))))
    });
    group.finish();
}

criterion_group!(benches, hits);
criterion_main!(benches);
