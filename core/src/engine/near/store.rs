//! One function's typed store in a near cache: decoded values by storage key, bounded,
//! each with its own lifetime and the versions count it was filled under.

use super::{Forget, Keep, NearCache};
use crate::engine::clock;
use arc_swap::ArcSwapOption;
use std::any::Any;
use std::sync::{Arc, OnceLock};

/// One entry: the value, when it expires and when a hit should start its refresh (engine
/// clock), and, when it carries tag or prefix versions, the versions count of its near
/// cache when it was known current.
#[derive(Clone)]
struct Slot<T> {
    value: T,
    /// [`NEVER`] for no end (a plain `u64` keeps the slot small: it is cloned on every hit).
    until: u64,
    /// [`NEVER`] for no refresh.
    refresh_at: u64,
    checked_at: Option<u64>,
}

/// A time that never comes.
const NEVER: u64 = u64::MAX;

/// What a fill stores with a value (see [`put`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Fill {
    /// When the entry expires (`None`: never).
    pub until: Option<u64>,
    /// When a hit should start a refresh (`None`: never).
    pub refresh_at: Option<u64>,
    /// The versions count the entry is known current at (`None`: it carries none).
    pub checked_at: Option<u64>,
}

/// What a lookup found.
pub(crate) enum Lookup<T> {
    /// A hit, and the time (engine clock) until which it stays one unless changed.
    Hit(T, u64),
    /// A hit past its refresh point (the slot no longer says so: one hit starts the refresh).
    Due(T),
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
        // One clock read, only for entries that need it (0 is before every time), the
        // cheap one unless the entry is about to expire or be refreshed.
        let now = if slot.until != NEVER || slot.refresh_at != NEVER {
            clock::now_ms_before(slot.until.min(slot.refresh_at))
        } else {
            0
        };
        if now >= slot.until {
            return Lookup::Miss;
        }
        if slot
            .checked_at
            .is_some_and(|count| count != near.versions_count())
        {
            let keep = match slot.until {
                NEVER => Keep::Forever,
                until => Keep::Until(until),
            };
            return Lookup::Check(keep);
        }
        if now >= slot.refresh_at {
            return self.due(key, slot);
        }
        Lookup::Hit(slot.value, slot.until.min(slot.refresh_at))
    }

    /// A hit past the refresh point. Later hits are plain ones: the refresh this hit starts
    /// replaces the entry, or it expires as it would have.
    #[cold]
    #[inline(never)]
    fn due(&self, key: &str, slot: Slot<T>) -> Lookup<T> {
        self.entries.insert(
            key.to_owned(),
            Slot {
                refresh_at: NEVER,
                ..slot.clone()
            },
        );
        Lookup::Due(slot.value)
    }

    fn put(&self, key: &str, value: &T, fill: Fill) {
        let slot = Slot {
            value: value.clone(),
            until: fill.until.unwrap_or(NEVER),
            refresh_at: fill.refresh_at.unwrap_or(NEVER),
            checked_at: fill.checked_at,
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

/// A function's store: which near cache it belongs to (by id), and the store, typed
/// by the function's value type.
pub(crate) struct NearCell {
    near: u64,
    store: Arc<dyn Any + Send + Sync>,
}

/// Where a function keeps its store (a field of its `FnCache`): the store of the first
/// near cache it met, read with one atomic load; and, should its alias later name another
/// instance, the store for that one.
pub(crate) struct StoreCell {
    first: OnceLock<NearCell>,
    later: ArcSwapOption<NearCell>,
}

impl StoreCell {
    pub(crate) const fn new() -> Self {
        StoreCell {
            first: OnceLock::new(),
            later: ArcSwapOption::const_empty(),
        }
    }
}

/// What the cell holds for `near`.
enum Found<'a, T> {
    Store(&'a Store<T>),
    /// A store for `near` of another type: a generic function's instantiations share one
    /// cell, and only the first type has a store (the others read the backend).
    OtherType,
    None,
}

fn found<'a, T: Send + Sync + 'static>(cell: &'a NearCell, near: &NearCache) -> Found<'a, T> {
    if cell.near != near.id() {
        return Found::None;
    }
    match cell.store.downcast_ref::<Store<T>>() {
        Some(store) => Found::Store(store),
        None => Found::OtherType,
    }
}

/// Runs `f` on the store of `cell` for `near` and `T`, if there is one.
fn with_store<T: Send + Sync + 'static, R>(
    cell: &StoreCell,
    near: &NearCache,
    f: impl FnOnce(&Store<T>) -> R,
) -> Option<R> {
    match cell.first.get().map(|first| found::<T>(first, near))? {
        Found::Store(store) => Some(f(store)),
        Found::OtherType => None,
        Found::None => match found::<T>(cell.later.load().as_ref()?, near) {
            Found::Store(store) => Some(f(store)),
            _ => None,
        },
    }
}

/// Looks `key` up in the store of `cell`.
pub(crate) fn lookup<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
) -> Lookup<T> {
    with_store::<T, _>(cell, near, |store| store.lookup(near, key)).unwrap_or(Lookup::Miss)
}

/// A new store for `near`, registered with it.
fn new_cell<T: Clone + Send + Sync + 'static>(near: &NearCache) -> NearCell {
    let store: Arc<Store<T>> = Arc::new(Store::new(near.config().capacity()));
    let forget: Arc<dyn Forget> = store.clone();
    near.register(Arc::downgrade(&forget));
    NearCell {
        near: near.id(),
        store,
    }
}

/// Stores `value` under `key` in the store of `cell`, creating the store on first use (or
/// on a new near cache).
pub(crate) fn put<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
    value: &T,
    fill: Fill,
) {
    let put = |store: &Store<T>| store.put(key, value, fill);
    let first = cell.first.get_or_init(|| new_cell::<T>(near));
    match found::<T>(first, near) {
        Found::Store(store) => return put(store),
        Found::OtherType => return,
        Found::None => {}
    }
    let later = cell.later.load_full();
    if let Some(later) = &later {
        match found::<T>(later, near) {
            Found::Store(store) => return put(store),
            Found::OtherType => return,
            Found::None => {}
        }
    }
    let fresh = Arc::new(new_cell::<T>(near));
    if let Found::Store(store) = found::<T>(&fresh, near) {
        put(store);
    }
    // Only over what was seen: a concurrent fill for the same near cache keeps its own.
    cell.later.compare_and_swap(&later, Some(fresh));
}

/// Drops `key` from the store of `cell` (a fill that lost a race).
pub(crate) fn remove<T: Clone + Send + Sync + 'static>(
    cell: &StoreCell,
    near: &NearCache,
    key: &str,
) {
    with_store::<T, _>(cell, near, |store| store.forget(key));
    super::local::key_changed(key);
}

#[cfg(test)]
mod tests {
    use super::super::NearConfig;
    use super::*;

    #[test]
    fn a_cell_serves_the_near_cache_it_is_on_for_its_first_type() {
        let cell = StoreCell::new();
        let a = NearCache::new(NearConfig::new(10));
        let b = NearCache::new(NearConfig::new(10));
        put::<u32>(&cell, &a, "k", &1, Fill::default());
        put::<u32>(&cell, &b, "k", &2, Fill::default());
        assert!(matches!(lookup::<u32>(&cell, &a, "k"), Lookup::Hit(1, _)));
        assert!(matches!(lookup::<u32>(&cell, &b, "k"), Lookup::Hit(2, _)));
        put::<String>(&cell, &a, "s", &"x".to_owned(), Fill::default());
        assert!(
            matches!(lookup::<String>(&cell, &a, "s"), Lookup::Miss),
            "another type"
        );
        a.changed("k");
        assert!(matches!(lookup::<u32>(&cell, &a, "k"), Lookup::Miss));
        assert!(
            matches!(lookup::<u32>(&cell, &b, "k"), Lookup::Hit(2, _)),
            "b's own"
        );
        b.flush();
        assert!(matches!(lookup::<u32>(&cell, &b, "k"), Lookup::Miss));
    }

    #[test]
    fn entries_are_bounded_and_expire() {
        let cell = StoreCell::new();
        let near = NearCache::new(NearConfig::new(100));
        for i in 0..1000u32 {
            put::<u32>(&cell, &near, &format!("k{i}"), &i, Fill::default());
        }
        let held = (0..1000u32)
            .filter(|i| {
                matches!(
                    lookup::<u32>(&cell, &near, &format!("k{i}")),
                    Lookup::Hit(..)
                )
            })
            .count();
        assert!(held <= 110, "{held} entries held, bound 100");
        let past = Fill {
            until: Some(clock::now_ms() - 1),
            ..Fill::default()
        };
        put::<u32>(&cell, &near, "old", &1, past);
        assert!(
            matches!(lookup::<u32>(&cell, &near, "old"), Lookup::Miss),
            "expired"
        );
    }

    #[test]
    fn one_hit_past_the_refresh_point_is_due_the_next_ones_plain() {
        let cell = StoreCell::new();
        let near = NearCache::new(NearConfig::new(10));
        let fill = Fill {
            until: Some(clock::now_ms() + 60_000),
            refresh_at: Some(clock::now_ms() + 1_000),
            checked_at: None,
        };
        put::<u32>(&cell, &near, "k", &1, fill);
        assert!(matches!(
            lookup::<u32>(&cell, &near, "k"),
            Lookup::Hit(1, _)
        ));
        clock::advance(std::time::Duration::from_secs(2));
        assert!(matches!(lookup::<u32>(&cell, &near, "k"), Lookup::Due(1)));
        assert!(matches!(
            lookup::<u32>(&cell, &near, "k"),
            Lookup::Hit(1, _)
        ));
        clock::advance(std::time::Duration::from_secs(60));
        assert!(matches!(lookup::<u32>(&cell, &near, "k"), Lookup::Miss));
    }
}
