//! The easy-cache guide. Each chapter is a Markdown file under `docs/guide/`, included
//! here so that its code blocks compile and run as doctests.

#![forbid(unsafe_code)]

#[doc = include_str!("../guide/01-getting-started.md")]
pub mod getting_started {}

#[doc = include_str!("../guide/02-cached-properties.md")]
pub mod cached_properties {}

#[doc = include_str!("../guide/03-how-tags-work.md")]
pub mod how_tags_work {}

#[doc = include_str!("../guide/04-custom-backends.md")]
pub mod custom_backends {}

#[doc = include_str!("../guide/05-configuration.md")]
pub mod configuration {}

#[doc = include_str!("../guide/06-sync-functions.md")]
pub mod sync_functions {}

#[doc = include_str!("../guide/07-fail-safe-and-refresh.md")]
pub mod fail_safe_and_refresh {}

#[doc = include_str!("../guide/08-observability.md")]
pub mod observability {}

#[doc = include_str!("../guide/near-cache.md")]
pub mod near_cache {}

#[doc = include_str!("../guide/backend-redis.md")]
pub mod backend_redis {}

#[doc = include_str!("../guide/backend-memcached.md")]
pub mod backend_memcached {}

#[doc = include_str!("../guide/backend-sled.md")]
pub mod backend_sled {}

#[doc = include_str!("../guide/backend-redb.md")]
pub mod backend_redb {}

#[doc = include_str!("../guide/testing.md")]
pub mod testing {}

#[doc = include_str!("../guide/reliability.md")]
pub mod reliability {}

#[doc = include_str!("../guide/performance.md")]
pub mod performance {}

// Written by `cargo xtask bench` (a full run) and `cargo xtask bench-page`, never by hand;
// included so that it stays a page without code blocks to compile.
#[doc = include_str!("../guide/bench-report.md")]
pub mod bench_report {}
