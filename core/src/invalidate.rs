//! Invalidation on one instance: by key (a delete), by tags or prefix (one delete of
//! their version keys, whatever the number of entries they cover).
//!
//! Deleting a version rather than writing a new one leaves no version key behind that no
//! entry needs: an absent version validates no entry (entries carry only versions that
//! existed before their value began to compute, see `engine::pin`), and the next
//! computation creates a new one with the lifetime of its entry.

use crate::engine::{close_key, close_versions, mark_stale};
use crate::versions::{prefix_version_key, tag_version_key};
use crate::{CacheInstance, Result};

/// One tag or several: `"users"`, `["a", "b"]`, `vec![String]`, `&[&str]`.
///
/// ```
/// use easy_cache_core::IntoTags;
/// assert_eq!("users".into_tags(), ["users"]);
/// assert_eq!(["a", "b"].into_tags(), ["a", "b"]);
/// assert_eq!(vec![format!("user:{}", 7)].into_tags(), ["user:7"]);
/// assert_eq!(["x", "y"][..].into_tags(), ["x", "y"]);
/// ```
pub trait IntoTags {
    /// The tags as strings.
    ///
    /// ```
    /// use easy_cache_core::IntoTags;
    /// let user_id = 7;
    /// assert_eq!(format!("user:{user_id}").into_tags(), ["user:7"]);
    /// assert_eq!(vec!["a", "b"].into_tags(), ["a", "b"]);
    /// ```
    fn into_tags(self) -> Vec<String>;
}

impl IntoTags for &str {
    fn into_tags(self) -> Vec<String> {
        vec![self.to_owned()]
    }
}
impl IntoTags for String {
    fn into_tags(self) -> Vec<String> {
        vec![self]
    }
}
impl IntoTags for &String {
    fn into_tags(self) -> Vec<String> {
        vec![self.clone()]
    }
}
impl<S: AsRef<str>> IntoTags for Vec<S> {
    fn into_tags(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}
impl<S: AsRef<str>> IntoTags for &[S] {
    fn into_tags(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}
impl<S: AsRef<str>, const N: usize> IntoTags for [S; N] {
    fn into_tags(self) -> Vec<String> {
        self.iter().map(|s| s.as_ref().to_owned()).collect()
    }
}

/// Removes the entry stored under `key` on `instance`. A computation of that key running
/// in this process when this is called will not store its value.
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
/// use easy_cache_core::invalidate_key_on;
/// let cache = MapCache::default();
/// cache.set("user:7", "Ann".into(), Timeout::Never).await?;
/// assert!(invalidate_key_on(&cache, "user:7").await?);
/// assert_eq!(cache.get("user:7").await?, None);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub async fn invalidate_key_on(instance: &dyn CacheInstance, key: &str) -> Result<bool> {
    mark_stale(key);
    // A computation of this key that is writing right now finishes first: the delete
    // must land after it, and the others will not write at all.
    close_key(key).await;
    instance.delete(key).await
}

/// Invalidates every entry tagged with any of `tags` on `instance`: one delete.
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
/// use easy_cache_core::{invalidate_tags_on, tag_version_key};
/// let cache = MapCache::default();
/// cache.set(&tag_version_key("users"), Bytes::from_static(b"12345678"), Timeout::Never).await?;
/// invalidate_tags_on(&cache, ["users", "books"]).await?;
/// // The version is gone: entries stored under it no longer match.
/// assert_eq!(cache.get(&tag_version_key("users")).await?, None);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub async fn invalidate_tags_on(instance: &dyn CacheInstance, tags: impl IntoTags) -> Result<()> {
    let keys: Vec<String> = tags
        .into_tags()
        .iter()
        .map(|t| tag_version_key(t))
        .collect();
    close_versions(&keys, true);
    delete_versions(instance, keys).await
}

/// Invalidates every entry stored under `prefix` on `instance`: one delete.
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
/// use easy_cache_core::{invalidate_prefix_on, prefix_version_key};
/// let cache = MapCache::default();
/// cache.set(&prefix_version_key("shop:1"), Bytes::from_static(b"12345678"), Timeout::Never).await?;
/// invalidate_prefix_on(&cache, "shop:1").await?;
/// // One version key deleted, whatever the number of entries under the prefix.
/// assert_eq!(cache.get(&prefix_version_key("shop:1")).await?, None);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub async fn invalidate_prefix_on(instance: &dyn CacheInstance, prefix: &str) -> Result<()> {
    let keys = vec![prefix_version_key(prefix)];
    close_versions(&keys, false);
    delete_versions(instance, keys).await
}

async fn delete_versions(instance: &dyn CacheInstance, keys: Vec<String>) -> Result<()> {
    match keys.as_slice() {
        [] => Ok(()),
        [key] => instance.delete(key).await.map(drop),
        _ => {
            let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
            instance.delete_many(&refs).await
        }
    }
}
