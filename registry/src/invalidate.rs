//! The seed's free invalidators: `invalidate_cache_key`, `invalidate_cache_tags`,
//! `invalidate_cache_prefix` on the default cache, and [`using_alias`] /
//! [`using_instance`] for another one: core's [`Invalidator`] aimed through the registry.

use crate::caches::{CACHES, DEFAULT_ALIAS};
use easy_cache_core::{CacheInstance, IntoTags, Invalidator, Result};
use std::sync::Arc;

/// Invalidation on the cache registered as `alias` at the time of each call (the seed's
/// `cache_alias=`).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_core::Timeout;
/// use easy_cache_core::testing::run;
/// use easy_cache_registry::{caches, using_alias};
/// run(async {
///     let cache = caches::from_url("memory://")?;
///     caches::insert("doc_invalidator", cache.clone());
///     cache.set("user:7", "Ann".into(), Timeout::Never).await?;
///     let users = using_alias("doc_invalidator");
///     assert!(users.invalidate_key("user:7").await?);
///     assert_eq!(cache.get("user:7").await?, None);
///     users.invalidate_tags(["book:7"]).await?;
///     Ok(())
/// });
/// ```
pub fn using_alias(alias: &str) -> Invalidator {
    Invalidator::on_alias(alias, &CACHES)
}

/// Invalidation on `instance` (the seed's `cache_instance=`).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_core::tag_version_key;
/// use easy_cache_core::testing::run;
/// use easy_cache_registry::{caches, using_instance};
/// run(async {
///     let cache = caches::from_url("memory://")?;
///     using_instance(cache.clone()).invalidate_tags("users").await?;
///     // The version of the tag is deleted: entries stored under it are stale.
///     assert_eq!(cache.get(&tag_version_key("users")).await?, None);
///     Ok(())
/// });
/// ```
pub fn using_instance(instance: Arc<dyn CacheInstance>) -> Invalidator {
    Invalidator::on_instance(instance)
}

/// Removes the entry stored under a full key on the `default` cache (the seed's
/// `invalidate_cache_key`); returns whether one was there.
///
/// ```
/// # use easy_cache_memory as _; // links the embedded default
/// use easy_cache_core::testing::run;
/// run(async {
///     assert!(!easy_cache_registry::invalidate_cache_key("user:7").await?);
///     Ok(())
/// });
/// ```
pub async fn invalidate_cache_key(key: &str) -> Result<bool> {
    using_alias(DEFAULT_ALIAS).invalidate_key(key).await
}

/// Invalidates every entry stored under any of `tags` on the `default` cache (the seed's
/// `invalidate_cache_tags`): one delete.
pub async fn invalidate_cache_tags(tags: impl IntoTags) -> Result<()> {
    using_alias(DEFAULT_ALIAS).invalidate_tags(tags).await
}

/// Invalidates every entry stored under `prefix` on the `default` cache (the seed's
/// `invalidate_cache_prefix`): one delete.
pub async fn invalidate_cache_prefix(prefix: &str) -> Result<()> {
    using_alias(DEFAULT_ALIAS).invalidate_prefix(prefix).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use easy_cache_core::ErrorKind;

    #[tokio::test]
    async fn an_unknown_alias_lists_the_registered_ones() {
        let err = using_alias("invalidate_nope")
            .invalidate_key("k")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownAlias);
        assert!(err.message().contains("registered:"), "{err}");
    }
}
