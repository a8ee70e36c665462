//! Invalidation on one instance: by key (a delete), by tags or prefix (one delete of
//! their version keys, whatever the number of entries they cover).
//!
//! Deleting a version rather than writing a new one leaves no version key behind that no
//! entry needs: an absent version validates no entry (entries carry only versions that
//! existed before their value began to compute, see `engine::pin`), and the next
//! computation creates a new one with the lifetime of its entry.

use super::inflight;
use crate::backend::CacheInstance;
use crate::error::Result;
use crate::keys::versions::{prefix_version_key, tag_version_key};

/// Removes the entry stored under `key` on `instance`. A computation of that key running
/// in this process when this is called will not store its value.
pub(crate) async fn key(instance: &dyn CacheInstance, key: &str) -> Result<bool> {
    // A computation of this key that is writing right now finishes first: the delete
    // must land after it, and the others will not write at all.
    inflight::invalidate_key(key).await;
    let deleted = instance.delete(key).await;
    forget_near(instance, &[key]);
    deleted
}

/// Invalidates every entry tagged with any of `tags` on `instance`: one delete.
pub(crate) async fn tags(instance: &dyn CacheInstance, tags: Vec<String>) -> Result<()> {
    let keys: Vec<String> = tags.iter().map(|t| tag_version_key(t)).collect();
    inflight::invalidate_versions(&keys, true);
    delete_versions(instance, keys).await
}

/// Tells the instance's near cache, if any, that `keys` changed. Its backend does so on
/// each delete already; said again here so that an invalidation through easy-cache
/// reaches the near cache even when the delete failed half-way.
fn forget_near(instance: &dyn CacheInstance, keys: &[&str]) {
    if let Some(near) = instance.near_cache() {
        for key in keys {
            near.changed(key);
        }
    }
}

/// Invalidates every entry stored under `prefix` on `instance`: one delete.
pub(crate) async fn prefix(instance: &dyn CacheInstance, prefix: &str) -> Result<()> {
    let keys = vec![prefix_version_key(prefix)];
    inflight::invalidate_versions(&keys, false);
    delete_versions(instance, keys).await
}

async fn delete_versions(instance: &dyn CacheInstance, keys: Vec<String>) -> Result<()> {
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let deleted = match refs.as_slice() {
        [] => Ok(()),
        [key] => instance.delete(key).await.map(drop),
        _ => instance.delete_many(&refs).await,
    };
    forget_near(instance, &refs);
    deleted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::timeout::Timeout;
    use crate::testing::MapCache;
    use bytes::Bytes;

    #[tokio::test]
    async fn a_key_is_deleted_tags_and_prefixes_lose_their_versions() {
        let cache = MapCache::default();
        cache
            .set("user:7", "Ann".into(), Timeout::Never)
            .await
            .unwrap();
        assert!(key(&cache, "user:7").await.unwrap());
        assert_eq!(cache.get("user:7").await.unwrap(), None);

        let version = Bytes::from_static(b"12345678");
        for version_key in [tag_version_key("users"), prefix_version_key("shop:1")] {
            cache
                .set(&version_key, version.clone(), Timeout::Never)
                .await
                .unwrap();
        }
        tags(&cache, vec!["users".into(), "books".into()])
            .await
            .unwrap();
        assert_eq!(cache.get(&tag_version_key("users")).await.unwrap(), None);
        prefix(&cache, "shop:1").await.unwrap();
        assert_eq!(
            cache.get(&prefix_version_key("shop:1")).await.unwrap(),
            None
        );
    }
}
