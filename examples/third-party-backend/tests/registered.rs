//! The backend is found by URL scheme and serves `#[ecached]` functions.

use easy_cache::{caches, ecached};
// Links the crate, so its scheme registration is kept (the one line a user adds).
use easy_cache_example_backend as _;
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("third:{n}", tags = ["third"], cache_alias = "third_party")]
async fn cached_on_it(n: u32) -> u32 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    n
}

#[tokio::test]
async fn found_by_scheme_and_used_by_a_function() {
    assert!(
        caches::schemes().contains(&"example-map"),
        "{:?}",
        caches::schemes()
    );
    caches::insert(
        "third_party",
        caches::from_url("example-map://?default_timeout=60").unwrap(),
    );
    cached_on_it(1).await;
    cached_on_it(1).await;
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    cached_on_it_cache().invalidate_tags("third").await.unwrap();
    cached_on_it(1).await;
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);
    let err = caches::from_url("example-map://?colour=red").err().unwrap();
    assert_eq!(err.kind(), easy_cache::ErrorKind::Config);
}
