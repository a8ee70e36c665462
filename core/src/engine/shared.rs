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
///
/// ```
/// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
/// # use std::{collections::HashMap, sync::{Arc, Mutex}};
/// # #[derive(Default)]
/// # struct MapCache(Mutex<HashMap<String, Bytes>>);
/// # #[async_trait]
/// # impl CacheInstance for MapCache {
/// #     fn name(&self) -> &str { "map" }
/// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
/// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> {
/// #         self.0.lock().unwrap().insert(k.into(), v);
/// #         Ok(())
/// #     }
/// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
/// #         let mut map = self.0.lock().unwrap();
/// #         if map.contains_key(k) { return Ok(false); }
/// #         map.insert(k.into(), v);
/// #         Ok(true)
/// #     }
/// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
/// # }
/// use easy_cache_core::shared_instance;
/// let first = shared_instance("doc::shared_instance", || Arc::new(MapCache::default()));
/// // Later requests under the same id get the same instance; `build` does not run again.
/// let again = shared_instance("doc::shared_instance", || unreachable!());
/// assert!(Arc::ptr_eq(&first, &again));
/// ```
pub fn shared_instance(
    id: &'static str,
    build: impl FnOnce() -> Arc<dyn CacheInstance>,
) -> Arc<dyn CacheInstance> {
    let mut map = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    Arc::clone(map.entry(id).or_insert_with(build))
}

/// Values accepted by `cache_instance = ...`: an `Arc` of an instance, or an instance.
///
/// ```
/// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
/// # use std::{collections::HashMap, sync::{Arc, Mutex}};
/// # #[derive(Default)]
/// # struct MapCache(Mutex<HashMap<String, Bytes>>);
/// # #[async_trait]
/// # impl CacheInstance for MapCache {
/// #     fn name(&self) -> &str { "map" }
/// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
/// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> {
/// #         self.0.lock().unwrap().insert(k.into(), v);
/// #         Ok(())
/// #     }
/// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
/// #         let mut map = self.0.lock().unwrap();
/// #         if map.contains_key(k) { return Ok(false); }
/// #         map.insert(k.into(), v);
/// #         Ok(true)
/// #     }
/// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
/// # }
/// use easy_cache_core::IntoInstance;
/// let from_value = MapCache::default().into_instance();
/// assert_eq!(from_value.name(), "map");
/// let shared = Arc::new(MapCache::default());
/// let from_arc = Arc::clone(&shared).into_instance();
/// // The `Arc` is reused, not wrapped again.
/// assert_eq!(Arc::strong_count(&shared), 2);
/// # drop(from_arc);
/// ```
pub trait IntoInstance {
    /// Converts to a shared instance.
    ///
    /// ```
    /// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
    /// # use std::{collections::HashMap, sync::{Arc, Mutex}};
    /// # #[derive(Default)]
    /// # struct MapCache(Mutex<HashMap<String, Bytes>>);
    /// # #[async_trait]
    /// # impl CacheInstance for MapCache {
    /// #     fn name(&self) -> &str { "map" }
    /// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
    /// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> {
    /// #         self.0.lock().unwrap().insert(k.into(), v);
    /// #         Ok(())
    /// #     }
    /// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
    /// #         let mut map = self.0.lock().unwrap();
    /// #         if map.contains_key(k) { return Ok(false); }
    /// #         map.insert(k.into(), v);
    /// #         Ok(true)
    /// #     }
    /// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
    /// # }
    /// use easy_cache_core::IntoInstance;
    /// let instance: Arc<dyn CacheInstance> = MapCache::default().into_instance();
    /// assert_eq!(instance.name(), "map");
    /// ```
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
