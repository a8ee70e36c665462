//! How the engine finds a cache instance by alias at call time.

use crate::CacheInstance;
use std::sync::Arc;

/// A source of cache instances by alias: the `caches` registry implements it.
///
/// The engine asks for the alias on a function's first call and again only when
/// [`generation`](InstanceLookup::generation) changes, so a hit pays one atomic load.
pub trait InstanceLookup: Send + Sync + 'static {
    /// A number that changes whenever any alias is added, replaced or removed.
    fn generation(&self) -> u64;
    /// The instance registered under `alias`, if any.
    fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>>;
}
