//! The environment variables through which `cargo xtask test` hands servers to the tests.

/// URL of a standalone Redis, e.g. `redis://127.0.0.1:6379`.
pub const REDIS_URL: &str = "EASY_CACHE_TEST_REDIS_URL";
/// URL of a Redis Cluster, e.g. `redis+cluster://127.0.0.1:7000,127.0.0.1:7001`.
pub const REDIS_CLUSTER_URL: &str = "EASY_CACHE_TEST_REDIS_CLUSTER_URL";
/// URL of two or more Memcached servers (`cargo xtask test` starts three), e.g.
/// `memcache://127.0.0.1:11211,127.0.0.1:11212,127.0.0.1:11213`.
pub const MEMCACHED_URL: &str = "EASY_CACHE_TEST_MEMCACHED_URL";
/// How the servers were started: `containers` or `local`; tests that start private servers
/// (fault tests) use the same path through [`ServerMode::from_env`](crate::servers::ServerMode::from_env).
pub const SERVERS: &str = "EASY_CACHE_TEST_SERVERS";
/// Identifies one `cargo xtask test` run; every container it (or a test) starts carries it as
/// the label `easy-cache-test.run`, so the run can remove exactly its own containers.
pub const RUN_ID: &str = "EASY_CACHE_TEST_RUN_ID";

/// The URL in `var`, or `None` when it is unset or empty.
pub fn optional_url(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|url| !url.trim().is_empty())
}

/// The URL in `var`, or a panic telling how to get one: a test without its server must fail,
/// never pass silently.
pub fn require_url(var: &str) -> String {
    optional_url(var).unwrap_or_else(|| {
        panic!(
            "{var} is not set: run the integration tests through `cargo xtask test` \
             (it starts the servers), or `cargo xtask services up` and export what it prints"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "cargo xtask test")]
    fn missing_url_fails_with_a_hint() {
        require_url("EASY_CACHE_TEST_THIS_VARIABLE_IS_NEVER_SET");
    }
}
