//! The servers a bench runs against, named by the variables `cargo xtask bench` (or
//! `cargo xtask services up`) exports, which the integration tests define; and the
//! variables of the benches themselves.

// The Memcached benches use the first two servers of MEMCACHED_URL.
pub use easy_cache_integration_tests::env::{MEMCACHED_URL, REDIS_URL, optional_url};

/// Directory for the extra measurements (default `<target>/bench-extra`).
pub const EXTRA_DIR: &str = "EASY_CACHE_BENCH_EXTRA_DIR";
/// Set to `1` by `cargo xtask bench --quick`: fewer calls in the counting examples.
pub const QUICK: &str = "EASY_CACHE_BENCH_QUICK";

/// The URL in `var`, or a panic telling how to get one: a bench without its server must
/// stop, never report a figure measured against nothing.
pub fn url(var: &str) -> String {
    optional_url(var).unwrap_or_else(|| {
        panic!(
            "{var} is not set: run the benches through `cargo xtask bench` (it starts the \
             servers), or `cargo xtask services up` and export what it prints"
        )
    })
}

/// Whether this is a `--quick` run.
pub fn quick() -> bool {
    std::env::var(QUICK).is_ok_and(|v| v == "1")
}
