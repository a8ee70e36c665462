//! A backend from outside the workspace's backends (examples/third-party-backend), reached
//! only through `caches::from_url`: it passes the shared behaviour suite and serves
//! `#[ecached]` functions.

use easy_cache::{caches, ecached};
use easy_cache_integration_tests::{behaviour_suite, suite::Backend};
use std::sync::atomic::{AtomicUsize, Ordering};
// The one line an application adds so the linker keeps the crate's scheme registration.
use easy_cache_example_backend as _;

// Reached through its URL scheme alone, like any backend an application links.
behaviour_suite!(example_map = Backend::new("example-map://"));

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("third:{n}", tags = ["third"], prefix = "tp", cache_alias = "third_party_it")]
async fn on_third_party(n: u32) -> u32 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    n * 2
}

#[tokio::test]
async fn serves_cached_functions() {
    caches::insert(
        "third_party_it",
        caches::from_url("example-map://?default_timeout=60").unwrap(),
    );
    assert_eq!(on_third_party(4).await, 8);
    assert_eq!(on_third_party(4).await, 8);
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    on_third_party_cache()
        .invalidate_cache_by_prefix()
        .await
        .unwrap();
    on_third_party(4).await;
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
}
