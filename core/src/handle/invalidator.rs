//! The raw invalidation verbs, once: by full key, by tags, by prefix, on a target that is
//! an instance, an alias (resolved through a lookup when invalidating) or a decorated
//! function's cache. The work itself is in `engine::invalidate`.

use crate::alias_lookup::InstanceLookup;
use crate::backend::CacheInstance;
use crate::engine::FnCache;
use crate::engine::invalidate;
use crate::error::{Error, ErrorKind, Result};
use std::sync::Arc;

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

/// Invalidates entries on one cache, by full key, by tags or by prefix. A
/// [`CacheHandle`](crate::CacheHandle) derefs to the one of its function; the `easy-cache`
/// facade builds others with `using_alias` / `using_instance`.
///
/// ```
/// use easy_cache_core::testing::*;
/// use easy_cache_core::{CacheInstance, Invalidator, Timeout, tag_version_key};
/// use std::sync::Arc;
///
/// run(async {
///     let cache = Arc::new(MapCache::default());
///     cache.set("user:7", "Ann".into(), Timeout::Never).await?;
///     let invalidator = Invalidator::on_instance(cache.clone());
///     assert!(invalidator.invalidate_key("user:7").await?);
///     assert!(!invalidator.invalidate_key("user:7").await?); // already gone
///     invalidator.invalidate_tags(["users", "admins"]).await?; // one delete of their versions
///     invalidator.invalidate_prefix("shop:1").await?;
///     assert_eq!(cache.get(&tag_version_key("users")).await?, None);
///     Ok(())
/// });
/// ```
#[derive(Clone)]
pub struct Invalidator {
    target: Target,
}

#[derive(Clone)]
enum Target {
    Instance(Arc<dyn CacheInstance>),
    Alias {
        alias: String,
        lookup: &'static dyn InstanceLookup,
    },
    Function(&'static FnCache),
}

impl Invalidator {
    /// Invalidates on `instance`.
    pub fn on_instance(instance: Arc<dyn CacheInstance>) -> Self {
        Invalidator {
            target: Target::Instance(instance),
        }
    }

    /// Invalidates on the instance `lookup` knows as `alias` at the time of each call.
    pub fn on_alias(alias: impl Into<String>, lookup: &'static dyn InstanceLookup) -> Self {
        Invalidator {
            target: Target::Alias {
                alias: alias.into(),
                lookup,
            },
        }
    }

    /// Invalidates on the instance a decorated function uses.
    pub(crate) const fn on_function(cache: &'static FnCache) -> Self {
        Invalidator {
            target: Target::Function(cache),
        }
    }

    /// The cache instance invalidations go to now (an alias resolved at this moment).
    /// Fails with [`ErrorKind::UnknownAlias`] when no instance is registered under the
    /// alias.
    pub fn instance(&self) -> Result<Arc<dyn CacheInstance>> {
        match &self.target {
            Target::Instance(instance) => Ok(Arc::clone(instance)),
            Target::Alias { alias, lookup } => lookup.try_lookup(alias),
            Target::Function(cache) => cache.instance().ok_or_else(|| {
                Error::new(
                    ErrorKind::UnknownAlias,
                    format!("{} has no cache instance", cache.name()),
                )
            }),
        }
    }

    /// Removes the entry stored under a full key; returns whether one was there. A
    /// computation of that key running in this process will not store its value.
    pub async fn invalidate_key(&self, key: &str) -> Result<bool> {
        let instance = self.instance()?;
        self.observe_invalidation(&*instance, "key");
        invalidate::key(&*instance, key).await
    }

    /// Invalidates every entry stored under any of `tags`: one delete of their version
    /// keys, whatever the number of entries.
    pub async fn invalidate_tags(&self, tags: impl IntoTags) -> Result<()> {
        let instance = self.instance()?;
        self.observe_invalidation(&*instance, "tags");
        invalidate::tags(&*instance, tags.into_tags()).await
    }

    /// Invalidates every entry stored under `prefix`: one delete of its version key.
    pub async fn invalidate_prefix(&self, prefix: &str) -> Result<()> {
        let instance = self.instance()?;
        self.observe_invalidation(&*instance, "prefix");
        invalidate::prefix(&*instance, prefix).await
    }

    /// Counts an invalidation of `kind` on `instance` (feature `metrics`; see
    /// [`series::INVALIDATIONS`](crate::observe::series::INVALIDATIONS)).
    pub(crate) fn observe_invalidation(&self, instance: &dyn CacheInstance, kind: &'static str) {
        #[cfg(feature = "metrics")]
        {
            let (function, cache) = match &self.target {
                Target::Instance(_) => ("", "instance"),
                Target::Alias { alias, .. } => ("", alias.as_str()),
                Target::Function(function) => (function.name(), function.cache_label()),
            };
            let backend = crate::observe::labels::backend(instance.name());
            crate::observe::handles::invalidated(function, cache, &backend, kind);
        }
        #[cfg(not(feature = "metrics"))]
        let _ = (instance, kind);
    }
}

impl std::fmt::Debug for Invalidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("Invalidator");
        match &self.target {
            Target::Instance(instance) => out.field("instance", &instance.name()),
            Target::Alias { alias, .. } => out.field("alias", alias),
            Target::Function(cache) => out.field("function", &cache.name()),
        };
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MapCache, NoAliases};

    #[test]
    fn into_tags_takes_one_tag_or_several() {
        let user_id = 7;
        assert_eq!(format!("user:{user_id}").into_tags(), ["user:7"]);
        assert_eq!(vec!["a", "b"].into_tags(), ["a", "b"]);
        assert_eq!((&"x".to_owned()).into_tags(), ["x"]);
    }

    #[tokio::test]
    async fn an_unknown_alias_is_an_error() {
        let invalidator = Invalidator::on_alias("nope", &NoAliases);
        let err = invalidator.invalidate_key("k").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnknownAlias);
        let on_map = Invalidator::on_instance(Arc::new(MapCache::default()));
        assert_eq!(on_map.instance().unwrap().name(), "map");
    }
}
