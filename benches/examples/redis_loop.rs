//! Loops of Redis hits for profilers (callgrind for instructions and allocation sites,
//! perf for where the time goes with many callers):
//! `redis_loop <ecached|raw|near> [calls] [callers]`, against `$EASY_CACHE_TEST_REDIS_URL`.
//! `ecached` is the tagged hit of `redis_hit_*` (two tags and a prefix), `raw` the raw
//! redis-rs `GET` + decode it is measured against, `near` the same tagged hit served by the
//! near cache (`redis_near_hit_vs_memory_hit`).

use easy_cache_benches::concurrency::{repeat, timed, two_worker_runtime};
use easy_cache_benches::functions::{
    install_redis, install_redis_near, redis_near_tagged, redis_raw_get, redis_raw_set,
    redis_tagged, warm_redis_near,
};
use easy_cache_benches::redis_side::raw_connection;
use std::hint::black_box;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "ecached".into());
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (calls, callers) = (arg(2, 100_000), arg(3, 1));
    let rt = two_worker_runtime();
    let url = install_redis();
    if mode == "near" {
        install_redis_near();
    }
    let took = rt.block_on(async {
        let mut conn = raw_connection(&url).await;
        redis_raw_set(&mut conn, "redis_raw:7", 49).await;
        redis_tagged(7).await;
        redis_tagged(7).await;
        match mode.as_str() {
            "raw" => {
                timed(calls, callers, |n| {
                    let conn = conn.clone();
                    repeat(n, move || {
                        let mut conn = conn.clone();
                        async move { redis_raw_get(&mut conn, "redis_raw:7").await }
                    })
                })
                .await
            }
            "near" => {
                warm_redis_near(7).await;
                timed(calls, callers, |n| {
                    repeat(n, || redis_near_tagged(black_box(7)))
                })
                .await
            }
            _ => timed(calls, callers, |n| repeat(n, || redis_tagged(black_box(7)))).await,
        }
    });
    println!(
        "{mode}: {calls} calls by {callers} callers, {:.0} ns per call",
        took.as_nanos() as f64 / calls as f64
    );
}
