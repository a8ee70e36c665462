//! The handle of one decorated function (the seed's bound methods): invalidate its
//! entries by key, tags or prefix from the same parameters the function takes, read the key
//! a call would use, refresh a call.
//!
//! `#[ecached]` on `fn load_user` generates `load_user_cache()` (for a method,
//! `Type::load_user_cache()`) returning a [`CacheHandle`]. Its typed methods take exactly
//! the parameters the key, tags or prefix use, each as a reference (`&u64` for `id: u64`,
//! `&str` for `name: &str`, `&User` for `self`).

use crate::engine::{FnCache, refresh_scope};
use crate::invalidate::{IntoTags, invalidate_key_on, invalidate_prefix_on, invalidate_tags_on};
use crate::{CacheInstance, Error, ErrorKind, Result};
use std::future::Future;
use std::sync::Arc;

/// The handle of one decorated function. `K`, `T` and `P` carry the generated functions
/// that build its key, tags and prefix from parameters ([`NoTags`] / [`NoPrefix`] when
/// the function has none, so the matching methods do not exist).
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
/// # use easy_cache_core::InstanceLookup;
/// # struct NoAliases;
/// # impl InstanceLookup for NoAliases {
/// #     fn generation(&self) -> u64 { 0 }
/// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
/// # }
/// # use easy_cache_core::{CacheTarget, FnCache};
/// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
/// # static LOAD_USER: FnCache =
/// #     FnCache::new("doc::CacheHandle", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
/// use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
/// // By hand, what `#[ecached(key = "user:{id}")] async fn load_user(id: u64)` generates:
/// let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let key = handle.cache_key(&7);
/// handle.instance()?.set(&key, "Ann".into(), Timeout::Never).await?;
/// assert!(handle.invalidate_cache_by_key(&7).await?);
/// assert_eq!(handle.instance()?.get(&key).await?, None);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub struct CacheHandle<K, T, P> {
    cache: &'static FnCache,
    key: K,
    tags: T,
    prefix: P,
}

/// The function declares no argument-derived tags.
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
/// # use easy_cache_core::InstanceLookup;
/// # struct NoAliases;
/// # impl InstanceLookup for NoAliases {
/// #     fn generation(&self) -> u64 { 0 }
/// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
/// # }
/// # use easy_cache_core::{CacheTarget, FnCache};
/// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
/// # static LOAD_USER: FnCache =
/// #     FnCache::new("doc::NoTags", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
/// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
/// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::tag_version_key;
/// // With `NoTags` there is no `invalidate_cache_by_tags`; explicit tags still work.
/// handle.invalidate_tags("users").await?;
/// assert!(handle.instance()?.get(&tag_version_key("users")).await?.is_none()); // gone: entries stored under it are stale
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NoTags;
/// The function declares no prefix.
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
/// # use easy_cache_core::InstanceLookup;
/// # struct NoAliases;
/// # impl InstanceLookup for NoAliases {
/// #     fn generation(&self) -> u64 { 0 }
/// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
/// # }
/// # use easy_cache_core::{CacheTarget, FnCache};
/// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
/// # static LOAD_USER: FnCache =
/// #     FnCache::new("doc::NoPrefix", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
/// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
/// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::prefix_version_key;
/// // With `NoPrefix` there is no `invalidate_cache_by_prefix`; an explicit prefix still works.
/// handle.invalidate_prefix("shop:1").await?;
/// assert!(handle.instance()?.get(&prefix_version_key("shop:1")).await?.is_none()); // gone: entries stored under it are stale
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct NoPrefix;

impl<K, T, P> CacheHandle<K, T, P> {
    #[doc(hidden)]
    pub const fn new(cache: &'static FnCache, key: K, tags: T, prefix: P) -> Self {
        CacheHandle {
            cache,
            key,
            tags,
            prefix,
        }
    }

    #[doc(hidden)]
    pub fn fn_cache(&self) -> &'static FnCache {
        self.cache
    }

    #[doc(hidden)]
    pub fn key_builder(&self) -> &K {
        &self.key
    }

    #[doc(hidden)]
    pub fn tags_builder(&self) -> &T {
        &self.tags
    }

    #[doc(hidden)]
    pub fn prefix_builder(&self) -> &P {
        &self.prefix
    }

    /// The cache instance this function uses now (its alias resolved at this moment).
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
    /// # use easy_cache_core::InstanceLookup;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// # use easy_cache_core::{CacheTarget, FnCache};
    /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
    /// # static LOAD_USER: FnCache =
    /// #     FnCache::new("doc::instance", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
    /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
    /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
    /// use easy_cache_core::ErrorKind;
    /// assert_eq!(handle.instance()?.name(), "map");
    /// // A function whose alias nobody registered has no instance:
    /// static ORPHAN: FnCache = FnCache::new("doc::orphan", "app::orphan", CacheTarget::Alias("nope"), &NoAliases, true);
    /// let orphan = CacheHandle::new(&ORPHAN, Args1(|id: &u64| format!("o:{id}")), NoTags, NoPrefix);
    /// assert_eq!(orphan.instance().err().map(|e| e.kind()), Some(ErrorKind::UnknownAlias));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn instance(&self) -> Result<Arc<dyn CacheInstance>> {
        self.cache.instance().ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownAlias,
                format!("{} has no cache instance", self.cache.name()),
            )
        })
    }

    /// Removes the entry stored under a full key, on this function's cache.
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
    /// # use easy_cache_core::InstanceLookup;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// # use easy_cache_core::{CacheTarget, FnCache};
    /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
    /// # static LOAD_USER: FnCache =
    /// #     FnCache::new("doc::invalidate_key", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
    /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
    /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// handle.instance()?.set("user:7", "Ann".into(), Timeout::Never).await?;
    /// assert!(handle.invalidate_key("user:7").await?);
    /// assert!(!handle.invalidate_key("user:7").await?); // already gone
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn invalidate_key(&self, key: &str) -> Result<bool> {
        invalidate_key_on(&*self.instance()?, key).await
    }

    /// Invalidates explicit tags on this function's cache (the seed's
    /// `invalidate_cache_by_tags(tags=...)`).
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
    /// # use easy_cache_core::InstanceLookup;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// # use easy_cache_core::{CacheTarget, FnCache};
    /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
    /// # static LOAD_USER: FnCache =
    /// #     FnCache::new("doc::invalidate_tags", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
    /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
    /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use easy_cache_core::tag_version_key;
    /// handle.invalidate_tags(["users", "admins"]).await?;
    /// let instance = handle.instance()?;
    /// assert!(instance.get(&tag_version_key("admins")).await?.is_none()); // gone: entries stored under it are stale
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn invalidate_tags(&self, tags: impl IntoTags) -> Result<()> {
        invalidate_tags_on(&*self.instance()?, tags).await
    }

    /// Invalidates an explicit prefix on this function's cache.
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
    /// # use easy_cache_core::InstanceLookup;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// # use easy_cache_core::{CacheTarget, FnCache};
    /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
    /// # static LOAD_USER: FnCache =
    /// #     FnCache::new("doc::invalidate_prefix", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
    /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
    /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use easy_cache_core::prefix_version_key;
    /// handle.invalidate_prefix("shop:1").await?;
    /// assert!(handle.instance()?.get(&prefix_version_key("shop:1")).await?.is_none()); // gone: entries stored under it are stale
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn invalidate_prefix(&self, prefix: &str) -> Result<()> {
        invalidate_prefix_on(&*self.instance()?, prefix).await
    }

    /// Runs `call` — a call of this function, e.g. `load_user(7)` — bypassing the cached
    /// value, stores the fresh result and returns it (the seed's `refresh_cache`).
    ///
    /// A future that is not a call of this function runs normally (a warning is logged).
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
    /// # use easy_cache_core::InstanceLookup;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// # use easy_cache_core::{CacheTarget, FnCache};
    /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
    /// # static LOAD_USER: FnCache =
    /// #     FnCache::new("doc::refresh_cache", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
    /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
    /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
    /// # use easy_cache_core::{CallSpec, DefaultCodec, Plain};
    /// # use std::sync::atomic::{AtomicU32, Ordering};
    /// # static CALLS: AtomicU32 = AtomicU32::new(0);
    /// # async fn load_user(id: u64) -> String {
    /// #     let key = format!("user:{id}");
    /// #     let spec = CallSpec { key: &key, versions: &[], timeout: Timeout::Never, fingerprint: 1 };
    /// #     LOAD_USER.call::<DefaultCodec, Plain, _, _>(spec, None, async move {
    /// #         format!("user {id} v{}", CALLS.fetch_add(1, Ordering::SeqCst))
    /// #     }).await
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// // `load_user` is a cached function using this handle's `FnCache`.
    /// assert_eq!(load_user(7).await, "user 7 v0");
    /// assert_eq!(load_user(7).await, "user 7 v0"); // a hit
    /// assert_eq!(handle.refresh_cache(load_user(7)).await, "user 7 v1");
    /// assert_eq!(load_user(7).await, "user 7 v1"); // the fresh value was stored
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn refresh_cache<F: Future>(&self, call: F) -> F::Output {
        let (output, refreshed) = refresh_scope(self.cache.id(), call).await;
        if !refreshed {
            tracing::warn!(target: "easy_cache", function = self.cache.name(), "refresh_cache was given a future that is not a call of this function");
        }
        output
    }
}

impl<K, T, P> std::fmt::Debug for CacheHandle<K, T, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheHandle")
            .field("function", &self.cache.name())
            .finish()
    }
}

// Arity impls mirror the decorated function, so long parameter lists are the point.
macro_rules! arity {
    ($wrapper:ident; $($arg:ident $param:ident),*) => {
        /// Generated builder of a key, tags or prefix from this many parameters.
        ///
        /// ```
        /// use easy_cache_core::Args2;
        /// // The key builder of `#[ecached(key = "shop:{shop}:item:{id}")] fn item(shop: u32, id: u64)`:
        /// let key = Args2(|shop: &u32, id: &u64| format!("shop:{shop}:item:{id}"));
        /// assert_eq!((key.0)(&1, &7), "shop:1:item:7");
        /// ```
        #[derive(Clone, Copy)]
        pub struct $wrapper<F>(pub F);

        #[allow(clippy::too_many_arguments)]
        impl<F, T, P> CacheHandle<$wrapper<F>, T, P> {
            /// The full storage key a call with these parameters uses (prefix included).
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
            /// # use easy_cache_core::InstanceLookup;
            /// # struct NoAliases;
            /// # impl InstanceLookup for NoAliases {
            /// #     fn generation(&self) -> u64 { 0 }
            /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
            /// # }
            /// # use easy_cache_core::{CacheTarget, FnCache};
            /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
            /// # static LOAD_USER: FnCache =
            /// #     FnCache::new("doc::cache_key", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
            /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
            /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
            /// assert_eq!(handle.cache_key(&7), "user:7");
            /// ```
            pub fn cache_key<$($arg),*>(&self, $($param: $arg),*) -> String
            where
                F: Fn($($arg),*) -> String,
            {
                (self.key.0)($($param),*)
            }

            /// Removes the entry a call with these parameters would read (the seed's
            /// `invalidate_cache_by_key`). Returns whether an entry was there.
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
            /// # use easy_cache_core::InstanceLookup;
            /// # struct NoAliases;
            /// # impl InstanceLookup for NoAliases {
            /// #     fn generation(&self) -> u64 { 0 }
            /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
            /// # }
            /// # use easy_cache_core::{CacheTarget, FnCache};
            /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
            /// # static LOAD_USER: FnCache =
            /// #     FnCache::new("doc::invalidate_cache_by_key", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
            /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
            /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, NoPrefix);
            /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
            /// let instance = handle.instance()?;
            /// instance.set(&handle.cache_key(&7), "Ann".into(), Timeout::Never).await?;
            /// assert!(handle.invalidate_cache_by_key(&7).await?);
            /// assert_eq!(instance.get("user:7").await?, None);
            /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
            /// ```
            pub async fn invalidate_cache_by_key<$($arg),*>(&self, $($param: $arg),*) -> Result<bool>
            where
                F: Fn($($arg),*) -> String,
            {
                let key = (self.key.0)($($param),*);
                self.invalidate_key(&key).await
            }
        }

        #[allow(clippy::too_many_arguments)]
        impl<K, F, P> CacheHandle<K, $wrapper<F>, P> {
            /// Invalidates the tags a call with these parameters is stored under.
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
            /// # use easy_cache_core::InstanceLookup;
            /// # struct NoAliases;
            /// # impl InstanceLookup for NoAliases {
            /// #     fn generation(&self) -> u64 { 0 }
            /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
            /// # }
            /// # use easy_cache_core::{CacheTarget, FnCache};
            /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
            /// # static LOAD_USER: FnCache =
            /// #     FnCache::new("doc::invalidate_cache_by_tags", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
            /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
            /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), Args1(|id: &u64| vec![format!("user:{id}"), "users".to_string()]), NoPrefix);
            /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
            /// use easy_cache_core::tag_version_key;
            /// handle.invalidate_cache_by_tags(&7).await?;
            /// let instance = handle.instance()?;
            /// assert!(instance.get(&tag_version_key("user:7")).await?.is_none()); // gone: entries stored under it are stale
            /// assert!(instance.get(&tag_version_key("users")).await?.is_none()); // gone: entries stored under it are stale
            /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
            /// ```
            pub async fn invalidate_cache_by_tags<$($arg),*>(&self, $($param: $arg),*) -> Result<()>
            where
                F: Fn($($arg),*) -> Vec<String>,
            {
                let tags = (self.tags.0)($($param),*);
                self.invalidate_tags(tags).await
            }
        }

        #[allow(clippy::too_many_arguments)]
        impl<K, T, F> CacheHandle<K, T, $wrapper<F>> {
            /// Invalidates every entry under the prefix a call with these parameters uses,
            /// across every function sharing that prefix.
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
            /// # use easy_cache_core::InstanceLookup;
            /// # struct NoAliases;
            /// # impl InstanceLookup for NoAliases {
            /// #     fn generation(&self) -> u64 { 0 }
            /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
            /// # }
            /// # use easy_cache_core::{CacheTarget, FnCache};
            /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
            /// # static LOAD_USER: FnCache =
            /// #     FnCache::new("doc::invalidate_cache_by_prefix", "app::load_user", CacheTarget::Instance(build), &NoAliases, true);
            /// # use easy_cache_core::{Args1, CacheHandle, NoPrefix, NoTags};
            /// # let handle = CacheHandle::new(&LOAD_USER, Args1(|id: &u64| format!("user:{id}")), NoTags, Args1(|shop: &u32| format!("shop:{shop}")));
            /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
            /// use easy_cache_core::prefix_version_key;
            /// handle.invalidate_cache_by_prefix(&1).await?;
            /// assert!(handle.instance()?.get(&prefix_version_key("shop:1")).await?.is_none()); // gone: entries stored under it are stale
            /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
            /// ```
            pub async fn invalidate_cache_by_prefix<$($arg),*>(&self, $($param: $arg),*) -> Result<()>
            where
                F: Fn($($arg),*) -> String,
            {
                let prefix = (self.prefix.0)($($param),*);
                self.invalidate_prefix(&prefix).await
            }
        }
    };
}
arity!(Args0;);
arity!(Args1; A a);
arity!(Args2; A a, B b);
arity!(Args3; A a, B b, C c);
arity!(Args4; A a, B b, C c, D d);
arity!(Args5; A a, B b, C c, D d, E e);
arity!(Args6; A a, B b, C c, D d, E e, G g);
arity!(Args7; A a, B b, C c, D d, E e, G g, H h);
arity!(Args8; A a, B b, C c, D d, E e, G g, H h, I i);
arity!(Args9; A a, B b, C c, D d, E e, G g, H h, I i, J j);
arity!(Args10; A a, B b, C c, D d, E e, G g, H h, I i, J j, L l);
arity!(Args11; A a, B b, C c, D d, E e, G g, H h, I i, J j, L l, M m);
arity!(Args12; A a, B b, C c, D d, E e, G g, H h, I i, J j, L l, M m, N n);
