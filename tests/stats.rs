//! `handle.stats()` and `observe::cache_stats`: hits, misses, stale values served, errors,
//! bypasses, single-flight waits, computations and their time, counted per function
//! without any exporter. Time moves with the cache's test clock (no sleeping): a
//! computation that advances it by 30 ms took 30 ms (plus the few microseconds it ran).

mod common;

use common::DownCache;
use easy_cache::{MemoryCache, caches, ecached, observe, test_clock};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[ecached("stats_square:{n}")]
async fn square(n: u64) -> u64 {
    n * n
}

#[ecached("stats_square_sync:{n}")]
fn square_sync(n: u64) -> u64 {
    n * n
}

/// Fails when told to; serves its last good value for 10 minutes after expiry.
#[ecached("stats_flaky:{n}", 60, fail_safe = 600)]
async fn flaky(n: u64, fail: bool) -> Result<u64, String> {
    if fail {
        Err("upstream down".into())
    } else {
        Ok(n)
    }
}

/// Takes `n` × 30 ms of the test clock.
#[ecached("stats_slow:{n}")]
async fn slow(n: u64) -> u64 {
    test_clock::advance(Duration::from_millis(30 * n));
    n
}

#[ecached("stats_down:{n}", cache_instance = DownCache)]
async fn on_a_down_backend(n: u64) -> u64 {
    n
}

#[ecached("stats_unknown:{n}", cache_alias = "stats-nobody-registered-this")]
async fn on_an_unknown_alias(n: u64) -> u64 {
    n
}

#[ecached("stats_shared:{n}")]
async fn shared(n: u64, release: Arc<Notify>) -> u64 {
    release.notified().await;
    n
}

#[ecached("stats_aliased:{n}", cache_alias = "stats-alias")]
async fn aliased_a(n: u64) -> u64 {
    n
}

#[ecached("stats_aliased_b:{n}", cache_alias = "stats-alias")]
async fn aliased_b(n: u64) -> u64 {
    n
}

#[tokio::test]
async fn stats_count_hits_and_misses() {
    let handle = square_cache();
    assert_eq!(handle.stats().calls(), 0);
    assert_eq!(handle.stats().hit_ratio(), None);
    square(3).await;
    for _ in 0..3 {
        square(3).await;
    }
    square(4).await;
    let stats = handle.stats();
    assert_eq!((stats.hits, stats.misses), (3, 2), "{stats:?}");
    assert_eq!(stats.computations, 2);
    assert_eq!((stats.stale, stats.errors, stats.bypassed), (0, 0, 0));
    assert_eq!(stats.hit_ratio(), Some(0.6));
}

#[test]
fn stats_count_a_sync_functions_calls() {
    square_sync(5);
    square_sync(5);
    let stats = square_sync_cache().stats();
    assert_eq!((stats.hits, stats.misses, stats.computations), (1, 1, 1));
}

#[tokio::test]
async fn stats_count_stale_values_served_and_errors() {
    assert_eq!(flaky(1, false).await, Ok(1));
    test_clock::advance(Duration::from_secs(61));
    // Expired, inside its fail-safe window: the computation fails, the last value is served.
    assert_eq!(flaky(1, true).await, Ok(1));
    // Nothing to fall back on: the failure is returned.
    assert!(flaky(2, true).await.is_err());
    let stats = flaky_cache().stats();
    assert_eq!(stats.misses, 1, "{stats:?}");
    assert_eq!(stats.stale, 1, "{stats:?}");
    assert_eq!(stats.errors, 1, "{stats:?}");
    assert_eq!(stats.computations, 3, "{stats:?}");
}

#[tokio::test]
async fn stats_keep_the_mean_and_max_compute_time() {
    slow(1).await; // 30 ms
    slow(3).await; // 90 ms
    slow(3).await; // a hit: no computation
    let stats = slow_cache().stats();
    assert_eq!(stats.computations, 2);
    let max = stats.max_compute_time;
    assert!(max >= Duration::from_millis(90), "{max:?}");
    assert!(
        max < Duration::from_millis(90) + Duration::from_secs(1),
        "{max:?}"
    );
    let mean = stats.mean_compute_time().unwrap();
    assert!(mean >= Duration::from_millis(60), "{mean:?}");
    assert!(mean < max, "{mean:?} < {max:?}");
}

#[tokio::test]
async fn stats_count_bypasses_when_the_backend_fails_or_is_missing() {
    assert_eq!(on_a_down_backend(1).await, 1);
    assert_eq!(on_a_down_backend(1).await, 1);
    assert_eq!(on_a_down_backend_cache().stats().bypassed, 2);
    assert_eq!(on_an_unknown_alias(1).await, 1);
    let stats = on_an_unknown_alias_cache().stats();
    assert_eq!((stats.bypassed, stats.hits, stats.misses), (1, 0, 0));
}

#[tokio::test]
async fn stats_count_single_flight_waits() {
    let release = Arc::new(Notify::new());
    let leader = tokio::spawn(shared(7, release.clone()));
    tokio::task::yield_now().await;
    let waiter = tokio::spawn(shared(7, release.clone()));
    tokio::task::yield_now().await;
    release.notify_one();
    assert_eq!(leader.await.unwrap(), 7);
    assert_eq!(waiter.await.unwrap(), 7);
    let stats = shared_cache().stats();
    assert_eq!(stats.single_flight_waits, 1, "{stats:?}");
    assert_eq!(stats.computations, 1, "{stats:?}");
    assert_eq!(
        stats.misses, 2,
        "the waiter got a computed value: {stats:?}"
    );
}

/// Same key template as `aliased_a`: reads what it stored.
#[ecached("stats_aliased:{n}", cache_alias = "stats-alias-hits")]
async fn first_computes(n: u64) -> u64 {
    n
}

#[ecached("stats_aliased:{n}", cache_alias = "stats-alias-hits")]
async fn then_hits(n: u64) -> u64 {
    unreachable!("{n} is cached by first_computes")
}

#[tokio::test]
async fn stats_of_a_cache_count_a_function_whose_calls_all_hit() {
    caches::insert("stats-alias-hits", Arc::new(MemoryCache::default()));
    first_computes(4).await;
    then_hits(4).await;
    then_hits(4).await;
    assert_eq!(then_hits_cache().stats().hits, 2);
    let stats = observe::cache_stats("stats-alias-hits");
    assert_eq!((stats.hits, stats.misses), (2, 1), "{stats:?}");
}

#[ecached("stats_panics:{n}")]
async fn panics(n: u64) -> u64 {
    panic!("computation {n} failed")
}

#[ecached("stats_panics_sync:{n}")]
fn panics_sync(n: u64) -> u64 {
    panic!("computation {n} failed")
}

#[tokio::test]
async fn stats_count_a_panicking_computation_as_an_error() {
    let failed = tokio::spawn(panics(1)).await;
    assert!(failed.unwrap_err().is_panic());
    let stats = panics_cache().stats();
    assert_eq!(
        (stats.errors, stats.misses, stats.calls()),
        (1, 0, 1),
        "{stats:?}"
    );
    let failed = std::panic::catch_unwind(|| panics_sync(2));
    assert!(failed.is_err());
    let stats = panics_sync_cache().stats();
    assert_eq!((stats.errors, stats.calls()), (1, 1), "{stats:?}");
}

#[tokio::test]
async fn stats_of_a_cache_sum_its_functions() {
    caches::insert("stats-alias", Arc::new(MemoryCache::default()));
    aliased_a(1).await;
    aliased_a(1).await;
    aliased_b(1).await;
    let stats = observe::cache_stats("stats-alias");
    assert_eq!((stats.hits, stats.misses), (1, 2), "{stats:?}");
    assert_eq!(
        stats,
        aliased_a_cache().stats().merge(aliased_b_cache().stats())
    );
}
