//! Instances given with `cache_instance = expr`, built once per function.
//!
//! A function's body and its handle each hold a `FnCache` (a static method cannot name
//! its handle, so they cannot share one static); both ask here by the function's id, so
//! the expression runs once and both use the same instance.

use crate::CacheInstance;
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
