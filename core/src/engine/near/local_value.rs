//! A value of any type held by a thread's copy (`local.rs`), read back as its own type
//! without a virtual call.
//!
//! The one `unsafe` block of the crate, for a measured need: `<dyn Any>::downcast_ref`
//! asks the value's type id through its vtable, and the caller then reads that 16-byte
//! id right after the callee wrote it in two halves, a store-forwarding stall: the two
//! were a quarter of a sync hit's time (perf, `hit_loop sync`). The id is kept beside
//! the value instead, written once when the value is.
#![allow(unsafe_code)]

use std::any::{Any, TypeId};

/// A boxed value and the id of its type.
pub(crate) struct LocalValue {
    /// Always `TypeId::of` the type `value` was made from: both are set in `new` only.
    type_id: TypeId,
    value: Box<dyn Any>,
}

impl LocalValue {
    /// Holds `value`.
    pub(crate) fn new<V: 'static>(value: V) -> Self {
        LocalValue {
            type_id: TypeId::of::<V>(),
            value: Box::new(value),
        }
    }

    /// The value, if it is a `V`.
    #[inline(always)]
    pub(crate) fn get<V: 'static>(&self) -> Option<&V> {
        if self.type_id != TypeId::of::<V>() {
            return None;
        }
        let value: *const dyn Any = &*self.value;
        // SAFETY: `value` points at a live `V`: `type_id` is `TypeId::of::<V>()` of the
        // type the box was made from (both set together in `new`, and the fields are
        // private and never changed apart), and a pointer to `dyn Any` points at the
        // concrete value's start, so casting it to `*const V` gives a valid reference for
        // as long as `self` is borrowed.
        Some(unsafe { &*value.cast::<V>() })
    }

    /// The value, mutably, if it is a `V`.
    pub(crate) fn get_mut<V: 'static>(&mut self) -> Option<&mut V> {
        // Seldom called (a new copy of a value of the same type): the checked way.
        self.value.downcast_mut::<V>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_reads_back_as_its_own_type_only() {
        let mut held = LocalValue::new(String::from("seven"));
        assert_eq!(held.get::<String>().map(String::as_str), Some("seven"));
        assert!(held.get::<u64>().is_none());
        assert!(held.get::<&str>().is_none());
        held.get_mut::<String>().unwrap().push('!');
        assert_eq!(held.get::<String>().map(String::as_str), Some("seven!"));
        let unit = LocalValue::new(());
        assert_eq!(unit.get::<()>(), Some(&()));
        assert!(unit.get::<String>().is_none());
    }
}
