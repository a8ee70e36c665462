//! Backend factories, collected through `inventory`.

use easy_cache_core::{CacheInstance, Result};
use std::sync::Arc;

/// Builds a cache instance from a URL of one scheme. Submitted by backend crates with
/// [`register_backend!`](crate::register_backend).
pub struct BackendFactory {
    scheme: &'static str,
    build: fn(&str) -> Result<Arc<dyn CacheInstance>>,
}

impl BackendFactory {
    /// A factory for `scheme` (without `://`), calling `build` with the whole URL.
    pub const fn new(
        scheme: &'static str,
        build: fn(&str) -> Result<Arc<dyn CacheInstance>>,
    ) -> Self {
        BackendFactory { scheme, build }
    }

    /// The URL scheme this factory handles.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// Builds an instance from `url`.
    pub fn build(&self, url: &str) -> Result<Arc<dyn CacheInstance>> {
        (self.build)(url)
    }
}

inventory::collect!(BackendFactory);

/// Every registered factory.
pub(crate) fn factories() -> impl Iterator<Item = &'static BackendFactory> {
    inventory::iter::<BackendFactory>.into_iter()
}

/// The scheme of a URL: the part before `://` (or before the first `:`).
///
/// ```
/// assert_eq!(easy_cache_registry::scheme_of("redis+cluster://a:1,b:2"), "redis+cluster");
/// assert_eq!(easy_cache_registry::scheme_of("memory://"), "memory");
/// ```
pub fn scheme_of(url: &str) -> &str {
    url.split_once(':').map_or(url, |(scheme, _)| scheme)
}
