//! Backend factories, collected through `inventory`.

use easy_cache_core::{CacheInstance, Result};
use std::sync::Arc;

/// Builds a cache instance from a URL of one scheme. Submitted by backend crates with
/// [`register_backend!`](crate::register_backend).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_core::{CacheInstance, Error, ErrorKind, Result};
/// use easy_cache_registry::BackendFactory;
/// use std::sync::Arc;
/// fn build(url: &str) -> Result<Arc<dyn CacheInstance>> {
///     Err(Error::new(ErrorKind::Config, format!("the toy backend cannot open `{url}`")))
/// }
/// static TOY: BackendFactory = BackendFactory::new("toy", build);
/// assert_eq!(TOY.scheme(), "toy");
/// assert_eq!(TOY.build("toy://x").err().map(|e| e.kind()), Some(ErrorKind::Config));
/// ```
pub struct BackendFactory {
    scheme: &'static str,
    build: fn(&str) -> Result<Arc<dyn CacheInstance>>,
}

impl BackendFactory {
    /// A factory for `scheme` (without `://`), calling `build` with the whole URL.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_core::{CacheInstance, Result};
    /// use easy_cache_registry::BackendFactory;
    /// use std::sync::Arc;
    /// # fn build(url: &str) -> Result<Arc<dyn CacheInstance>> {
    /// #     easy_cache_registry::caches::from_url(&url.replacen("toy", "memory", 1))
    /// # }
    /// // `toy://` URLs open an in-memory cache.
    /// const TOY: BackendFactory = BackendFactory::new("toy", build);
    /// assert_eq!(TOY.build("toy://?max_capacity=10")?.name(), "memory");
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub const fn new(
        scheme: &'static str,
        build: fn(&str) -> Result<Arc<dyn CacheInstance>>,
    ) -> Self {
        BackendFactory { scheme, build }
    }

    /// The URL scheme this factory handles.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_core::{CacheInstance, Result};
    /// use easy_cache_registry::BackendFactory;
    /// use std::sync::Arc;
    /// # fn build(url: &str) -> Result<Arc<dyn CacheInstance>> {
    /// #     easy_cache_registry::caches::from_url(&url.replacen("toy", "memory", 1))
    /// # }
    /// let factory = BackendFactory::new("toy", build);
    /// assert_eq!(factory.scheme(), "toy");
    /// ```
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// Builds an instance from `url`.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_core::{CacheInstance, Result};
    /// use easy_cache_registry::BackendFactory;
    /// use std::sync::Arc;
    /// # fn build(url: &str) -> Result<Arc<dyn CacheInstance>> {
    /// #     easy_cache_registry::caches::from_url(&url.replacen("toy", "memory", 1))
    /// # }
    /// let factory = BackendFactory::new("toy", build);
    /// assert_eq!(factory.build("toy://?max_capacity=10")?.name(), "memory");
    /// assert!(factory.build("toy://?max_capacity=lots").is_err());
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
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
