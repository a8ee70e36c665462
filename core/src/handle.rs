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
pub struct CacheHandle<K, T, P> {
    cache: &'static FnCache,
    key: K,
    tags: T,
    prefix: P,
}

/// The function declares no argument-derived tags.
#[derive(Debug, Clone, Copy)]
pub struct NoTags;
/// The function declares no prefix.
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
    pub fn instance(&self) -> Result<Arc<dyn CacheInstance>> {
        self.cache.instance().ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownAlias,
                format!("{} has no cache instance", self.cache.name()),
            )
        })
    }

    /// Removes the entry stored under a full key, on this function's cache.
    pub async fn invalidate_key(&self, key: &str) -> Result<bool> {
        invalidate_key_on(&*self.instance()?, key).await
    }

    /// Invalidates explicit tags on this function's cache (the seed's
    /// `invalidate_cache_by_tags(tags=...)`).
    pub async fn invalidate_tags(&self, tags: impl IntoTags) -> Result<()> {
        invalidate_tags_on(&*self.instance()?, tags).await
    }

    /// Invalidates an explicit prefix on this function's cache.
    pub async fn invalidate_prefix(&self, prefix: &str) -> Result<()> {
        invalidate_prefix_on(&*self.instance()?, prefix).await
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
        #[derive(Clone, Copy)]
        pub struct $wrapper<F>(pub F);

        #[allow(clippy::too_many_arguments)]
        impl<F, T, P> CacheHandle<$wrapper<F>, T, P> {
            /// The full storage key a call with these parameters uses (prefix included).
            pub fn cache_key<$($arg),*>(&self, $($param: $arg),*) -> String
            where
                F: Fn($($arg),*) -> String,
            {
                (self.key.0)($($param),*)
            }

            /// Removes the entry a call with these parameters would read (the seed's
            /// `invalidate_cache_by_key`). Returns whether an entry was there.
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
