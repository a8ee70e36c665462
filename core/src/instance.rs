//! The backend interface: an object-safe async key-value store of bytes.

use crate::{Result, Timeout};
use async_trait::async_trait;
use bytes::Bytes;

/// One write of a batch: see [`CacheInstance::write_batch`].
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
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::WriteOp;
/// let cache = MapCache::default();
/// let ops = [
///     WriteOp::Set { key: "a".into(), value: "1".into(), timeout: Timeout::Never },
///     WriteOp::Add { key: "a".into(), value: "2".into(), timeout: Timeout::Never },
/// ];
/// cache.write_batch(&ops).await?; // the `Add` finds `a` present: skipped, no error
/// assert_eq!(cache.get("a").await?, Some(Bytes::from("1")));
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOp {
    /// Store `value` under `key`, replacing what is there.
    Set {
        /// The storage key.
        key: String,
        /// The bytes to store.
        value: Bytes,
        /// How long it lives.
        timeout: Timeout,
    },
    /// Store `value` under `key` only if nothing is stored there.
    Add {
        /// The storage key.
        key: String,
        /// The bytes to store.
        value: Bytes,
        /// How long it lives.
        timeout: Timeout,
    },
    /// Keep `key`, if it is stored, alive for at least `timeout` from now (see
    /// [`CacheInstance::keep_alive`]).
    KeepAlive {
        /// The storage key.
        key: String,
        /// The shortest lifetime it may have from now on.
        timeout: Timeout,
    },
}

/// A cache backend: bytes in, bytes out, addressed by string keys.
///
/// Every method is async and fallible; the engine treats any error as a miss (reads) or a
/// skipped store (writes) and logs it, so a backend never has to panic or retry forever.
/// Only the single-key methods are required; the batch methods default to loops, and a
/// backend that can do them in one round trip should override them.
///
/// ```
/// use async_trait::async_trait;
/// use bytes::Bytes;
/// use easy_cache_core::{CacheInstance, Result, Timeout};
/// use std::{collections::HashMap, sync::Mutex};
///
/// /// A toy backend that never expires anything.
/// #[derive(Default)]
/// struct MapCache(Mutex<HashMap<String, Bytes>>);
///
/// #[async_trait]
/// impl CacheInstance for MapCache {
///     fn name(&self) -> &str { "map" }
///     async fn get(&self, key: &str) -> Result<Option<Bytes>> {
///         Ok(self.0.lock().unwrap().get(key).cloned())
///     }
///     async fn set(&self, key: &str, value: Bytes, _timeout: Timeout) -> Result<()> {
///         self.0.lock().unwrap().insert(key.to_owned(), value);
///         Ok(())
///     }
///     async fn add(&self, key: &str, value: Bytes, _timeout: Timeout) -> Result<bool> {
///         let mut map = self.0.lock().unwrap();
///         if map.contains_key(key) { return Ok(false); }
///         map.insert(key.to_owned(), value);
///         Ok(true)
///     }
///     async fn delete(&self, key: &str) -> Result<bool> {
///         Ok(self.0.lock().unwrap().remove(key).is_some())
///     }
/// }
///
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = MapCache::default();
/// cache.set("a", Bytes::from_static(b"1"), Timeout::Default).await?;
/// assert_eq!(cache.get_many(&["a", "b"]).await?, vec![Some(Bytes::from_static(b"1")), None]);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
#[async_trait]
pub trait CacheInstance: Send + Sync + 'static {
    /// A short name for logs: the scheme and, where useful, the address (never a password).
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
    /// let cache = MapCache::default();
    /// assert_eq!(cache.name(), "map");
    /// ```
    fn name(&self) -> &str;

    /// The value stored under `key`, or `None`.
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set("user:7", "Ann".into(), Timeout::Never).await?;
    /// assert_eq!(cache.get("user:7").await?, Some(Bytes::from("Ann")));
    /// assert_eq!(cache.get("user:8").await?, None);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn get(&self, key: &str) -> Result<Option<Bytes>>;

    /// Answers a `get` without waiting, when the backend can (an in-process store);
    /// `None` means "use [`get`](Self::get)". The engine tries it on every read of one key
    /// that [`peek_now`](Self::peek_now) did not answer: it spares an in-memory hit the
    /// boxed future of an async trait method.
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set("k", "v".into(), Timeout::Never).await?;
    /// // `MapCache` keeps the default: no synchronous answer, the engine awaits `get`.
    /// assert!(cache.get_now("k").is_none());
    /// assert_eq!(cache.get("k").await?, Some(Bytes::from("v")));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    fn get_now(&self, _key: &str) -> Option<Result<Option<Bytes>>> {
        None
    }

    /// Lends the value stored under `key` to `read` without waiting, when the backend can
    /// (`read` gets `None` when nothing is stored); `None` from this method means "use
    /// [`get_now`](Self::get_now)". The engine tries it first for a read of one key: the
    /// hit is decoded from the lent bytes, with no [`Bytes`] built for it (sled lends its
    /// record this way, one allocation fewer per hit).
    ///
    /// ```
    /// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
    /// # use std::{collections::HashMap, sync::Mutex};
    /// #[derive(Default)]
    /// struct MapCache(Mutex<HashMap<String, Bytes>>);
    ///
    /// #[async_trait]
    /// impl CacheInstance for MapCache {
    ///     // Lends the bytes while the map is locked: `read` must not wait.
    ///     fn peek_now(&self, key: &str, read: &mut dyn FnMut(Option<&[u8]>)) -> Option<Result<()>> {
    ///         read(self.0.lock().unwrap().get(key).map(|v| &v[..]));
    ///         Some(Ok(()))
    ///     }
    /// #   fn name(&self) -> &str { "map" }
    /// #   async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
    /// #   async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> {
    /// #       self.0.lock().unwrap().insert(k.into(), v);
    /// #       Ok(())
    /// #   }
    /// #   async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
    /// #       let mut map = self.0.lock().unwrap();
    /// #       if map.contains_key(k) { return Ok(false); }
    /// #       map.insert(k.into(), v);
    /// #       Ok(true)
    /// #   }
    /// #   async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set("k", "v".into(), Timeout::Never).await?;
    /// let mut seen = Vec::new();
    /// cache.peek_now("k", &mut |value| seen.push(value.map(<[u8]>::to_vec))).unwrap()?;
    /// cache.peek_now("absent", &mut |value| seen.push(value.map(<[u8]>::to_vec))).unwrap()?;
    /// assert_eq!(seen, [Some(b"v".to_vec()), None]);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    fn peek_now(&self, _key: &str, _read: &mut dyn FnMut(Option<&[u8]>)) -> Option<Result<()>> {
        None
    }

    /// Answers a `get_many` without waiting, when the backend can; `None` means "use
    /// [`get_many`](Self::get_many)".
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// // `MapCache` keeps the default: no synchronous answer, the engine awaits `get_many`.
    /// assert!(cache.get_many_now(&["a", "b"]).is_none());
    /// assert_eq!(cache.get_many(&["a", "b"]).await?, [None, None]);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    fn get_many_now(&self, _keys: &[&str]) -> Option<Result<Vec<Option<Bytes>>>> {
        None
    }

    /// The values stored under `keys`, in the same order (`None` where absent).
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set("b", "2".into(), Timeout::Never).await?;
    /// assert_eq!(cache.get_many(&["a", "b"]).await?, [None, Some(Bytes::from("2"))]);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.get(key).await?);
        }
        Ok(out)
    }

    /// Stores `value` under `key` for `timeout`.
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set("k", "old".into(), Timeout::secs(60)).await?;
    /// cache.set("k", "new".into(), Timeout::Default).await?; // replaces
    /// assert_eq!(cache.get("k").await?, Some(Bytes::from("new")));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()>;

    /// Stores every pair for `timeout`.
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set_many(&[("a", "1".into()), ("b", "2".into())], Timeout::Never).await?;
    /// assert_eq!(cache.get_many(&["a", "b"]).await?, [Some(Bytes::from("1")), Some(Bytes::from("2"))]);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        for (key, value) in entries {
            self.set(key, value.clone(), timeout).await?;
        }
        Ok(())
    }

    /// Stores `value` under `key` only if the key is absent; returns whether it stored.
    /// Must be atomic: tag versions rely on it.
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// assert!(cache.add("lock", "a".into(), Timeout::Never).await?);
    /// assert!(!cache.add("lock", "b".into(), Timeout::Never).await?); // present: not stored
    /// assert_eq!(cache.get("lock").await?, Some(Bytes::from("a")));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool>;

    /// Removes `key`; returns whether something was there (backends that cannot tell
    /// return `true`).
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set("k", "v".into(), Timeout::Never).await?;
    /// assert!(cache.delete("k").await?);
    /// assert!(!cache.delete("k").await?); // nothing left
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn delete(&self, key: &str) -> Result<bool>;

    /// Removes every key in `keys`.
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// cache.set_many(&[("a", "1".into()), ("b", "2".into())], Timeout::Never).await?;
    /// cache.delete_many(&["a", "b", "absent"]).await?;
    /// assert_eq!(cache.get_many(&["a", "b"]).await?, [None, None]);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        for key in keys {
            self.delete(key).await?;
        }
        Ok(())
    }

    /// Applies writes in order; a backend with pipelines does it in one round trip.
    /// A failing `Add` (key present) is not an error.
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
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default();
    /// use easy_cache_core::WriteOp;
    /// let ops = [
    ///     WriteOp::Set { key: "v".into(), value: "2".into(), timeout: Timeout::Never },
    ///     WriteOp::Add { key: "v".into(), value: "3".into(), timeout: Timeout::Never },
    /// ];
    /// cache.write_batch(&ops).await?;
    /// assert_eq!(cache.get("v").await?, Some(Bytes::from("2")));
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn write_batch(&self, ops: &[WriteOp]) -> Result<()> {
        for op in ops {
            match op {
                WriteOp::Set {
                    key,
                    value,
                    timeout,
                } => self.set(key, value.clone(), *timeout).await?,
                WriteOp::Add {
                    key,
                    value,
                    timeout,
                } => {
                    self.add(key, value.clone(), *timeout).await?;
                }
                WriteOp::KeepAlive { key, timeout } => self.keep_alive(key, *timeout).await?,
            }
        }
        Ok(())
    }

    /// Makes `key`, if it is stored, live at least `timeout` from now: a longer remaining
    /// lifetime is kept, a shorter one is lengthened, [`Timeout::Never`] removes the expiry.
    /// An absent key stays absent.
    ///
    /// The engine calls it on the version keys of tags and prefixes each time it stores an
    /// entry that depends on them, so a version key lives as long as the longest-lived
    /// entry that needs it, and no longer. The default does nothing: version keys then keep
    /// the lifetime they were created with (the first entry's), which costs early misses
    /// for longer-lived entries, never a wrong value.
    ///
    /// ```
    /// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
    /// # use std::{collections::HashMap, sync::Mutex};
    /// # #[derive(Default)]
    /// # struct MapCache(Mutex<HashMap<String, Bytes>>);
    /// # #[async_trait]
    /// # impl CacheInstance for MapCache {
    /// #     fn name(&self) -> &str { "map" }
    /// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
    /// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> { self.0.lock().unwrap().insert(k.into(), v); Ok(()) }
    /// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> { Ok(self.0.lock().unwrap().insert(k.into(), v).is_none()) }
    /// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
    /// # }
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let cache = MapCache::default(); // never expires anything: the default is enough
    /// cache.keep_alive("absent", Timeout::secs(60)).await?;
    /// assert_eq!(cache.get("absent").await?, None);
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    async fn keep_alive(&self, _key: &str, _timeout: Timeout) -> Result<()> {
        Ok(())
    }
}
