//! One function's typed store in a near cache: decoded values by storage key, bounded,
//! each with its own lifetime and the versions count it was filled under.

use super::{Keep, NearCache};
use std::any::Any;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// What a near cache asks of a store, whatever its value type.
pub(crate) trait Forget: Send + Sync {
    /// Drops the entry of `key`, if any.
    fn forget(&self, key: &str);
    /// Drops every entry.
    fn forget_all(&self);
}

/// One entry: the value, when it expires, and, when it carries tag or prefix versions,
/// the versions count of its near cache when it was known current.
#[derive(Clone)]
struct Slot<T> {
    value: T,
    until: Option<Instant>,
    checked_at: Option<u64>,
}

/// What a lookup found.
pub(crate) enum Lookup<T> {
    Hit(T),
    /// An entry whose versions changed since it was filled: valid only if the backend
    /// still says so; a refill keeps this lifetime.
    Check(Keep),
    Miss,
}

/// A function's typed store.
pub(crate) struct Store<T> {
    entries: quick_cache::sync::Cache<String, Slot<T>>,
}

impl<T: Clone + Send + Sync + 'static> Store<T> {
    fn new(capacity: u64) -> Self {
        let items = usize::try_from(capacity).unwrap_or(usize::MAX).max(1);
        Store {
            entries: quick_cache::sync::Cache::new(items),
        }
    }

    fn lookup(&self, near: &NearCache, key: &str) -> Lookup<T> {
        let Some(slot) = self.entries.get(key) else {
            return Lookup::Miss;
        };
        let keep = match slot.until {
            None => Keep::Forever,
            Some(until) if until > Instant::now() => Keep::Until(until),
            Some(_) => return Lookup::Miss,
        };
        match slot.checked_at {
            Some(count) if count != near.versions_count() => Lookup::Check(keep),
            _ => Lookup::Hit(slot.value),
        }
    }

    fn put(&self, key: &str, value: &T, until: Option<Instant>, checked_at: Option<u64>) {
        let slot = Slot {
            value: value.clone(),
            until,
            checked_at,
        };
        self.entries.insert(key.to_owned(), slot);
    }
}

impl<T: Clone + Send + Sync + 'static> Forget for Store<T> {
    fn forget(&self, key: &str) {
        self.entries.remove(key);
    }

    fn forget_all(&self) {
        self.entries.clear();
    }
}

/// A function's store, once created: which near cache it belongs to (by address), and
/// the store, typed by the function's value type.
pub(crate) struct NearCell {
    near: usize,
    store: Arc<dyn Any + Send + Sync>,
}

/// Where a function keeps its store (a field of its `FnCache`).
pub(crate) type StoreCell = OnceLock<NearCell>;

fn address(near: &NearCache) -> usize {
    std::ptr::from_ref(near) as usize
}

/// The store of `cell` for `near`, if it was created for that near cache and that type
/// (a generic function's instantiations share one cell: the first type gets the store).
fn store_of<'a, T: Send + Sync + 'static>(
    cell: &'a StoreCell,
    near: &NearCache,
) -> Option<&'a Store<T>> {
    let cell = cell.get()?;
    if cell.near != address(near) {
        return None;
    }
    cell.store.downcast_ref::<Store<T>>()
}

/// Looks `key` up in the store of `cell`.
pub(crate) fn lookup<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
) -> Lookup<T> {
    store_of::<T>(cell, near).map_or(Lookup::Miss, |store| store.lookup(near, key))
}

/// Stores `value` under `key` in the store of `cell`, creating it on first use.
pub(crate) fn put<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
    value: &T,
    until: Option<Instant>,
    checked_at: Option<u64>,
) {
    let created = cell.get_or_init(|| {
        let store: Arc<Store<T>> = Arc::new(Store::new(near.config().capacity()));
        let forget: Arc<dyn Forget> = store.clone();
        near.register(Arc::downgrade(&forget));
        NearCell {
            near: address(near),
            store,
        }
    });
    let _ = created;
    if let Some(store) = store_of::<T>(cell, near) {
        store.put(key, value, until, checked_at);
    }
}

/// Drops `key` from the store of `cell` (a fill that lost a race).
pub(crate) fn remove<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
) {
    if let Some(store) = store_of::<T>(cell, near) {
        store.forget(key);
    }
}
