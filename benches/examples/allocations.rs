//! Heap allocations per hit (the report's allocations table), counted by dhat as the global
//! allocator: `cargo run --release -p easy-cache-benches --example allocations`. A hit
//! should allocate no more than its key needs (the decoded `u64` needs none).
//!
//! An in-memory hit (as in `memory_hit_vs_hand_written`), and a Redis hit with two tags and
//! a prefix, measured only when `EASY_CACHE_TEST_REDIS_URL` is set (`cargo xtask bench` sets
//! it), next to a raw redis-rs `GET` on the same kind of connection. Prints a table and writes
//! `target/bench-extra/allocations.json`.

use easy_cache::{caches, ecached};
use easy_cache_benches::functions::{install_redis, redis_raw_get, redis_raw_set, redis_tagged};
use easy_cache_benches::{allocations_per_call, env, extra, hand_written, redis_side};
use serde_json::{Map, Value, json};
use std::hint::black_box;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[ecached("alloc:{n}")]
async fn square(n: u64) -> u64 {
    n * n
}

#[ecached("alloc_tagged:{n}", tags = ["squares", "square:{n}"])]
async fn tagged_square(n: u64) -> u64 {
    n * n
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cache = caches::get("default").expect("default cache");
    rt.block_on(async {
        square(7).await;
        tagged_square(7).await;
        hand_written(&cache, 7).await;
    });
    let calls = 10_000;
    // What driving an empty future costs, subtracted from every figure.
    let baseline = allocations_per_call(calls, || {
        black_box(rt.block_on(async { black_box(7u64) }));
    });
    let mut rows: Vec<(&str, &str, f64)> = Vec::new();
    let mut measure = |id, what, run: &mut dyn FnMut()| {
        rows.push((id, what, allocations_per_call(calls, run) - baseline));
    };
    measure(
        "memory_ecached",
        "`#[ecached]` hit in memory, template key over one u64",
        &mut || {
            black_box(rt.block_on(square(black_box(7))));
        },
    );
    measure(
        "memory_ecached_tagged",
        "`#[ecached]` hit in memory with two tags",
        &mut || {
            black_box(rt.block_on(tagged_square(black_box(7))));
        },
    );
    measure(
        "memory_hand_written",
        "hand-written lookup in memory (format key, get, decode)",
        &mut || {
            black_box(rt.block_on(hand_written(&cache, black_box(7))));
        },
    );
    if env::optional_url(env::REDIS_URL).is_some() {
        let url = install_redis();
        let mut conn = rt.block_on(async {
            let mut conn = redis_side::raw_connection(&url).await;
            redis_raw_set(&mut conn, "redis_raw:7", 49).await;
            redis_tagged(7).await;
            redis_tagged(7).await;
            conn
        });
        measure(
            "redis_ecached_tagged",
            "`#[ecached]` hit on Redis, two tags and a prefix",
            &mut || {
                black_box(rt.block_on(redis_tagged(black_box(7))));
            },
        );
        measure(
            "redis_raw_get",
            "raw redis-rs GET + decode on a ConnectionManager",
            &mut || {
                black_box(rt.block_on(redis_raw_get(&mut conn, "redis_raw:7")));
            },
        );
    } else {
        println!("{} is not set: Redis rows skipped", env::REDIS_URL);
    }
    println!("| what | allocations per call |");
    println!("| --- | --- |");
    let mut json = Map::new();
    for (id, what, allocations) in &rows {
        println!("| {what} | {allocations:.2} |");
        json.insert((*id).to_owned(), json!(allocations));
    }
    extra::write("allocations", &Value::Object(json));
}
