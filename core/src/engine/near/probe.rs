//! Whether a function's value type can live in a near cache (`Clone + Send + Sync +
//! 'static`), decided where `#[ecached]` expands, without a bound on the user's type.
//!
//! Autoref dispatch: `(&NearProbe::<T>::new()).near_ops()` finds [`NearViaClone`] when `T`
//! qualifies (a method on `NearProbe<T>`), else [`NearViaNothing`] (a method on
//! `&NearProbe<T>`, one autoref further). Inside a generic function whose `T` is not known
//! to qualify, the second one is chosen: that function simply has no near cache.

use super::store::{self, Fill, Lookup, StoreCell};
use super::{Keep, NearCache};
use std::marker::PhantomData;

/// The typed operations on a function's store, for a value type that qualifies; copied
/// by value so the engine's generic code needs no `'static` bound.
pub struct NearOps<T> {
    pub(crate) lookup: fn(&StoreCell, &NearCache, &str) -> Lookup<T>,
    pub(crate) put: fn(&StoreCell, &NearCache, &str, &T, Keep, Fill),
    pub(crate) remove: fn(&StoreCell, &NearCache, &str),
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
