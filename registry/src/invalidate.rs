//! The seed's free invalidators: `invalidate_cache_key`, `invalidate_cache_tags`,
//! `invalidate_cache_prefix`, on the default cache or on an alias or instance.

use crate::caches::{CACHES, DEFAULT_ALIAS};
use easy_cache_core::{
    CacheInstance, IntoTags, Result, invalidate_key_on, invalidate_prefix_on, invalidate_tags_on,
};
use std::sync::Arc;

/// Invalidation aimed at one cache: see [`using_alias`] and [`using_instance`].
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::Timeout;
/// use easy_cache_registry::{caches, using_alias};
/// let cache = caches::from_url("memory://")?;
/// caches::insert("doc_invalidator", cache.clone());
/// cache.set("user:7", "Ann".into(), Timeout::Never).await?;
/// let users = using_alias("doc_invalidator");
/// assert!(users.invalidate_cache_key("user:7").await?);
/// assert_eq!(cache.get("user:7").await?, None);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct Invalidator {
    target: Target,
}

#[derive(Clone)]
enum Target {
    Alias(String),
    Instance(Arc<dyn CacheInstance>),
}

/// Invalidation on the cache registered as `alias` (the seed's `cache_alias=`).
///
/// ```
/// # use easy_cache_memory as _; // links the embedded default
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_registry::using_alias;
/// using_alias("default").invalidate_cache_tags(["book:7"]).await?;
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub fn using_alias(alias: &str) -> Invalidator {
    Invalidator {
        target: Target::Alias(alias.to_owned()),
    }
}

/// Invalidation on `instance` (the seed's `cache_instance=`).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::tag_version_key;
/// use easy_cache_registry::{caches, using_instance};
/// let cache = caches::from_url("memory://")?;
/// using_instance(cache.clone()).invalidate_cache_tags("users").await?;
/// // The version of the tag is deleted: entries stored under it are stale.
/// assert!(cache.get(&tag_version_key("users")).await?.is_none()); // gone: entries stored under it are stale
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub fn using_instance(instance: Arc<dyn CacheInstance>) -> Invalidator {
    Invalidator {
        target: Target::Instance(instance),
    }
}

impl Invalidator {
    fn instance(&self) -> Result<Arc<dyn CacheInstance>> {
        match &self.target {
            Target::Alias(alias) => CACHES.try_get(alias),
            Target::Instance(instance) => Ok(Arc::clone(instance)),
        }
    }

    /// Removes the entry stored under `key`; returns whether one was there.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use easy_cache_core::Timeout;
    /// use easy_cache_registry::{caches, using_instance};
    /// let cache = caches::from_url("memory://")?;
    /// cache.set("user:7", "Ann".into(), Timeout::Never).await?;
    /// let invalidator = using_instance(cache.clone());
    /// assert!(invalidator.invalidate_cache_key("user:7").await?);
    /// assert!(!invalidator.invalidate_cache_key("user:7").await?); // already gone
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn invalidate_cache_key(&self, key: &str) -> Result<bool> {
        invalidate_key_on(&*self.instance()?, key).await
    }

    /// Invalidates every entry tagged with any of `tags` (one write).
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use easy_cache_core::tag_version_key;
    /// use easy_cache_registry::{caches, using_instance};
    /// let cache = caches::from_url("memory://")?;
    /// using_instance(cache.clone()).invalidate_cache_tags(["book:7", "books"]).await?;
    /// assert!(cache.get(&tag_version_key("book:7")).await?.is_none()); // gone: entries stored under it are stale
    /// assert!(cache.get(&tag_version_key("books")).await?.is_none()); // gone: entries stored under it are stale
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn invalidate_cache_tags(&self, tags: impl IntoTags) -> Result<()> {
        invalidate_tags_on(&*self.instance()?, tags).await
    }

    /// Invalidates every entry stored under `prefix` (one write).
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use easy_cache_core::prefix_version_key;
    /// use easy_cache_registry::{caches, using_instance};
    /// let cache = caches::from_url("memory://")?;
    /// using_instance(cache.clone()).invalidate_cache_prefix("shop:1").await?;
    /// assert!(cache.get(&prefix_version_key("shop:1")).await?.is_none()); // gone: entries stored under it are stale
    /// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
    /// ```
    pub async fn invalidate_cache_prefix(&self, prefix: &str) -> Result<()> {
        invalidate_prefix_on(&*self.instance()?, prefix).await
    }
}

/// Removes the entry stored under `key` in the `default` cache.
///
/// ```
/// # use easy_cache_memory as _; // links the embedded default
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::create_cache_key;
/// let removed = easy_cache_registry::invalidate_cache_key(&create_cache_key!("user_favorite_books", 7)).await?;
/// assert!(!removed);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub async fn invalidate_cache_key(key: &str) -> Result<bool> {
    using_alias(DEFAULT_ALIAS).invalidate_cache_key(key).await
}

/// Invalidates every entry tagged with any of `tags` in the `default` cache: a single tag
/// (`"users"`) or several (`["a", "b"]`).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::tag_version_key;
/// use easy_cache_registry::caches;
/// easy_cache_registry::invalidate_cache_tags(["book:7", "books"]).await?;
/// let default = caches::get("default").unwrap();
/// assert!(default.get(&tag_version_key("book:7")).await?.is_none()); // gone: entries stored under it are stale
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub async fn invalidate_cache_tags(tags: impl IntoTags) -> Result<()> {
    using_alias(DEFAULT_ALIAS).invalidate_cache_tags(tags).await
}

/// Invalidates every entry stored under `prefix` in the `default` cache.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use easy_cache_core::prefix_version_key;
/// use easy_cache_registry::caches;
/// easy_cache_registry::invalidate_cache_prefix("shop:1").await?;
/// let default = caches::get("default").unwrap();
/// assert!(default.get(&prefix_version_key("shop:1")).await?.is_none()); // gone: entries stored under it are stale
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
pub async fn invalidate_cache_prefix(prefix: &str) -> Result<()> {
    using_alias(DEFAULT_ALIAS)
        .invalidate_cache_prefix(prefix)
        .await
}
