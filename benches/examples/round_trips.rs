//! Round trips and requests counted from the servers' own statistics:
//!
//! - `redis_hit_round_trips`: an `#[ecached]` hit on Redis with two tags and a prefix: commands per hit
//!   (`INFO commandstats`) and read events per hit (`total_reads_processed`: one per
//!   request the server received, so one per round trip of a sequential caller); the raw
//!   `GET` baseline is counted the same way, which checks the method (it must show 1);
//! - `redis_miss_round_trips`: a miss then store with tags: the same server counts, and the backend calls
//!   the engine made, counted by a [`CountingCache`](easy_cache_benches::counting) front;
//! - `redis_near_hit_commands`: the same hit on a cache with a near cache: server commands
//!   over 10 000 hits (0 expected);
//! - `memcached_requests_per_server`: hits on two Memcached servers: keys (`cmd_get`) and `get` request lines
//!   (derived from `bytes_read`) per hit, per server.
//!
//! Needs the servers of `cargo xtask bench` (or `services up`); writes
//! `target/bench-extra/round_trips.json`.

use easy_cache_benches::functions::{
    self, install_memcached, install_redis, install_redis_counted, install_redis_near,
    memcached_plain, memcached_tagged, redis_near_tagged, redis_raw_get, redis_raw_set,
    redis_tagged, redis_tagged_counted, warm_redis_near,
};
use easy_cache_benches::memcached_side::{self, STATS_REQUEST_LEN, get_lines, raw_connection};
use easy_cache_benches::redis_side::{self, Counters};
use easy_cache_benches::{env, extra};
use serde_json::{Value, json};
use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

/// Near-cache hits counted (`redis_near_hit_commands`), quick run or not.
const NEAR_HITS: u64 = 10_000;

fn calls() -> u64 {
    if env::quick() { 200 } else { 2_000 }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let report = rt.block_on(async {
        json!({
            "calls": calls(),
            "redis": redis_counts().await,
            "memcached": memcached_counts().await,
        })
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
    extra::write("round_trips", &report);
}

/// Per-call server counts of `calls` sequential calls of `call`.
async fn redis_per_call<Fut: Future>(
    conn: &mut redis::aio::ConnectionManager,
    overhead: &Counters,
    call: impl FnMut(u64) -> Fut,
) -> Value {
    redis_per_n_calls(conn, overhead, calls(), call).await
}

/// Per-call server counts of `calls` sequential calls of `call`, and the total.
async fn redis_per_n_calls<Fut: Future>(
    conn: &mut redis::aio::ConnectionManager,
    overhead: &Counters,
    calls: u64,
    mut call: impl FnMut(u64) -> Fut,
) -> Value {
    let before = redis_side::counters(conn).await;
    for i in 0..calls {
        call(i).await;
    }
    let delta = redis_side::counters(conn)
        .await
        .since(&before)
        .less(overhead);
    let per_call = |n: u64| n as f64 / calls as f64;
    let commands: serde_json::Map<String, Value> = delta
        .commands
        .iter()
        .map(|(name, n)| (name.clone(), json!(per_call(*n))))
        .collect();
    json!({
        "calls": calls,
        "commands_total": delta.total_commands(),
        "commands_per_call": per_call(delta.total_commands()),
        "commands": commands,
        "reads_per_call": per_call(delta.reads),
        "writes_per_call": per_call(delta.writes),
    })
}

async fn redis_counts() -> Value {
    let url = install_redis();
    let counts = install_redis_counted();
    let mut conn = redis_side::raw_connection(&url).await;
    let mut raw = redis_side::raw_connection(&url).await;
    redis_raw_set(&mut raw, "redis_raw:7", 49).await;
    redis_tagged(7).await; // stores, and opens the backend's connection
    redis_tagged(7).await;
    // A fresh range of arguments, so every counted call below misses even on a server
    // that kept the keys of an earlier run.
    let base = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_micros() as u64
        * 1_000;
    redis_tagged_counted(base).await; // opens the connection, creates the shared tag
    let overhead = redis_side::counting_overhead(&mut conn).await;

    let raw_get = redis_per_call(&mut conn, &overhead, |_| {
        let mut raw = raw.clone();
        async move { redis_raw_get(&mut raw, "redis_raw:7").await }
    })
    .await;
    let hit = redis_per_call(&mut conn, &overhead, |_| redis_tagged(7)).await;
    install_redis_near();
    warm_redis_near(7).await;
    let near_hit =
        redis_per_n_calls(&mut conn, &overhead, NEAR_HITS, |_| redis_near_tagged(7)).await;

    let runs_before = functions::COUNTED_RUNS.load(Ordering::SeqCst);
    let backend_before = counts.snapshot();
    let miss = redis_per_call(&mut conn, &overhead, |i| redis_tagged_counted(base + 1 + i)).await;
    let backend = counts.snapshot().since(&backend_before);
    let runs = functions::COUNTED_RUNS.load(Ordering::SeqCst) - runs_before;
    let per_call = |n: u64| n as f64 / calls() as f64;
    json!({
        "raw_get": raw_get,
        "tagged_hit": hit,
        "near_hit": near_hit,
        "tagged_miss": miss,
        "tagged_miss_computations_per_call": per_call(runs),
        "tagged_miss_backend_calls_per_call": {
            "total": per_call(backend.total()),
            "get": per_call(backend.get),
            "get_many": per_call(backend.get_many),
            "write_batch": per_call(backend.write_batch),
            "single_writes": per_call(backend.single_writes),
        },
    })
}

/// Which of `servers` holds each of `keys` (asked directly, before counting).
async fn holders(servers: &[String], keys: &[&str]) -> Vec<Vec<String>> {
    let mut held = vec![Vec::new(); servers.len()];
    for (i, server) in servers.iter().enumerate() {
        let mut conn = raw_connection(server).await;
        for key in keys {
            if conn.get(key).await.is_ok() {
                held[i].push((*key).to_owned());
            }
        }
    }
    held
}

/// Keys and `get` lines per call on each server, over `calls` sequential calls.
async fn memcached_per_call<Fut: Future>(
    servers: &[String],
    keys: &[&str],
    mut call: impl FnMut() -> Fut,
) -> Value {
    let held = holders(servers, keys).await;
    let calls = calls();
    let mut before = Vec::new();
    for server in servers {
        before.push(memcached_side::stats(server).await);
    }
    for _ in 0..calls {
        call().await;
    }
    let mut per_server = Vec::new();
    for ((server, before), held) in servers.iter().zip(&before).zip(&held) {
        let delta = memcached_side::stats(server).await.since(before);
        let bytes = delta.bytes_read - STATS_REQUEST_LEN;
        let key_bytes: u64 = held.iter().map(|k| k.len() as u64).sum();
        let lines = get_lines(bytes, delta.cmd_get, key_bytes * calls);
        per_server.push(json!({
            "server": server,
            "keys_held": held,
            "keys_per_call": delta.cmd_get as f64 / calls as f64,
            "hits_per_call": delta.get_hits as f64 / calls as f64,
            "get_lines_per_call": lines.map(|l| l as f64 / calls as f64),
        }));
    }
    json!({ "keys": keys, "servers": per_server })
}

async fn memcached_counts() -> Value {
    let servers = install_memcached();
    let mut raw = raw_connection(&servers[0]).await;
    raw.set("mc_raw:7", &functions::encoded(49), 0)
        .await
        .expect("raw set");
    memcached_plain(7).await; // stores
    memcached_tagged(7).await;
    let raw = std::sync::Arc::new(tokio::sync::Mutex::new(raw));
    let raw_get = memcached_per_call(&servers, &["mc_raw:7"], || {
        let raw = raw.clone();
        async move { raw.lock().await.get("mc_raw:7").await.expect("raw get") }
    })
    .await;
    let plain = memcached_per_call(&servers, &["mc_hit:7"], || memcached_plain(7)).await;
    let tagged_keys = ["mc_tagged:7", "ec:t:bench", "ec:t:bench:7"];
    let tagged = memcached_per_call(&servers, &tagged_keys, || memcached_tagged(7)).await;
    json!({
        "servers": servers,
        "raw_get": raw_get,
        "plain_hit": plain,
        "tagged_hit": tagged,
    })
}
