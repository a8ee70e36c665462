//! Instances given with `cache_instance = expr`, built once per function.
//!
//! A method's body uses its handle's `FnCache` (`Self::<name>_cache().fn_cache()`). A
//! function without `self` given `#[ecached]` directly cannot: it may be free or
//! associated, and the macro cannot tell how to name its handle. Its body and its handle
//! then each hold a `FnCache` static, and the expression must not run once per static:
//! both ask here by the function's id, so it runs once and both use the same instance.

use crate::backend::CacheInstance;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

static SHARED: LazyLock<Mutex<HashMap<&'static str, Arc<dyn CacheInstance>>>> =
    LazyLock::new(Default::default);

/// The instance of function `id`, built by `build` on first request.
pub fn shared_instance(
    id: &'static str,
    build: impl FnOnce() -> Arc<dyn CacheInstance>,
) -> Arc<dyn CacheInstance> {
    let mut map = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(map.entry(id).or_insert_with(build))
}

/// Values accepted by `cache_instance = ...`: an `Arc` of an instance, or an instance.
pub trait IntoInstance {
    /// Converts to a shared instance.
    fn into_instance(self) -> Arc<dyn CacheInstance>;
}

impl IntoInstance for Arc<dyn CacheInstance> {
    fn into_instance(self) -> Arc<dyn CacheInstance> {
        self
    }
}

impl<T: CacheInstance> IntoInstance for Arc<T> {
    fn into_instance(self) -> Arc<dyn CacheInstance> {
        self
    }
}

impl<T: CacheInstance> IntoInstance for T {
    fn into_instance(self) -> Arc<dyn CacheInstance> {
        Arc::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MapCache;

    #[test]
    fn one_instance_per_id() {
        let first = shared_instance("tests::shared_instance", || Arc::new(MapCache::default()));
        // Later requests under the same id get the same instance; `build` does not run again.
        let again = shared_instance("tests::shared_instance", || unreachable!());
        assert!(Arc::ptr_eq(&first, &again));
    }

    #[test]
    fn an_arc_is_reused_a_value_is_wrapped() {
        let from_value = MapCache::default().into_instance();
        assert_eq!(from_value.name(), "map");
        let shared = Arc::new(MapCache::default());
        let _from_arc = Arc::clone(&shared).into_instance();
        assert_eq!(Arc::strong_count(&shared), 2);
    }
}
