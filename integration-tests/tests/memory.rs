//! The behaviour suite against the in-memory backend (`memory://`): needs no server, so it
//! also checks the suite itself on every run.

// Linked for its `memory://` registration.
use easy_cache_memory as _;

#[tokio::test]
async fn memory_backend_passes_the_suite() {
    let cache = easy_cache_registry::caches::from_url("memory://")
        .unwrap_or_else(|e| panic!("memory:// must be registered: {e}"));
    easy_cache_integration_tests::suite::run(cache).await;
}

#[tokio::test]
async fn bounded_memory_backend_passes_the_suite() {
    // Bounded by bytes: room for the suite's 512 KB value and a few hundred keys.
    let url = "memory://?max_bytes=67108864";
    let cache = easy_cache_registry::caches::from_url(url)
        .unwrap_or_else(|e| panic!("{url} must parse: {e}"));
    easy_cache_integration_tests::suite::run(cache).await;
}
