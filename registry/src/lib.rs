//! The `caches` registry of easy-cache.
//!
//! Aliases map to [`CacheInstance`]s; functions look their alias up when they run, so a
//! function defined before the registry is configured uses whatever is configured at
//! call time. With nothing configured, `default` is the embedded in-memory cache (when
//! the `memory` backend is linked). Backends announce a URL scheme with
//! [`register_backend!`], and [`caches::from_url`] builds an instance from a URL.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod caches;
mod config;
mod invalidate;
mod schemes;

pub use caches::{CACHES, Caches, DEFAULT_ALIAS};
pub use config::{CacheConfig, CachesConfig, OptionValue};
pub use invalidate::{
    invalidate_cache_key, invalidate_cache_prefix, invalidate_cache_tags, using_alias,
    using_instance,
};

pub use schemes::{BackendFactory, scheme_of};

#[doc(hidden)]
pub use inventory as __inventory;

/// Registers a backend factory for a URL scheme, found at run time through `inventory`.
///
/// ```
/// use easy_cache_core::{BackendUrl, CacheInstance, Result};
/// use std::sync::Arc;
///
/// fn build(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
/// #   unimplemented!("{url:?}")
///     // read the URL's parts and options, build the backend, return it
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
