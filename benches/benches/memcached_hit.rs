//! The `memcached_hit_1_caller` line of the bench report: an `#[ecached]` hit on Memcached
//! (the cache spread over two servers) against a raw memcache-async `get` of one key on one connection, one caller.
//! Criterion's time per call is the inverse of the throughput. Needs
//! `EASY_CACHE_TEST_MEMCACHED_URL` (`cargo xtask bench` sets it).

use criterion::{Criterion, criterion_group, criterion_main};
use easy_cache_benches::concurrency::{repeat, timed, two_worker_runtime};
use easy_cache_benches::functions::{decoded, encoded, install_memcached, memcached_plain};
use easy_cache_benches::memcached_side::raw_connection;
use std::hint::black_box;
use std::sync::Arc;
use tokio::sync::Mutex;

const RAW_KEY: &str = "mc_raw:7";

fn hits(c: &mut Criterion) {
    let rt = two_worker_runtime();
    let servers = install_memcached();
    let raw = rt.block_on(async {
        let mut raw = raw_connection(&servers[0]).await;
        raw.set(RAW_KEY, &encoded(49), 0).await.expect("raw set");
        assert_eq!(decoded(&raw.get(RAW_KEY).await.expect("raw get")), 49);
        memcached_plain(7).await; // stores; every call below is a hit
        Arc::new(Mutex::new(raw))
    });
    let mut group = c.benchmark_group("memcached_hit");
    group.bench_function("ecached", |b| {
        b.to_async(&rt)
            .iter_custom(|calls| timed(calls, 1, |n| repeat(n, || memcached_plain(black_box(7)))))
    });
    group.bench_function("raw_get", |b| {
        b.to_async(&rt).iter_custom(|calls| {
            timed(calls, 1, |n| {
                let raw = Arc::clone(&raw);
                async move {
                    // One caller: the lock is never contended, taken once per loop.
                    let mut raw = raw.lock().await;
                    for _ in 0..n {
                        black_box(decoded(&raw.get(RAW_KEY).await.expect("raw get")));
                    }
                }
            })
        })
    });
    group.finish();
}

criterion_group!(benches, hits);
criterion_main!(benches);
