//! The `caches` registry of easy-cache.
//!
//! Aliases map to [`CacheInstance`]s; functions look their alias up when they run, so a
//! function defined before the registry is configured uses whatever is configured at
//! call time. With nothing configured, `default` is the embedded in-memory cache (when
//! the `memory` backend is linked). Backends announce a URL scheme with
//! [`register_backend!`], and [`caches::from_url`] builds an instance from a URL.

mod config;
mod factory;
mod invalidate;
mod registry;

pub use config::{CacheConfig, CachesConfig, OptionValue};
pub use factory::{BackendFactory, scheme_of};
pub use invalidate::{
    invalidate_cache_key, invalidate_cache_prefix, invalidate_cache_tags, using_alias,
    using_instance,
};
pub use registry::{CACHES, Caches, DEFAULT_ALIAS};

#[doc(hidden)]
pub use inventory as __inventory;

/// The process-wide registry, as functions (the seed's `caches` object).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// caches::insert("doc_caches_sessions", caches::from_url("memory://?default_timeout=600")?);
/// assert!(caches::aliases().iter().any(|a| a == "doc_caches_sessions"));
/// assert_eq!(caches::get("doc_caches_sessions").unwrap().name(), "memory");
/// assert!(caches::remove("doc_caches_sessions").is_some());
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub mod caches {
    pub use crate::registry::{
        aliases, clear, from_url, get, insert, remove, schemes, set_default, try_get,
    };
}

/// Registers a backend factory for a URL scheme, found at run time through `inventory`.
///
/// ```
/// use easy_cache_core::{CacheInstance, Result};
/// use std::sync::Arc;
///
/// fn build(url: &str) -> Result<Arc<dyn CacheInstance>> {
/// #   unimplemented!("{url}")
///     // parse `url`, build the backend, return it
/// }
/// easy_cache_registry::register_backend!("toy", build);
///
/// assert!(easy_cache_registry::caches::schemes().contains(&"toy"));
/// ```
#[macro_export]
macro_rules! register_backend {
    ($scheme:expr, $build:expr) => {
        $crate::__inventory::submit! {
            $crate::BackendFactory::new($scheme, $build)
        }
    };
}
