//! The Redis backend of easy-cache, on [redis-rs](https://docs.rs/redis) 1.x.
//!
//! URLs (options after `?`: `timeout_ms` (250), `connect_timeout_ms` (250),
//! `default_timeout` (seconds; none = never expire), `key_prefix`, `db`, `username`,
//! `password`, `tls_ca_file`, `client_tracking` (true), `wait_replicas` (0), `wait_timeout_ms`
//! (100), `near_capacity` (0: no near cache), `near_ttl` (seconds, 5)):
//! - `redis://[user:password@]host[:port][/db]`: one server over TCP;
//! - `rediss://...`: the same over TLS (rustls, Mozilla's roots or the PEM file of
//!   `tls_ca_file`; the `tls` feature, on by default);
//! - `redis+unix:///path/to/redis.sock`: one server over a unix socket;
//! - `redis+cluster://host:port,host:port` (`rediss+cluster://` for TLS): a Redis Cluster,
//!   the listed nodes being seeds.
//!
//! Behaviour:
//! - Nothing connects when a cache is built; the first call connects, a failed attempt is
//!   retried by the next call, and a lost connection reconnects by itself. Every operation
//!   is bounded by `timeout_ms` ([`ErrorKind::Timeout`](easy_cache_core::ErrorKind::Timeout)).
//! - `get_many` is one `MGET`, `delete_many` one `DEL`; `set_many` and `write_batch` are one
//!   pipeline of `SET key value [NX] [PX ms]`. On a cluster, `MGET`/`DEL` are split by hash
//!   slot by the client and pipelines are grouped by slot, the parts sent concurrently.
//! - `add` is `SET NX`, atomic on the server.
//! - Client tracking (standalone and unix servers, Redis 6+, on by default): tag and
//!   prefix versions read once are kept in memory and kept current by the server's RESP3
//!   invalidation pushes (`CLIENT TRACKING ON BCAST`), so a tagged hit sends one `GET`. A
//!   server that refuses it gets the versions read in each `MGET`.
//! - Near cache (`near_capacity` above 0; standalone and unix servers, refused on a cluster):
//!   decoded values kept in process, coherent with every other process through the
//!   server's invalidation pushes. The cache's connection then asks for `CLIENT TRACKING
//!   ON` (the keys it reads, instead of `BCAST` on the version prefixes): the server tells
//!   it of every later change of a key it read, before any later reply on that connection.
//!   Its own writes reach the near cache before they return; a lost connection empties it.
//! - Lifetimes are milliseconds (`PX`), at most 100 years (a longer one, up to
//!   `Duration::MAX`, is stored as 100 years); a zero lifetime stores nothing (and a `set`
//!   with it removes the old value).
//! - Keep-alives of version keys are `PEXPIRE ... GT` (Redis 7), a script on a server that
//!   refuses it, nothing when scripts are refused too; a refused keep-alive never fails the
//!   writes beside it.
//! - With `wait_replicas`, invalidations are followed by `WAIT` and fail
//!   ([`ErrorKind::Backend`](easy_cache_core::ErrorKind::Backend)) when fewer replicas
//!   acknowledged them in time.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod config;
mod connection;
mod pipeline;
mod spare;
mod tracking;

pub use backend::RedisCache;
pub use config::{
    DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_NEAR_TTL_SECS, DEFAULT_PORT, DEFAULT_TIMEOUT_MS,
    DEFAULT_WAIT_TIMEOUT_MS, RedisConfig, Topology,
};

use easy_cache_core::{BackendUrl, CacheInstance, Result};
use std::sync::Arc;

/// The URL schemes of this backend.
///
/// ```
/// use easy_cache_redis::{RedisConfig, SCHEMES};
/// assert!(SCHEMES.contains(&"redis+cluster"));
/// // Every scheme parses (TLS ones need the default `tls` feature).
/// for scheme in SCHEMES.iter().filter(|s| !s.starts_with("rediss")) {
///     let rest = if *scheme == "redis+unix" { "/run/redis.sock" } else { "h:6379" };
///     RedisConfig::from_url(&format!("{scheme}://{rest}")).unwrap();
/// }
/// ```
pub const SCHEMES: [&str; 5] = [
    "redis",
    "rediss",
    "redis+unix",
    "redis+cluster",
    "rediss+cluster",
];

fn from_url(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    Ok(Arc::new(RedisCache::new(RedisConfig::from_backend_url(
        url,
    )?)?))
}

easy_cache_registry::register_backend!("redis", from_url);
easy_cache_registry::register_backend!("rediss", from_url);
easy_cache_registry::register_backend!("redis+unix", from_url);
easy_cache_registry::register_backend!("redis+cluster", from_url);
easy_cache_registry::register_backend!("rediss+cluster", from_url);
