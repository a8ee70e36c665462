//! How the engine finds a cache instance by alias at call time.

use crate::CacheInstance;
use std::sync::Arc;

/// A source of cache instances by alias: the `caches` registry implements it.
///
/// The engine asks for the alias on a function's first call and again only when
/// [`generation`](InstanceLookup::generation) changes, so a hit pays one atomic load.
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
/// use easy_cache_core::InstanceLookup;
/// /// One fixed alias, never changing.
/// struct Sessions(Arc<dyn CacheInstance>);
/// impl InstanceLookup for Sessions {
///     fn generation(&self) -> u64 { 0 }
///     fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
///         (alias == "sessions").then(|| Arc::clone(&self.0))
///     }
/// }
/// let lookup = Sessions(Arc::new(MapCache::default()));
/// assert_eq!(lookup.lookup("sessions").unwrap().name(), "map");
/// assert!(lookup.lookup("users").is_none());
/// ```
pub trait InstanceLookup: Send + Sync + 'static {
    /// A number that changes whenever any alias is added, replaced or removed.
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
    /// use easy_cache_core::InstanceLookup;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// /// A single swappable alias.
    /// struct One { instance: Mutex<Arc<dyn CacheInstance>>, generation: AtomicU64 }
    /// impl InstanceLookup for One {
    ///     fn generation(&self) -> u64 { self.generation.load(Ordering::Acquire) }
    ///     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { Some(self.instance.lock().unwrap().clone()) }
    /// }
    /// let one = One { instance: Mutex::new(Arc::new(MapCache::default())), generation: AtomicU64::new(0) };
    /// *one.instance.lock().unwrap() = Arc::new(MapCache::default());
    /// one.generation.fetch_add(1, Ordering::Release); // tells functions to look again
    /// assert_eq!(one.generation(), 1);
    /// ```
    fn generation(&self) -> u64;
    /// The instance registered under `alias`, if any.
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
    /// use easy_cache_core::InstanceLookup;
    /// struct Only(Arc<dyn CacheInstance>);
    /// impl InstanceLookup for Only {
    ///     fn generation(&self) -> u64 { 0 }
    ///     fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
    ///         (alias == "default").then(|| Arc::clone(&self.0))
    ///     }
    /// }
    /// let lookup = Only(Arc::new(MapCache::default()));
    /// assert_eq!(lookup.lookup("default").map(|c| c.name().to_owned()), Some("map".into()));
    /// assert!(lookup.lookup("sessions").is_none());
    /// ```
    fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>>;
}
