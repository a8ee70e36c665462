//! The `redis_hit_1_caller` and `redis_hit_64_callers` lines of the bench report: an
//! `#[ecached]` hit on Redis with two tags and a prefix
//! (one `MGET` of four keys) against a raw redis-rs `GET` of one key on the same kind of
//! connection, with 1 and 64 callers at once. Criterion's time per call is the inverse of
//! the throughput. For reference, a raw `MGET` of the same four keys: what the hit's one
//! round trip costs without the engine. Needs `EASY_CACHE_TEST_REDIS_URL` (`cargo xtask
//! bench` sets it).

use criterion::{Criterion, criterion_group, criterion_main};
use easy_cache_benches::concurrency::{repeat, timed, two_worker_runtime};
use easy_cache_benches::functions::{
    REDIS_TAGGED_KEYS, install_redis, redis_raw_get, redis_raw_mget, redis_raw_set, redis_tagged,
};
use easy_cache_benches::redis_side::raw_connection;
use std::hint::black_box;

const RAW_KEY: &str = "redis_raw:7";

fn hits(c: &mut Criterion) {
    let rt = two_worker_runtime();
    let url = install_redis();
    let conn = rt.block_on(async {
        let mut conn = raw_connection(&url).await;
        redis_raw_set(&mut conn, RAW_KEY, 49).await;
        assert_eq!(redis_raw_get(&mut conn, RAW_KEY).await, 49);
        redis_tagged(7).await; // stores; every call below is a hit
        let found = redis_raw_mget(&mut conn, &REDIS_TAGGED_KEYS).await;
        assert!(
            found > 0,
            "the hit's keys are where the reference reads them"
        );
        conn
    });
    for concurrency in [1, 64] {
        let mut group = c.benchmark_group(format!("redis_hit_c{concurrency}"));
        group.bench_function("ecached", |b| {
            b.to_async(&rt).iter_custom(|calls| {
                timed(calls, concurrency, |n| {
                    repeat(n, || redis_tagged(black_box(7)))
                })
            })
        });
        group.bench_function("raw_get", |b| {
            b.to_async(&rt).iter_custom(|calls| {
                timed(calls, concurrency, |n| {
                    // Each task owns a handle of the one multiplexed connection, as the
                    // backend's callers share its one connection.
                    let conn = conn.clone();
                    repeat(n, move || {
                        let mut conn = conn.clone();
                        async move { redis_raw_get(&mut conn, RAW_KEY).await }
                    })
                })
            })
        });
        group.bench_function("raw_mget_same_keys", |b| {
            b.to_async(&rt).iter_custom(|calls| {
                timed(calls, concurrency, |n| {
                    let conn = conn.clone();
                    repeat(n, move || {
                        let mut conn = conn.clone();
                        async move { redis_raw_mget(&mut conn, &REDIS_TAGGED_KEYS).await }
                    })
                })
            })
        });
        group.finish();
    }
}

criterion_group!(benches, hits);
criterion_main!(benches);
