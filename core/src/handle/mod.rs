//! The handle of one decorated function (the seed's bound methods): invalidate its
//! entries by key, tags or prefix from the same parameters the function takes, read the key
//! a call would use, refresh a call.
//!
//! `#[ecached]` on `fn load_user` generates `load_user_cache()` (for a method,
//! `Type::load_user_cache()`) returning a [`CacheHandle`]. Its typed methods take exactly
//! the parameters the key, tags or prefix use, each as a reference (`&u64` for `id: u64`,
//! `&str` for `name: &str`, `&User` for `self`); they are generated per parameter count
//! in `arity.rs`. The raw verbs come from the [`Invalidator`] it derefs to.

pub(crate) mod arity;
pub(crate) mod blocking;
pub(crate) mod invalidator;

use self::invalidator::Invalidator;
use crate::engine::FnCache;
use crate::engine::refresh::refresh_scope;
use crate::observe::Stats;
use std::future::Future;
use std::ops::Deref;

/// The handle of one decorated function. `K`, `T` and `P` carry the generated functions
/// that build its key, tags and prefix from parameters (when the function has no tags or
/// no prefix, the matching typed methods do not exist). It derefs to the function's
/// [`Invalidator`], for the raw verbs (`invalidate_key`, `invalidate_tags`,
/// `invalidate_prefix`) and [`instance`](Invalidator::instance).
///
/// ```
/// use easy_cache_core::testing::*;
/// use easy_cache_core::{CacheInstance, Timeout};
///
/// // `load_user` is a function cached as `#[ecached(key = "user:{id}")]`, and
/// // `load_user_cache()` its handle.
/// run(async {
///     let handle = load_user_cache();
///     assert_eq!(handle.cache_key(&7), "user:7");
///     assert_eq!(load_user(7).await, "user 7 v0");
///     assert_eq!(load_user(7).await, "user 7 v0"); // a hit
///     assert!(handle.invalidate_cache_by_key(&7).await?);
///     assert_eq!(load_user(7).await, "user 7 v1"); // computed again
///     assert_eq!(handle.refresh_cache(load_user(7)).await, "user 7 v2");
///     assert_eq!(handle.instance()?.name(), "map");
///     Ok(())
/// });
/// ```
pub struct CacheHandle<K, T, P> {
    cache: &'static FnCache,
    invalidator: Invalidator,
    key: K,
    tags: T,
    prefix: P,
}

impl<K, T, P> CacheHandle<K, T, P> {
    #[doc(hidden)]
    pub const fn new(cache: &'static FnCache, key: K, tags: T, prefix: P) -> Self {
        CacheHandle {
            cache,
            invalidator: Invalidator::on_function(cache),
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

    /// What this function's cache did since the process started: hits, misses, stale
    /// values served, errors, computations and their time (see [`Stats`]). Kept without
    /// the `metrics` feature or any exporter.
    ///
    /// ```
    /// use easy_cache_core::testing::*;
    ///
    /// run(async {
    ///     let before = load_user_cache().stats();
    ///     load_user(41).await;
    ///     load_user(41).await;
    ///     let after = load_user_cache().stats();
    ///     assert_eq!(after.misses - before.misses, 1);
    ///     assert_eq!(after.hits - before.hits, 1);
    ///     Ok(())
    /// });
    /// ```
    pub fn stats(&self) -> Stats {
        self.cache.stats()
    }

    /// Runs `call` — a call of this function, e.g. `load_user(7)` — bypassing the cached
    /// value, stores the fresh result and returns it (the seed's `refresh_cache`).
    ///
    /// A future that is not a call of this function runs normally (a warning is logged).
    pub async fn refresh_cache<F: Future>(&self, call: F) -> F::Output {
        let (output, refreshed) = refresh_scope(self.cache.id(), call).await;
        if !refreshed {
            tracing::warn!(target: "easy_cache", function = self.cache.name(), "refresh_cache was given a future that is not a call of this function");
        }
        output
    }
}

impl<K, T, P> Deref for CacheHandle<K, T, P> {
    type Target = Invalidator;

    fn deref(&self) -> &Invalidator {
        &self.invalidator
    }
}

impl<K, T, P> std::fmt::Debug for CacheHandle<K, T, P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheHandle")
            .field("function", &self.cache.name())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::__private::{Args1, CacheHandle, CacheTarget, FnCache, NoPrefix, NoTags};
    use crate::backend::timeout::Timeout;
    use crate::error::ErrorKind;
    use crate::keys::versions::{prefix_version_key, tag_version_key};
    use crate::testing::{NoAliases, load_user_cache};

    #[tokio::test]
    async fn the_raw_verbs_work_without_tags_or_prefix() {
        let handle = load_user_cache();
        let instance = handle.instance().unwrap();
        instance
            .set("user:70", "Ann".into(), Timeout::Never)
            .await
            .unwrap();
        assert!(handle.invalidate_key("user:70").await.unwrap());
        assert!(!handle.invalidate_key("user:70").await.unwrap()); // already gone
        handle.invalidate_tags(["users", "admins"]).await.unwrap();
        assert!(
            instance
                .get(&tag_version_key("users"))
                .await
                .unwrap()
                .is_none()
        );
        handle.invalidate_prefix("shop:1").await.unwrap();
        assert!(
            instance
                .get(&prefix_version_key("shop:1"))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_function_without_a_registered_alias_has_no_instance() {
        static ORPHAN: FnCache = FnCache::new(
            "tests::orphan",
            "app::orphan",
            CacheTarget::Alias("nope"),
            &NoAliases,
            true,
        );
        let orphan = CacheHandle::new(
            &ORPHAN,
            Args1(|id: &u64| format!("o:{id}")),
            NoTags,
            NoPrefix,
        );
        assert_eq!(
            orphan.instance().err().map(|e| e.kind()),
            Some(ErrorKind::UnknownAlias)
        );
    }
}
