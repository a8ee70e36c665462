//! easy-cache: cache functions and methods, async or sync, invalidate by key, tag or
//! prefix.
//!
//! See the guide in `docs/` and the README.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Decorate: the attribute and what its options name.
#[cfg(feature = "bincode")]
pub use easy_cache_core::Bincode;
#[cfg(any(feature = "bincode", feature = "json"))]
pub use easy_cache_core::DefaultCodec;
#[cfg(feature = "json")]
pub use easy_cache_core::Json;
pub use easy_cache_core::{CacheHandle, Codec, DEFAULT_SINGLE_FLIGHT_WAIT, Meta, Timeout};
// Fail-safe, refresh, jitter and timeouts: per function, or as an instance's defaults.
pub use easy_cache_core::{
    DEFAULT_FAIL_SAFE_THROTTLE, Jitter, RESILIENCE_OPTIONS, RefreshAhead, Resilience,
    ResilienceOption, ResilientInstance,
};
#[cfg(feature = "derive")]
pub use easy_cache_derive::{ECached, ecached};

// Keys and invalidation.
pub mod blocking;
pub use easy_cache_core::{
    IntoTags, Invalidator, KEY_SEPARATOR, KeyPart, create_cache_key, create_tag_cache_key,
    prefix_version_key, tag_version_key, write_escaped, write_hashed,
};
pub use easy_cache_registry::{
    invalidate_cache_key, invalidate_cache_prefix, invalidate_cache_tags, using_alias,
    using_instance,
};

// Backends and the registry.
pub use easy_cache_core::{
    BackendUrl, Bytes, CacheInstance, InProcess, NearCache, NearConfig, NearFront, Options,
    PREFIX_VERSION_PREFIX, TAG_VERSION_PREFIX, Userinfo, Write, WriteMode, async_trait, testing,
};
pub use easy_cache_registry::{
    BackendFactory, CacheConfig, Caches, CachesConfig, DEFAULT_ALIAS, OptionValue, caches,
    register_backend,
};

// Errors.
pub use easy_cache_core::{Error, ErrorKind, Result};

/// Hit ratios, latency and errors: per-function [`Stats`](observe::Stats) (always), the
/// `metrics` facade's series (feature `metrics`), tracing spans and the slow-operation
/// warning. See the guide's chapter on observability.
pub use easy_cache_core::observe;

/// The cache's clock, as tests move it (feature `test-clock`).
#[cfg(feature = "test-clock")]
pub use easy_cache_core::test_clock;

/// Helpers for writing a backend: reading URL options, hiding secrets in what a config
/// shows, the setters network backends share.
pub mod for_backends {
    pub use easy_cache_core::{
        is_secret, network_setters, optional_seconds, percent_encode, redact_url, shown_from_url,
        shown_in_error, split_host_port, whole_millis,
    };
}

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
/// The redb on-disk backend (feature `redb`).
#[cfg(feature = "redb")]
pub use easy_cache_redb as redb;
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
