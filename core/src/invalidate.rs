//! Invalidation on one instance: by key (a delete), by tags or prefix (one write of new
//! versions, whatever the number of entries they cover).

use crate::engine::{close_versions, mark_stale};
use crate::versions::{Token, prefix_version_key, tag_version_key};
use crate::{CacheInstance, Result, Timeout};
use bytes::Bytes;

/// One tag or several: `"users"`, `["a", "b"]`, `vec![String]`, `&[&str]`.
pub trait IntoTags {
    /// The tags as strings.
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
pub async fn invalidate_key_on(instance: &dyn CacheInstance, key: &str) -> Result<bool> {
    mark_stale(key);
    instance.delete(key).await
}

/// Invalidates every entry tagged with any of `tags` on `instance`: one write.
pub async fn invalidate_tags_on(instance: &dyn CacheInstance, tags: impl IntoTags) -> Result<()> {
    let keys: Vec<String> = tags
        .into_tags()
        .iter()
        .map(|t| tag_version_key(t))
        .collect();
    close_versions(&keys, true);
    write_new_versions(instance, keys).await
}

/// Invalidates every entry stored under `prefix` on `instance`: one write.
pub async fn invalidate_prefix_on(instance: &dyn CacheInstance, prefix: &str) -> Result<()> {
    let keys = vec![prefix_version_key(prefix)];
    close_versions(&keys, false);
    write_new_versions(instance, keys).await
}

async fn write_new_versions(instance: &dyn CacheInstance, keys: Vec<String>) -> Result<()> {
    let entries: Vec<(&str, Bytes)> = keys
        .iter()
        .map(|k| (k.as_str(), Token::fresh().to_bytes()))
        .collect();
    match entries.as_slice() {
        [] => Ok(()),
        [(key, value)] => instance.set(key, value.clone(), Timeout::Never).await,
        _ => instance.set_many(&entries, Timeout::Never).await,
    }
}
