//! Whether a function's value type can live in a near cache (`Clone + Send + Sync +
//! 'static`), decided where `#[ecached]` expands, without a bound on the user's type.
//!
//! Autoref dispatch: `(&NearProbe::<T>::new()).near_ops()` finds [`NearViaClone`] when `T`
//! qualifies (a method on `NearProbe<T>`), else [`NearViaNothing`] (a method on
//! `&NearProbe<T>`, one autoref further). Inside a generic function whose `T` is not known
//! to qualify, the second one is chosen: that function simply has no near cache.

use super::local::{self, LocalKey, LocalLookup, Seen};
use super::local_key::LocalParts;
use super::store::{self, Fill, Lookup, StoreCell};
use super::{Keep, NearCache};
use crate::engine::FnCache;
use std::marker::PhantomData;

/// The typed operations on a function's store, for a value type that qualifies; copied
/// by value so the engine's generic code needs no `'static` bound.
pub struct NearOps<T> {
    pub(crate) lookup: fn(&StoreCell, &NearCache, &str) -> Lookup<T>,
    pub(crate) put: fn(&StoreCell, &NearCache, &str, &T, Keep, Fill),
    pub(crate) remove: fn(&StoreCell, &NearCache, &str),
    /// Keeps a thread copy of a value just hit (see `local.rs`).
    pub(crate) keep_local: fn(&LocalKey, &T, u64, Seen),
}

impl<T> Clone for NearOps<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for NearOps<T> {}

impl<T> std::fmt::Debug for NearOps<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NearOps")
    }
}

/// Asks whether `T` can live in a near cache (see the module docs).
pub struct NearProbe<T>(PhantomData<fn() -> T>);

impl<T> NearProbe<T> {
    /// A probe for `T`.
    pub const fn new() -> Self {
        NearProbe(PhantomData)
    }
}

impl<T> Default for NearProbe<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// Chosen when the value type qualifies.
pub trait NearViaClone<T> {
    /// The operations on a store of `T`.
    fn near_ops(&self) -> Option<NearOps<T>>;
}

impl<T: Clone + Send + Sync + 'static> NearViaClone<T> for NearProbe<T> {
    fn near_ops(&self) -> Option<NearOps<T>> {
        Some(NearOps {
            lookup: store::lookup::<T>,
            put: |cell, near, key, value, keep, fill| {
                let until = match keep {
                    Keep::Forever => None,
                    Keep::Until(until) => Some(until),
                    Keep::No => return,
                };
                store::put::<T>(cell, near, key, value, Fill { until, ..fill });
            },
            remove: store::remove::<T>,
            keep_local: local::keep::<T>,
        })
    }
}

/// Chosen otherwise: no near cache.
pub trait NearViaNothing<T> {
    /// `None`.
    fn near_ops(&self) -> Option<NearOps<T>>;
}

impl<T> NearViaNothing<T> for &NearProbe<T> {
    fn near_ops(&self) -> Option<NearOps<T>> {
        None
    }
}

/// Asks whether a call's key parts `P` and value type `V` let the thread keep copies
/// (see `local.rs`), by autoref as [`NearProbe`]: [`LocalViaParts`] when every part is a
/// [`LocalPart`](super::local_key::LocalPart) and `V` can live in a near cache, else
/// [`LocalViaNothing`].
pub struct LocalProbe<P, V>(P, PhantomData<fn() -> V>);

impl<P, V> LocalProbe<P, V> {
    /// A probe for the call's key parts (a tuple of references).
    pub const fn new(parts: P) -> Self {
        LocalProbe(parts, PhantomData)
    }
}

/// Chosen when the parts and the value type qualify.
pub trait LocalViaParts<V> {
    /// The thread's copy of this call of `cache`, if it has a valid one.
    fn local_lookup(&self, cache: &'static FnCache) -> LocalLookup<V>;
}

impl<P: LocalParts, V: Clone + Send + Sync + 'static> LocalViaParts<V> for LocalProbe<P, V> {
    #[inline]
    fn local_lookup(&self, cache: &'static FnCache) -> LocalLookup<V> {
        local::lookup(cache, &self.0)
    }
}

/// Chosen otherwise: no thread copies.
pub trait LocalViaNothing<V> {
    /// A miss that takes no copy.
    fn local_lookup(&self, cache: &'static FnCache) -> LocalLookup<V>;
}

impl<P, V> LocalViaNothing<V> for &LocalProbe<P, V> {
    #[inline(always)]
    fn local_lookup(&self, _: &'static FnCache) -> LocalLookup<V> {
        LocalLookup::Miss(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NotClone;

    // The borrow is the dispatch: written as the macro writes it.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn only_qualifying_types_get_operations() {
        #[allow(unused_imports)]
        use super::{NearViaClone as _, NearViaNothing as _};
        assert!((&NearProbe::<u64>::new()).near_ops().is_some());
        assert!((&NearProbe::<String>::new()).near_ops().is_some());
        assert!((&NearProbe::<NotClone>::new()).near_ops().is_none());
        assert!(
            (&NearProbe::<std::rc::Rc<u8>>::new()).near_ops().is_none(),
            "not Send"
        );
    }

    fn generic<T>() -> bool {
        #[allow(unused_imports)]
        use super::{NearViaClone as _, NearViaNothing as _};
        (&NearProbe::<T>::new()).near_ops().is_some()
    }

    #[test]
    fn a_generic_type_not_known_to_qualify_gets_none() {
        assert!(!generic::<u64>());
    }
}
