//! The one list of parameter counts a handle method can take, and what it generates: the
//! `ArgsN` builders with the typed verbs of [`CacheHandle`], and (in `option_fns.rs`) the
//! calls of the key, tags and timeout functions users give to `#[ecached]`.
//!
//! `#[ecached]` on a method can emit only impl items, so it cannot declare a handle type
//! per function; without variadic generics, a generic handle needs one impl per count.

use super::{CacheHandle, blocking};
use crate::error::Result;

/// The most parameters a handle method takes (the derive checks its copy against it).
pub const MAX_ARITY: usize = 12;

/// Calls `$m!(ArgsN; A1 a1, …, AN aN)` for every N from 0 to [`MAX_ARITY`]: the builder's
/// name, then each parameter's type and name.
macro_rules! for_each_arity {
    ($m:ident) => {
        $m!(Args0;);
        $m!(Args1; A1 a1);
        $m!(Args2; A1 a1, A2 a2);
        $m!(Args3; A1 a1, A2 a2, A3 a3);
        $m!(Args4; A1 a1, A2 a2, A3 a3, A4 a4);
        $m!(Args5; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5);
        $m!(Args6; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6);
        $m!(Args7; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7);
        $m!(Args8; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8);
        $m!(Args9; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8, A9 a9);
        $m!(Args10; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8, A9 a9, A10 a10);
        $m!(Args11; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8, A9 a9, A10 a10, A11 a11);
        $m!(Args12; A1 a1, A2 a2, A3 a3, A4 a4, A5 a5, A6 a6, A7 a7, A8 a8, A9 a9, A10 a10, A11 a11, A12 a12);
    };
}
pub(crate) use for_each_arity;

/// The function declares no argument-derived tags: its handle has no
/// `invalidate_cache_by_tags` (explicit tags still work, through `invalidate_tags`).
#[derive(Debug, Clone, Copy)]
pub struct NoTags;

/// The function declares no prefix: its handle has no `invalidate_cache_by_prefix`
/// (an explicit prefix still works, through `invalidate_prefix`).
#[derive(Debug, Clone, Copy)]
pub struct NoPrefix;

// Each count mirrors the decorated function, so long parameter lists are the point.
macro_rules! handle_methods {
    ($wrapper:ident; $($arg:ident $param:ident),*) => {
        /// Generated builder of a key, tags or prefix from this many parameters.
        #[derive(Clone, Copy)]
        pub struct $wrapper<F>(pub F);

        typed_verbs!(CacheHandle [async] [.await]; $wrapper; $($arg $param),*);
        typed_verbs!(blocking::CacheHandle [] []; $wrapper; $($arg $param),*);
    };
}

/// The typed verbs of a handle type, async (`[async] [.await]`) or sync (`[] []`).
macro_rules! typed_verbs {
    ($($handle:ident)::+ [$($asyncness:tt)*] [$($awaiting:tt)*]; $wrapper:ident; $($arg:ident $param:ident),*) => {
        #[allow(clippy::too_many_arguments)]
        impl<F, T, P> $($handle)::+<$wrapper<F>, T, P> {
            /// The full storage key a call with these parameters uses (prefix included).
            pub fn cache_key<$($arg),*>(&self, $($param: $arg),*) -> String
            where
                F: Fn($($arg),*) -> String,
            {
                (self.key_builder().0)($($param),*)
            }

            /// Removes the entry a call with these parameters would read (the seed's
            /// `invalidate_cache_by_key`). Returns whether an entry was there.
            pub $($asyncness)* fn invalidate_cache_by_key<$($arg),*>(&self, $($param: $arg),*) -> Result<bool>
            where
                F: Fn($($arg),*) -> String,
            {
                let key = (self.key_builder().0)($($param),*);
                self.invalidate_key(&key) $($awaiting)*
            }
        }

        #[allow(clippy::too_many_arguments)]
        impl<K, F, P> $($handle)::+<K, $wrapper<F>, P> {
            /// Invalidates the tags a call with these parameters is stored under.
            pub $($asyncness)* fn invalidate_cache_by_tags<$($arg),*>(&self, $($param: $arg),*) -> Result<()>
            where
                F: Fn($($arg),*) -> Vec<String>,
            {
                let tags = (self.tags_builder().0)($($param),*);
                self.invalidate_tags(tags) $($awaiting)*
            }
        }

        #[allow(clippy::too_many_arguments)]
        impl<K, T, F> $($handle)::+<K, T, $wrapper<F>> {
            /// Invalidates every entry under the prefix a call with these parameters uses,
            /// across every function sharing that prefix.
            pub $($asyncness)* fn invalidate_cache_by_prefix<$($arg),*>(&self, $($param: $arg),*) -> Result<()>
            where
                F: Fn($($arg),*) -> String,
            {
                let prefix = (self.prefix_builder().0)($($param),*);
                self.invalidate_prefix(&prefix) $($awaiting)*
            }
        }
    };
}
for_each_arity!(handle_methods);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::__private::{CacheTarget, FnCache};
    use crate::backend::CacheInstance;
    use crate::backend::timeout::Timeout;
    use crate::keys::versions::{prefix_version_key, tag_version_key};
    use crate::testing::{MapCache, NoAliases};
    use std::sync::Arc;

    fn build() -> Arc<dyn CacheInstance> {
        Arc::new(MapCache::default())
    }

    static ITEM: FnCache = FnCache::new(
        "tests::arity",
        "app::item",
        CacheTarget::Instance(build),
        &NoAliases,
        true,
    );

    #[tokio::test]
    async fn typed_verbs_build_from_the_parameters() {
        // What `#[ecached(key = "shop:{shop}:item:{id}", tags = ["item:{id}"],
        // prefix = "shop:{shop}")] fn item(shop: u32, id: u64)` generates.
        let handle = CacheHandle::new(
            &ITEM,
            Args2(|shop: &u32, id: &u64| format!("shop:{shop}:item:{id}")),
            Args1(|id: &u64| vec![format!("item:{id}")]),
            Args1(|shop: &u32| format!("shop:{shop}")),
        );
        assert_eq!(handle.cache_key(&1, &7), "shop:1:item:7");
        let instance = handle.instance().unwrap();
        instance
            .set("shop:1:item:7", "pen".into(), Timeout::Never)
            .await
            .unwrap();
        assert!(handle.invalidate_cache_by_key(&1, &7).await.unwrap());
        assert_eq!(instance.get("shop:1:item:7").await.unwrap(), None);

        let version = bytes::Bytes::from_static(b"12345678");
        instance
            .set(&tag_version_key("item:7"), version.clone(), Timeout::Never)
            .await
            .unwrap();
        instance
            .set(&prefix_version_key("shop:1"), version, Timeout::Never)
            .await
            .unwrap();
        handle.invalidate_cache_by_tags(&7).await.unwrap();
        assert!(
            instance
                .get(&tag_version_key("item:7"))
                .await
                .unwrap()
                .is_none()
        );
        handle.invalidate_cache_by_prefix(&1).await.unwrap();
        assert!(
            instance
                .get(&prefix_version_key("shop:1"))
                .await
                .unwrap()
                .is_none()
        );
    }

    /// The derive cannot depend on this crate, so it keeps a copy of [`MAX_ARITY`]; this
    /// test pins the two together.
    #[test]
    fn the_derive_checks_the_same_arity() {
        let plan = concat!(env!("CARGO_MANIFEST_DIR"), "/../derive/src/ecached/plan.rs");
        let source = std::fs::read_to_string(plan).expect("derive/src/ecached/plan.rs");
        let copy = format!("const MAX_HANDLE_ARITY: usize = {MAX_ARITY};");
        assert!(source.contains(&copy), "{plan} must say `{copy}`");
    }
}
