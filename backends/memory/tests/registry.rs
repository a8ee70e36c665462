//! The memory backend is found through the registry by URL scheme, and is the embedded default.

use easy_cache_core::Timeout;
use easy_cache_registry::caches;

#[tokio::test]
async fn memory_scheme_is_registered_and_builds_from_url() {
    assert!(
        caches::schemes().contains(&"memory"),
        "{:?}",
        caches::schemes()
    );
    let cache = caches::from_url("memory://?max_capacity=10000").unwrap();
    assert_eq!(cache.name(), "memory");
    cache.set("k", "v".into(), Timeout::Never).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn default_alias_is_the_embedded_memory_cache() {
    let default = caches::get("default").expect("embedded default");
    assert_eq!(default.name(), "memory");
}

#[test]
fn bad_options_are_config_errors() {
    let err = caches::from_url("memory://?max_capacity=many")
        .err()
        .unwrap();
    assert_eq!(err.kind(), easy_cache_core::ErrorKind::Config);
}
use easy_cache_memory as _;
