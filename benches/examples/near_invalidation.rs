//! `redis_near_invalidation_delay`: two caches on one Redis, each with a near cache and a
//! connection of its own (as two processes have). B holds an entry in its near cache; A
//! invalidates it; the delay runs from A's invalidation returning to B's entry being gone,
//! seen by B's next call computing again. That call first reads the server (its entry is
//! gone there too), so each figure includes one round trip: an upper bound. Reports p50,
//! p99 and the maximum over the rounds.
//!
//! Needs the Redis of `cargo xtask bench` (or `services up`); writes
//! `target/bench-extra/near_invalidation.json`.

use easy_cache::{caches, ecached};
use easy_cache_benches::concurrency::two_worker_runtime;
use easy_cache_benches::functions::with_near;
use easy_cache_benches::{env, extra};
use serde_json::json;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When B last computed (a call that was not served from its near cache).
static COMPUTED_AT: Mutex<Option<Instant>> = Mutex::new(None);

#[ecached("near_invalidation:{n}", 600, cache_alias = "bench_near_a")]
async fn on_a(n: u64) -> u64 {
    n
}

/// The same key as [`on_a`]: the same function in another process.
#[ecached("near_invalidation:{n}", 600, cache_alias = "bench_near_b")]
async fn on_b(n: u64) -> u64 {
    *COMPUTED_AT.lock().expect("clock") = Some(Instant::now());
    n
}

fn rounds() -> u64 {
    if env::quick() { 200 } else { 2_000 }
}

/// The `q` quantile of sorted `values`, in microseconds.
fn quantile(sorted: &[Duration], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn main() {
    let rt = two_worker_runtime();
    let url = with_near(&env::url(env::REDIS_URL));
    for alias in ["bench_near_a", "bench_near_b"] {
        caches::insert(alias, caches::from_url(&url).expect("a Redis cache"));
    }
    // A fresh range of arguments: no entry of an earlier run is found.
    let base = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_micros() as u64
        * 10_000;
    let delays = rt.block_on(async {
        let mut delays = Vec::new();
        for n in base..base + rounds() {
            on_a(n).await; // stored by A
            // B reads it back and keeps it; the third call is a near hit.
            for _ in 0..3 {
                on_b(n).await;
            }
            *COMPUTED_AT.lock().expect("clock") = None;
            on_a_cache()
                .invalidate_cache_by_key(&n)
                .await
                .expect("invalidate");
            let returned = Instant::now();
            let deadline = returned + Duration::from_secs(1);
            let computed = loop {
                on_b(n).await;
                if let Some(at) = *COMPUTED_AT.lock().expect("clock") {
                    break at;
                }
                assert!(Instant::now() < deadline, "B still served {n} after 1 s");
                tokio::task::yield_now().await;
            };
            delays.push(computed.saturating_duration_since(returned));
        }
        delays
    });
    let mut sorted = delays;
    sorted.sort();
    let report = json!({
        "rounds": sorted.len(),
        "p50_us": quantile(&sorted, 0.50),
        "p99_us": quantile(&sorted, 0.99),
        "max_us": quantile(&sorted, 1.0),
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
    extra::write("near_invalidation", &report);
}
