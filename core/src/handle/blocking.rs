//! The handle of a cached sync function, and invalidation from sync code: the verbs of
//! [`crate::CacheHandle`] and [`crate::Invalidator`], under the same names, returning when
//! done. They work with no runtime, inside a current-thread runtime and on a runtime's
//! worker, as the sync function's calls do (see `engine::blocking`).

use super::invalidator::IntoTags;
use crate::backend::CacheInstance;
use crate::engine::FnCache;
use crate::engine::background::Background;
use crate::engine::blocking::block_on;
use crate::engine::invalidate;
use crate::engine::refresh::refresh_blocking;
use crate::error::Result;
use std::ops::Deref;
use std::sync::Arc;

/// Invalidates entries on one cache from sync code: [`crate::Invalidator`]'s verbs,
/// returning when done. A [`CacheHandle`] of this module derefs to the one of its
/// function; [`crate::Invalidator::blocking`] turns any invalidator into one.
///
/// ```
/// use easy_cache_core::testing::MapCache;
/// use easy_cache_core::Invalidator;
/// use std::sync::Arc;
///
/// let invalidator = Invalidator::on_instance(Arc::new(MapCache::default())).blocking();
/// assert!(!invalidator.invalidate_key("user:7")?); // nothing was there
/// invalidator.invalidate_tags(["users", "admins"])?;
/// invalidator.invalidate_prefix("shop:1")?;
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Invalidator {
    inner: super::invalidator::Invalidator,
}

impl super::invalidator::Invalidator {
    /// The same invalidator, with verbs for sync code.
    pub fn blocking(&self) -> Invalidator {
        Invalidator {
            inner: self.clone(),
        }
    }
}

impl From<super::invalidator::Invalidator> for Invalidator {
    fn from(inner: super::invalidator::Invalidator) -> Self {
        Invalidator { inner }
    }
}

impl Invalidator {
    /// The cache instance invalidations go to now (see [`crate::Invalidator::instance`]).
    pub fn instance(&self) -> Result<Arc<dyn CacheInstance>> {
        self.inner.instance()
    }

    /// Removes the entry stored under a full key; returns whether one was there. A
    /// computation of that key running in this process will not store its value.
    pub fn invalidate_key(&self, key: &str) -> Result<bool> {
        let instance = Background::driven_here(self.instance()?);
        self.inner.observe_invalidation(&*instance, "key");
        block_on(invalidate::key(&*instance, key))
    }

    /// Invalidates every entry stored under any of `tags`: one delete of their version
    /// keys, whatever the number of entries.
    pub fn invalidate_tags(&self, tags: impl IntoTags) -> Result<()> {
        let instance = Background::driven_here(self.instance()?);
        self.inner.observe_invalidation(&*instance, "tags");
        block_on(invalidate::tags(&*instance, tags.into_tags()))
    }

    /// Invalidates every entry stored under `prefix`: one delete of its version key.
    pub fn invalidate_prefix(&self, prefix: &str) -> Result<()> {
        let instance = Background::driven_here(self.instance()?);
        self.inner.observe_invalidation(&*instance, "prefix");
        block_on(invalidate::prefix(&*instance, prefix))
    }
}

impl std::fmt::Debug for Invalidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("blocking::Invalidator")
            .field(&self.inner)
            .finish()
    }
}

/// The handle of one cached sync function: [`crate::CacheHandle`]'s methods, under the
/// same names, returning when done (`handle.invalidate_cache_by_key(&7)?`, no `.await`).
/// `#[ecached]` on a plain `fn load_user` generates `load_user_cache()` returning one. It
/// derefs to the function's [`Invalidator`], for the raw verbs.
///
/// ```
/// use easy_cache_core::testing::*;
///
/// // `load_book` is a sync function cached as `#[ecached(key = "book:{id}")]`, and
/// // `load_book_cache()` its handle.
/// let handle = load_book_cache();
/// assert_eq!(handle.cache_key(&7), "book:7");
/// assert_eq!(load_book(7), "book 7 v0");
/// assert_eq!(load_book(7), "book 7 v0"); // a hit
/// assert!(handle.invalidate_cache_by_key(&7)?);
/// assert_eq!(load_book(7), "book 7 v1"); // computed again
/// assert_eq!(handle.refresh_cache(|| load_book(7)), "book 7 v2");
/// assert_eq!(handle.instance()?.name(), "map");
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub struct CacheHandle<K, T, P> {
    handle: super::CacheHandle<K, T, P>,
    invalidator: Invalidator,
}

impl<K, T, P> CacheHandle<K, T, P> {
    #[doc(hidden)]
    pub const fn new(cache: &'static FnCache, key: K, tags: T, prefix: P) -> Self {
        CacheHandle {
            handle: super::CacheHandle::new(cache, key, tags, prefix),
            invalidator: Invalidator {
                inner: super::invalidator::Invalidator::on_function(cache),
            },
        }
    }

    #[doc(hidden)]
    pub fn fn_cache(&self) -> &'static FnCache {
        self.handle.fn_cache()
    }

    /// What this function's cache did so far (see [`crate::CacheHandle::stats`]).
    pub fn stats(&self) -> crate::observe::Stats {
        self.handle.stats()
    }

    #[doc(hidden)]
    pub fn key_builder(&self) -> &K {
        self.handle.key_builder()
    }

    #[doc(hidden)]
    pub fn tags_builder(&self) -> &T {
        self.handle.tags_builder()
    }

    #[doc(hidden)]
    pub fn prefix_builder(&self) -> &P {
        self.handle.prefix_builder()
    }

    /// Runs `call` — a call of this function, e.g. `|| load_user(7)` — bypassing the
    /// cached value, stores the fresh result and returns it (the seed's `refresh_cache`).
    ///
    /// A closure that makes no call of this function runs normally (a warning is logged).
    pub fn refresh_cache<R>(&self, call: impl FnOnce() -> R) -> R {
        let cache = self.fn_cache();
        let (output, refreshed) = refresh_blocking(cache.id(), call);
        if !refreshed {
            tracing::warn!(target: "easy_cache", function = cache.name(), "refresh_cache was given a closure that makes no call of this function");
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
        f.debug_struct("blocking::CacheHandle")
            .field("function", &self.fn_cache().name())
            .finish()
    }
}
