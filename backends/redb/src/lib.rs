//! The redb backend of easy-cache: a crash-safe cache on local disk, in a
//! [redb](https://docs.rs/redb) 5 database file, that survives process restarts.
//!
//! URLs: `redb:///absolute/path/to/cache.redb`, or `redb://?temporary=true` for a fresh
//! database file removed when the cache is dropped (tests). Options after `?`:
//! `default_timeout` (seconds; none = never expire), `purge_interval_secs` (60; 0 = off),
//! `cache_size_bytes` (redb's page cache, 1 GiB), `max_entries` (0 = unbounded),
//! `key_prefix` and `table` (`easy_cache`).
//!
//! - A record is an 8-byte big-endian expiry (Unix milliseconds, 0 = never) and the value.
//!   Lifetimes are enforced on read: an expired record reads as absent. A background thread
//!   removes expired records every `purge_interval_secs`, in batches of one write
//!   transaction each (redb has one writer at a time, and removals are its slow part).
//! - Every write is one redb write transaction committed durably: when a `set`, `delete` or
//!   `delete_many` returns, it holds across a crash. `add` reads and writes in one write
//!   transaction, so it is atomic. `set_many`, `delete_many` and `write_batch` are one
//!   transaction each.
//! - Reads go through read transactions and never wait for a writer.
//! - With `max_entries`, a write that takes the table above it evicts down to 90% of it:
//!   expired records first, then those expiring soonest (records without expiry last).
//! - The database opens on first use; every cache of a process on one file shares it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod config;
mod evict;
mod open;
mod purge;
mod store;

pub use backend::RedbCache;
pub use config::{
    DEFAULT_CACHE_SIZE_BYTES, DEFAULT_PURGE_INTERVAL_SECS, DEFAULT_TABLE, RedbConfig,
};
/// The redb version this backend uses, for [`RedbCache::database`].
pub use redb;

use easy_cache_core::{BackendUrl, CacheInstance, NearFront, Result};
use std::sync::Arc;

/// The URL scheme of this backend.
///
/// ```
/// assert_eq!(easy_cache_redb::SCHEME, "redb");
/// let config = easy_cache_redb::RedbConfig::temporary();
/// assert!(config.display_url().starts_with(&format!("{}://", easy_cache_redb::SCHEME)));
/// ```
pub const SCHEME: &str = "redb";

/// A near cache in front when the URL asks for one (`near_capacity`, `near_ttl`).
fn from_url(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    NearFront::from_url(url, |url| {
        RedbCache::new(RedbConfig::from_backend_url(url)?)
    })
}

easy_cache_registry::register_backend!(SCHEME, from_url);
