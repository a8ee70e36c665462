//! One function's typed store in a near cache: decoded values by storage key, bounded,
//! each with its own lifetime and the versions count it was filled under.

use super::{Keep, NearCache};
use arc_swap::ArcSwapOption;
use std::any::Any;
use std::sync::Arc;
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

/// A function's store: which near cache it belongs to (by address), and the store, typed
/// by the function's value type.
pub(crate) struct NearCell {
    near: usize,
    store: Arc<dyn Any + Send + Sync>,
}

/// Where a function keeps its store (a field of its `FnCache`). Replaced when the function
/// finds itself on another near cache (its alias now names another instance).
pub(crate) type StoreCell = ArcSwapOption<NearCell>;

fn address(near: &NearCache) -> usize {
    std::ptr::from_ref(near) as usize
}

/// Runs `f` on the store of `cell`, if it was created for `near` and that type (a generic
/// function's instantiations share one cell: a type other than the one that made the store
/// finds none, and reads the backend).
fn with_store<T: Send + Sync + 'static, R>(
    cell: &StoreCell,
    near: &NearCache,
    f: impl FnOnce(&Store<T>) -> R,
) -> Option<R> {
    let cell = cell.load();
    let cell = cell.as_ref()?;
    if cell.near != address(near) {
        return None;
    }
    cell.store.downcast_ref::<Store<T>>().map(f)
}

/// Looks `key` up in the store of `cell`.
pub(crate) fn lookup<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
) -> Lookup<T> {
    with_store::<T, _>(cell, near, |store| store.lookup(near, key)).unwrap_or(Lookup::Miss)
}

/// Stores `value` under `key` in the store of `cell`, creating the store on first use (or
/// on a new near cache).
pub(crate) fn put<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
    value: &T,
    until: Option<Instant>,
    checked_at: Option<u64>,
) {
    let put = |store: &Store<T>| store.put(key, value, until, checked_at);
    if with_store(cell, near, put).is_some() {
        return;
    }
    let owner = cell.load();
    if owner.as_ref().is_some_and(|owner| owner.near == address(near)) {
        return; // the store is of another instantiation's type
    }
    let store: Arc<Store<T>> = Arc::new(Store::new(near.config().capacity()));
    let forget: Arc<dyn Forget> = store.clone();
    near.register(Arc::downgrade(&forget));
    store.put(key, value, until, checked_at);
    let fresh = Arc::new(NearCell {
        near: address(near),
        store,
    });
    // Only over what was seen: a concurrent first fill keeps its own store.
    cell.compare_and_swap(&owner, Some(fresh));
}

/// Drops `key` from the store of `cell` (a fill that lost a race).
pub(crate) fn remove<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
) {
    with_store::<T, _>(cell, near, |store| store.forget(key));
}
