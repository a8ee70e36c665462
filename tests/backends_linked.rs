//! Every backend enabled by a facade feature is registered by URL scheme, with nothing
//! but the facade in the application.

use easy_cache::caches;

#[test]
fn enabled_backends_register_their_schemes() {
    let schemes = caches::schemes();
    let mut expected: Vec<&str> = Vec::new();
    if cfg!(feature = "memory") {
        expected.push("memory");
    }
    if cfg!(feature = "redis") {
        expected.extend(["redis", "rediss", "redis+unix", "redis+cluster"]);
    }
    if cfg!(feature = "memcached") {
        expected.extend(["memcache", "memcached"]);
    }
    if cfg!(feature = "sled") {
        expected.push("sled");
    }
    if cfg!(feature = "redb") {
        expected.push("redb");
    }
    for scheme in expected {
        assert!(
            schemes.contains(&scheme),
            "`{scheme}` missing from {schemes:?}"
        );
    }
}

#[test]
fn an_unknown_scheme_lists_the_available_ones() {
    let message = caches::from_url("nosuch://x").err().unwrap().to_string();
    for scheme in caches::schemes() {
        assert!(message.contains(scheme), "{message}");
    }
}
