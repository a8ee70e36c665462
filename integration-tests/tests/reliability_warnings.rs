//! Warnings stay rate-limited on real backends: while a Redis server is down, or one of two
//! Memcached servers, hundreds of calls log a handful of warnings (one per failing server as
//! it starts failing, one per function per 10 s from the engine), never one per call.

use easy_cache::{caches, ecached};
use easy_cache_integration_tests::env::{self, require_url};
use easy_cache_test_support::capture_logs_async;
use tracing::Level;

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

#[ecached("warn:{n}", tags = ["warn:all", "warn:{n}"], cache_alias = "rel_warnings")]
async fn triple(n: u64) -> u64 {
    n * 3
}

/// Runs 300 calls on `url` with logs captured; returns the targets of the warnings (and
/// errors) of the easy-cache crates.
fn warnings_for(url: &str) -> Vec<String> {
    // A current-thread runtime: every call logs on this thread, the one recorded.
    let ((), logs) = capture_logs_async(Level::WARN, async {
        caches::insert("rel_warnings", caches::from_url(url).expect("valid URL"));
        for n in 0..300 {
            assert_eq!(triple(n % 20).await, (n % 20) * 3);
        }
    });
    logs.events()
        .iter()
        .filter(|event| event.level <= Level::WARN && event.target.starts_with("easy_cache"))
        .map(|event| event.target.clone())
        .collect()
}

#[test]
fn a_down_redis_and_a_down_memcached_server_warn_a_few_times_not_per_call() {
    let fast = "connect_timeout_ms=100&timeout_ms=100";
    let redis = format!("redis://127.0.0.1:{}?{fast}", closed_port());
    let live = require_url(env::MEMCACHED_URL);
    let live = live
        .trim_start_matches("memcache://")
        .split(['?', ','])
        .next()
        .unwrap();
    let memcached = format!("memcache://{live},127.0.0.1:{}?{fast}", closed_port());
    for url in [redis, memcached] {
        let warnings = warnings_for(&url);
        assert!(!warnings.is_empty(), "{url}: the outage must be reported");
        assert!(
            warnings.len() <= 4,
            "{url}: {} warnings for 300 calls: {warnings:?}",
            warnings.len()
        );
    }
}
