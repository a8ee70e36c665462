//! The in-memory backend of easy-cache, on [moka](https://docs.rs/moka).
//!
//! It is the embedded `default` cache: with nothing configured, `#[ecached]` functions
//! store here. Build one explicitly with [`MemoryCache::new`] or from a URL:
//! `memory://?max_capacity=10000`, `memory://?max_bytes=67108864&default_timeout=600`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod config;

pub use backend::MemoryCache;
pub use config::{DEFAULT_MAX_CAPACITY, DEFAULT_NEAR_CAPACITY, MemoryConfig};

use easy_cache_core::{BackendUrl, CacheInstance, Result};
use std::sync::Arc;

/// The URL scheme of this backend.
///
/// ```
/// assert_eq!(easy_cache_memory::SCHEME, "memory");
/// // Linking this crate registers the scheme with the registry.
/// assert!(easy_cache_registry::caches::schemes().contains(&easy_cache_memory::SCHEME));
/// ```
pub const SCHEME: &str = "memory";

fn from_url(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    Ok(Arc::new(MemoryCache::new(MemoryConfig::from_backend_url(
        url,
    )?)))
}

easy_cache_registry::register_backend!(SCHEME, from_url);
