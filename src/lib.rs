//! easy-cache: cache async functions and methods, invalidate by key, tag or prefix.
//!
//! See the guide in `docs/` and the README.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use easy_cache_core::*;
pub use easy_cache_registry::{
    BackendFactory, CacheConfig, Caches, CachesConfig, DEFAULT_ALIAS, Invalidator, OptionValue,
    caches, invalidate_cache_key, invalidate_cache_prefix, invalidate_cache_tags, register_backend,
    using_alias, using_instance,
};

#[cfg(feature = "derive")]
pub use easy_cache_derive::{ECached, ecached};

#[cfg(feature = "memory")]
pub use easy_cache_memory::{MemoryCache, MemoryConfig};

// Each enabled backend is re-exported as a module; naming the crate here also keeps its
// URL-scheme registration linked into applications that only use `caches::from_url`.
/// The Memcached backend (feature `memcached`).
#[cfg(feature = "memcached")]
pub use easy_cache_memcached as memcached;
/// The in-memory backend (feature `memory`).
#[cfg(feature = "memory")]
pub use easy_cache_memory as memory;
/// The Redis and Redis Cluster backend (feature `redis`).
#[cfg(feature = "redis")]
pub use easy_cache_redis as redis;
/// The sled on-disk backend (feature `sled`).
#[cfg(feature = "sled")]
pub use easy_cache_sled as sled;

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// What generated code uses; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use easy_cache_core::__private::*;
    pub use easy_cache_registry::CACHES;
}
