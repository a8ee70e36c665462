//! Test support for easy-cache: the shared behaviour [`suite`] every backend must pass, and
//! the real servers ([`servers`]) it runs against.
//!
//! `cargo xtask test` starts Redis, a Redis Cluster and Memcached (in containers, or as
//! local processes), exports their URLs in the `EASY_CACHE_TEST_*` variables of [`env`],
//! and runs the workspace tests. A test file in `tests/` reads its URL with
//! [`env::require_url`] and expands the suite for its backend with [`behaviour_suite!`].

#![forbid(unsafe_code)]

pub mod disk;
pub mod env;
pub mod redis_stats;
pub mod servers;
pub mod suite;
pub mod support;
