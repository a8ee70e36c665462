//! The sled backend of easy-cache: a cache on local disk, in a [sled](https://docs.rs/sled)
//! 0.34 database, that survives process restarts.
//!
//! URLs: `sled:///absolute/path/to/dir`, or `sled://?temporary=true` for a fresh database
//! removed when the cache is dropped (tests). Options after `?`: `default_timeout` (seconds;
//! none = never expire), `purge_interval_secs` (60; 0 = off), `cache_capacity_bytes` (sled's
//! page cache, 1 GiB), `flush_every_ms` (500; 0 = only on drop), `key_prefix` and `tree`
//! (`easy_cache`).
//!
//! - A record is an 8-byte big-endian expiry (Unix milliseconds, 0 = never) and the value.
//!   Lifetimes are enforced on read: an expired record reads as absent and is removed. A
//!   background thread purges expired records every `purge_interval_secs`.
//! - `add` is a compare-and-swap from what is there (nothing, or an expired record) to the
//!   new record: atomic across threads. `set_many`, `delete_many` and runs of `Set` in
//!   `write_batch` are one atomic sled batch.
//! - The database opens on first use; every cache of a process on one directory shares it.
//! - sled calls run in-process on the calling thread; none waits for a disk flush.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod config;
mod open;
mod purge;
mod record;
mod store;

pub use backend::SledCache;
pub use config::{
    DEFAULT_CACHE_CAPACITY_BYTES, DEFAULT_FLUSH_EVERY_MS, DEFAULT_PURGE_INTERVAL_SECS,
    DEFAULT_TREE, SledConfig,
};
/// The sled version this backend uses, for [`SledCache::tree`].
pub use sled;

use easy_cache_core::{BackendUrl, CacheInstance, NearFront, Result};
use std::sync::Arc;

/// The URL scheme of this backend.
///
/// ```
/// assert_eq!(easy_cache_sled::SCHEME, "sled");
/// let config = easy_cache_sled::SledConfig::temporary();
/// assert!(config.display_url().starts_with(&format!("{}://", easy_cache_sled::SCHEME)));
/// ```
pub const SCHEME: &str = "sled";

/// A near cache in front when the URL asks for one (`near_capacity`, `near_ttl`).
fn from_url(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    NearFront::from_url(url, |url| {
        SledCache::new(SledConfig::from_backend_url(url)?)
    })
}

easy_cache_registry::register_backend!(SCHEME, from_url);
