//! The thread's copies: values this thread hit in a near cache, found again from the
//! call's arguments (`local_key.rs`) before any key is built. A hit here costs a hash of
//! the arguments, their comparison and one counter load.
//!
//! Coherence: each copy holds the count of its storage key's stripe it was taken under,
//! and stops serving when that count moves: on every change of a key of the stripe
//! (writes, deletes, fills found stale), and, for every stripe, on every tag or prefix
//! version change, near-cache flush and change of the alias registry. The count is read
//! before the near-cache lookup the copy is taken from, and moved after the near cache
//! changed: a change that lands during that lookup leaves the copy stale, never served. Its lifetime is its near-cache entry's, up to a due refresh. A near entry's
//! eviction for capacity does not end its copies (bounded per thread: [`SLOTS`]).
//!
//! A key is copied on its second call in a row on a slot (an admission mark per slot): a
//! thread calling across more keys than slots does not pay a copy per call.

use super::local_key::LocalParts;
use super::local_value::LocalValue;
use crate::engine::FnCache;
use crate::engine::clock;
use crate::engine::refresh;
use smallvec::SmallVec;
use std::cell::{Cell, RefCell};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// Copies one thread keeps (all functions together; a slot holds one).
pub(crate) const SLOTS: usize = 128;

/// How many counters share the storage keys.
const STRIPES: usize = 256;

/// A time that never comes (as in the near store).
const NEVER: u64 = u64::MAX;

/// Moves on every change of a key of its stripe of storage keys, and all of them on every
/// tag or prefix version change, near-cache flush and alias change (rare: one counter to
/// read per hit is worth 256 adds then).
static CHANGES: [AtomicU64; STRIPES] = [const { AtomicU64::new(0) }; STRIPES];

/// The count a copy is taken under.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Seen {
    counter: &'static AtomicU64,
    count: u64,
}

/// The count to take a copy of `key`'s entry under: read before the near cache is.
#[inline]
pub(crate) fn seen(key: &str) -> Seen {
    let counter = &CHANGES[stripe_of(key)];
    Seen {
        counter,
        count: counter.load(Ordering::Acquire),
    }
}

/// Ends every copy of `key`: called after its near entries changed.
pub(crate) fn key_changed(key: &str) {
    CHANGES[stripe_of(key)].fetch_add(1, Ordering::SeqCst);
}

/// Ends every copy: called after a tag or prefix version changed, a near cache flushed, or
/// an alias was registered, replaced or removed.
pub fn all_changed() {
    for counter in &CHANGES {
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

fn stripe_of(key: &str) -> usize {
    foldhash::fast::FixedState::with_seed(0x5eed).hash_one(key) as usize % STRIPES
}

/// The encoded key parts: in the slot itself up to two words (no pointer to follow on a
/// hit).
type Encoded = SmallVec<[u8; 16]>;

/// Identifies a call for a copy: the function and what its key is made of (one word, or
/// encoded).
#[derive(Debug, Clone)]
pub struct LocalKey {
    function: usize,
    hash: u64,
    word: u64,
    encoded: Encoded,
}

/// What the thread's copies answered.
#[derive(Debug)]
pub enum LocalLookup<V> {
    /// A copy: the call's value.
    Hit(V),
    /// No copy; `Some`: the call may take one (pass it in the `CallSpec`).
    Miss(Option<LocalKey>),
}

struct Slot {
    /// The call it holds the copy of (function 0: none).
    key: LocalKey,
    seen: Seen,
    until: u64,
    value: Option<LocalValue>,
}

struct Table {
    /// The hash last missed on each slot: one more miss of it takes a copy.
    admitted: [Cell<u64>; SLOTS],
    /// Empty until the thread's first copy.
    slots: RefCell<Vec<Slot>>,
}

thread_local! {
    static TABLE: Table = const {
        Table {
            admitted: [const { Cell::new(0) }; SLOTS],
            slots: RefCell::new(Vec::new()),
        }
    };
}

fn slot_of(hash: u64) -> usize {
    (hash >> 40) as usize % SLOTS
}

/// Looks the call of `cache` with key `parts` up in this thread's copies.
#[inline]
pub(crate) fn lookup<P: LocalParts, V: Clone + 'static>(
    cache: &'static FnCache,
    parts: &P,
) -> LocalLookup<V> {
    // No near cache, no copies (a backend without one pays this load only); the refresh
    // mark is taken by the call's start.
    if !cache.near_possible() || refresh::any_open() {
        return LocalLookup::Miss(None);
    }
    let function = std::ptr::from_ref(cache) as usize;
    let mut hash = function as u64;
    parts.mix(&mut hash);
    let found = TABLE.try_with(|table| {
        let index = slot_of(hash);
        let hit = table.slots.try_borrow().ok().and_then(|slots| {
            let slot = slots.get(index)?;
            if !slot.key.is(function, hash, parts) {
                return None;
            }
            let valid = slot.seen.counter.load(Ordering::Acquire) == slot.seen.count
                && (slot.until == NEVER || clock::now_ms_before(slot.until) < slot.until);
            if !valid {
                // The same call: its next miss takes a new copy.
                table.admitted[index].set(hash);
                return None;
            }
            slot.value.as_ref()?.get::<V>().cloned()
        });
        match hit {
            Some(value) => Ok(value),
            None => Err(table.admitted[index].replace(hash) == hash),
        }
    });
    match found {
        Ok(Ok(value)) => {
            cache.observe_hit(true);
            LocalLookup::Hit(value)
        }
        Ok(Err(true)) => LocalLookup::Miss(Some(LocalKey::new(function, hash, parts))),
        Ok(Err(_)) | Err(_) => LocalLookup::Miss(None),
    }
}

impl LocalKey {
    #[cold]
    fn new<P: LocalParts>(function: usize, hash: u64, parts: &P) -> Self {
        let (word, encoded) = match parts.word() {
            Some(word) => (word, Encoded::new()),
            None => {
                let mut encoded = Vec::new();
                parts.encode(&mut encoded);
                (0, Encoded::from_vec(encoded))
            }
        };
        LocalKey {
            function,
            hash,
            word,
            encoded,
        }
    }

    /// Whether this identifies the call of `function` with key `parts` (their `hash`).
    #[inline(always)]
    fn is<P: LocalParts>(&self, function: usize, hash: u64, parts: &P) -> bool {
        self.hash == hash
            && self.function == function
            && match parts.word() {
                Some(word) => self.word == word,
                None => parts.matches(&self.encoded),
            }
    }
}

/// Keeps a copy of `value`, just hit in the near cache under `seen`, valid until `until`
/// (engine clock; `u64::MAX`: no end).
pub(crate) fn keep<V: Clone + 'static>(key: &LocalKey, value: &V, until: u64, seen: Seen) {
    let _ = TABLE.try_with(|table| {
        // Taken by a hit's clone on this thread (a `Clone` calling a cached function):
        // no copy this time.
        let Ok(mut slots) = table.slots.try_borrow_mut() else {
            return;
        };
        if slots.is_empty() {
            slots.resize_with(SLOTS, Slot::empty);
        }
        let slot = &mut slots[slot_of(key.hash)];
        // Matches no call while its value changes: a `Clone` that panics leaves no slot
        // naming one call with another's value.
        slot.key.function = 0;
        match slot.value.as_mut().and_then(LocalValue::get_mut::<V>) {
            Some(held) => held.clone_from(value),
            None => slot.value = Some(LocalValue::new(value.clone())),
        }
        slot.seen = seen;
        slot.until = until;
        slot.key.clone_from(key);
    });
}

impl Slot {
    fn empty() -> Self {
        Slot {
            key: LocalKey {
                function: 0,
                hash: 0,
                word: 0,
                encoded: Encoded::new(),
            },
            seen: Seen {
                counter: &CHANGES[0],
                count: u64::MAX,
            },
            until: 0,
            value: None,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Copies are shared by the whole process: other tests' changes may end a copy at any
    //! time, so these check what must never be served; `tests/thread_copies.rs` (a process
    //! of its own) checks what is.
    use super::*;
    use crate::engine::CacheTarget;
    use crate::testing::NoAliases;

    static F: FnCache = FnCache::new(
        "t::local",
        "local",
        CacheTarget::Alias("x"),
        &NoAliases,
        true,
    );
    static G: FnCache = FnCache::new(
        "t::local_g",
        "local",
        CacheTarget::Alias("x"),
        &NoAliases,
        true,
    );

    /// A value whose clone panics for 13.
    #[derive(Debug, PartialEq)]
    struct Fragile(u64);

    impl Clone for Fragile {
        fn clone(&self) -> Self {
            assert_ne!(self.0, 13, "clone of 13");
            Fragile(self.0)
        }
    }

    fn admitted(cache: &'static FnCache, n: u64) -> LocalKey {
        for _ in 0..3 {
            if let LocalLookup::Miss(Some(key)) = lookup::<_, Fragile>(cache, &(&n,)) {
                return key;
            }
        }
        panic!("never admitted")
    }

    fn served(cache: &'static FnCache, n: u64) -> Option<Fragile> {
        match lookup::<_, Fragile>(cache, &(&n,)) {
            LocalLookup::Hit(value) => Some(value),
            LocalLookup::Miss(_) => None,
        }
    }

    #[test]
    fn a_copy_serves_only_its_own_call_and_never_after_a_change() {
        let key = admitted(&F, 1);
        keep(&key, &Fragile(10), NEVER, seen("local:1"));
        assert!(matches!(served(&F, 1), None | Some(Fragile(10))));
        assert_eq!(served(&F, 2), None, "other arguments");
        assert_eq!(served(&G, 1), None, "another function");
        assert!(
            matches!(lookup::<_, u64>(&F, &(&1u64,)), LocalLookup::Miss(_)),
            "another type"
        );
        key_changed("local:1");
        assert_eq!(served(&F, 1), None, "its key changed");
        let key = admitted(&F, 1);
        keep(&key, &Fragile(11), NEVER, seen("local:1"));
        all_changed();
        assert_eq!(served(&F, 1), None, "everything changed");
        let key = admitted(&F, 1);
        keep(&key, &Fragile(12), clock::now_ms() - 1, seen("local:1"));
        assert_eq!(served(&F, 1), None, "expired");
    }

    #[test]
    fn a_copy_whose_clone_panics_leaves_no_slot_naming_another_call() {
        let first = admitted(&F, 20);
        keep(&first, &Fragile(20), NEVER, seen("local:20"));
        // The same slot for another call of the same function, if the hashes meet; the
        // slot's value is replaced by cloning, which panics.
        let second = LocalKey::new(first.function, first.hash, &(&21u64,));
        let panicked = std::panic::catch_unwind(|| {
            keep(&second, &Fragile(13), NEVER, seen("local:21"));
        });
        assert!(panicked.is_err());
        assert_eq!(served(&F, 20), None, "the old call's slot is gone");
        assert_eq!(served(&F, 21), None);
    }
}
