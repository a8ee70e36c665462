//! The `sled_hit_vs_raw_get` line of the bench report: an `#[ecached]` hit on sled against a raw
//! `sled::Tree::get` of the same kind of key on the same tree, plus decoding the value.

use criterion::{Criterion, criterion_group, criterion_main};
use easy_cache_benches::concurrency::current_thread_runtime;
use easy_cache_benches::functions::{decoded, encoded, install_sled, sled_plain};
use std::hint::black_box;

/// The raw baseline: format the key (as the decorated function does), get, decode.
fn raw_get(tree: &easy_cache::sled::sled::Tree, n: u64) -> u64 {
    let key = format!("sled_raw:{n}");
    let value = tree.get(key.as_bytes()).expect("sled get").expect("stored");
    decoded(&value)
}

fn hits(c: &mut Criterion) {
    let rt = current_thread_runtime();
    let tree = install_sled();
    tree.insert("sled_raw:7", encoded(49)).expect("raw insert");
    assert_eq!(raw_get(&tree, 7), 49);
    rt.block_on(sled_plain(7)); // stores; every call below is a hit
    let mut group = c.benchmark_group("sled_hit");
    group.bench_function("ecached", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(sled_plain(black_box(7)).await) })
    });
    group.bench_function("raw_get", |b| {
        b.iter(|| black_box(raw_get(&tree, black_box(7))))
    });
    group.finish();
}

criterion_group!(benches, hits);
criterion_main!(benches);
