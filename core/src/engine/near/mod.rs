//! The near cache: decoded values of each decorated function kept in process, in front of
//! its backend, so a hit costs no backend read, no envelope and no decode.
//!
//! A backend that offers one owns a [`NearCache`] and returns it from
//! [`CacheInstance::near_cache`](crate::CacheInstance::near_cache). The near cache holds
//! one bounded typed store per function (`store.rs`), filled by the engine (`fill.rs`);
//! the backend keeps it coherent by calling [`NearCache::changed`] after each write or
//! delete it makes, whoever asked for it.
//!
//! Coherence, cheaply:
//! - a changed key is removed from every store at once;
//! - a changed tag or prefix version bumps one counter (O(1), whatever the number of
//!   entries): an entry filled under an older count, and carrying versions, is checked
//!   against the backend on its next hit (and kept, with a new count, if still current);
//! - a fill from a backend read takes the count of its key's stripe *before* the read and
//!   is dropped when the count moved meanwhile: a change landing during the read is never
//!   hidden behind an old value (the pending-placeholder fix, with counters).
//!
//! A backend whose server reports changes made by other processes (Redis client tracking)
//! keeps its near cache coherent across processes with the same two calls: `changed(key)`
//! for each key the server reports (a tag or prefix version key included), from its push
//! handler, and [`NearCache::flush`] when the connection that carried the reports is lost.
//! A report arriving during a read then discards that read's fill, as above.

pub(crate) mod fill;
pub(crate) mod front;
pub(crate) mod local;
pub(crate) mod local_key;
mod local_value;
pub(crate) mod probe;
pub(crate) mod store;

use crate::backend::timeout::Timeout;
use crate::backend::url::Options;
use crate::engine::clock;
use crate::error::Result;
use crate::keys::versions::{PREFIX_VERSION_PREFIX, TAG_VERSION_PREFIX};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Weak};
use std::time::Duration;

/// How many counters share the keys (a changed key moves one; a fill from a backend
/// read of another key on the same stripe is dropped needlessly, which costs a later
/// miss, never a wrong value).
const STRIPES: usize = 256;

/// What bounds a near cache.
///
/// ```
/// use easy_cache_core::NearConfig;
/// use std::time::Duration;
/// let config = NearConfig::new(10_000).near_ttl(Some(Duration::from_secs(5)));
/// assert_eq!(config.capacity(), 10_000);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NearConfig {
    capacity: u64,
    near_ttl: Option<Duration>,
    default_timeout: Option<Duration>,
    keeps_writes: bool,
}

impl NearConfig {
    /// At most `capacity` entries per decorated function; no other lifetime bound than
    /// each entry's own timeout.
    pub const fn new(capacity: u64) -> Self {
        NearConfig {
            capacity,
            near_ttl: None,
            default_timeout: None,
            keeps_writes: true,
        }
    }

    /// Keeps no entry longer than `ttl` (`None`: up to its timeout). On a backend that
    /// other processes write to without telling this one (Memcached, sled), this bounds
    /// how long a value changed elsewhere may still be served here.
    pub const fn near_ttl(mut self, ttl: Option<Duration>) -> Self {
        self.near_ttl = ttl;
        self
    }

    /// The backend's default lifetime, which `Timeout::Default` resolves to.
    pub const fn default_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// Whether a value this process just computed and wrote is kept (`true`, the default),
    /// or only values read back from the backend (`false`). A backend whose server tells
    /// of changes only for keys read on a connection (Redis client tracking: its own
    /// write ends the tracking of the key) turns it off: a value kept from a write would
    /// hear of no later change.
    ///
    /// ```
    /// use easy_cache_core::NearConfig;
    /// assert!(NearConfig::new(10).keeps_writes());
    /// assert!(!NearConfig::new(10).keep_writes(false).keeps_writes());
    /// ```
    pub const fn keep_writes(mut self, keep: bool) -> Self {
        self.keeps_writes = keep;
        self
    }

    /// Whether values just written are kept (see [`NearConfig::keep_writes`]).
    pub const fn keeps_writes(&self) -> bool {
        self.keeps_writes
    }

    /// The most entries one function keeps.
    pub const fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Takes the near-cache options of a backend URL: `near_capacity` (entries per
    /// function; absent or 0: no near cache) and `near_ttl` (seconds).
    ///
    /// ```
    /// use easy_cache_core::{BackendUrl, NearConfig};
    /// use std::time::Duration;
    /// let mut options = BackendUrl::parse("sled://?near_capacity=500&near_ttl=2")?.options;
    /// let config = NearConfig::from_options(&mut options)?.expect("asked for");
    /// assert_eq!(config, NearConfig::new(500).near_ttl(Some(Duration::from_secs(2))));
    /// let mut options = BackendUrl::parse("sled://?near_capacity=0")?.options;
    /// assert_eq!(NearConfig::from_options(&mut options)?, None);
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn from_options(options: &mut Options) -> Result<Option<Self>> {
        let capacity = options.u64("near_capacity")?.unwrap_or(0);
        let ttl = options.seconds("near_ttl")?;
        Ok((capacity > 0).then(|| NearConfig::new(capacity).near_ttl(ttl)))
    }
}

/// The near cache of one backend instance: the typed stores of the functions using it,
/// and what keeps them coherent with the backend (see the guide's near-cache page). A
/// changed key is dropped from every store; a changed tag or prefix version moves one
/// counter, after which entries carrying versions are checked against the backend once.
///
/// ```
/// use easy_cache_core::{NearCache, NearConfig};
/// let near = NearCache::new(NearConfig::new(1000));
/// near.changed("user:7"); // the backend wrote or deleted `user:7`
/// near.flush();           // forget everything (e.g. the connection that vouched for it was lost)
/// assert_eq!(near.config().capacity(), 1000);
/// ```
pub struct NearCache {
    /// Unique in the process (an address could be reused by a later near cache).
    id: u64,
    config: NearConfig,
    /// Moves when any tag or prefix version changes.
    versions: AtomicU64,
    /// Moves when a key of the stripe changes.
    stripes: Box<[AtomicU64]>,
    hasher: foldhash::fast::FixedState,
    stores: Mutex<Vec<Weak<dyn Forget>>>,
}

impl NearCache {
    /// An empty near cache bounded by `config`.
    pub fn new(config: NearConfig) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        NearCache {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            config,
            versions: AtomicU64::new(0),
            stripes: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            hasher: foldhash::fast::FixedState::default(),
            stores: Mutex::new(Vec::new()),
        }
    }

    /// Its bounds.
    pub fn config(&self) -> &NearConfig {
        &self.config
    }

    /// Which near cache this is, for the functions' stores to tell them apart.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Tells the near cache that `key` was written or deleted in the backend: called by
    /// the backend after each set and delete, before it returns. A tag or prefix version
    /// key marks every entry carrying versions for a check; any other key is forgotten.
    pub fn changed(&self, key: &str) {
        if key.starts_with(TAG_VERSION_PREFIX) || key.starts_with(PREFIX_VERSION_PREFIX) {
            self.versions.fetch_add(1, Ordering::SeqCst);
            local::all_changed();
            return;
        }
        // Counted before the removal: a fill that read the old value either sees the new
        // count and drops itself, or inserted before the removal below.
        self.stripe(key).fetch_add(1, Ordering::SeqCst);
        for store in self.live_stores() {
            store.forget(key);
        }
        // Counted after it: a thread copy taken from the removed entry is stale.
        local::key_changed(key);
    }

    /// Forgets every entry (a lost connection: what it vouched for is no longer known).
    pub fn flush(&self) {
        self.versions.fetch_add(1, Ordering::SeqCst);
        for stripe in &*self.stripes {
            stripe.fetch_add(1, Ordering::SeqCst);
        }
        for store in self.live_stores() {
            store.forget_all();
        }
        local::all_changed();
    }

    fn stripe(&self, key: &str) -> &AtomicU64 {
        let index = self.hasher.hash_one(key) as usize % STRIPES;
        &self.stripes[index]
    }

    fn live_stores(&self) -> Vec<std::sync::Arc<dyn Forget>> {
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        stores.retain(|store| store.strong_count() > 0);
        stores.iter().filter_map(Weak::upgrade).collect()
    }

    pub(crate) fn register(&self, store: Weak<dyn Forget>) {
        self.stores
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(store);
    }

    /// What a read of `key` must remember before it asks the backend, to fill afterwards.
    pub(crate) fn watch(&self, key: &str) -> Watch {
        Watch {
            versions: self.versions.load(Ordering::SeqCst),
            stripe: self.stripe(key).load(Ordering::SeqCst),
        }
    }

    pub(crate) fn versions_count(&self) -> u64 {
        self.versions.load(Ordering::Acquire)
    }

    /// Whether `key` changed since `watch` was taken.
    pub(crate) fn key_changed_since(&self, key: &str, watch: Watch) -> bool {
        self.stripe(key).load(Ordering::SeqCst) != watch.stripe
    }

    /// How long an entry with `timeout` filled now may stay here. `exact`: the entry was
    /// written just now (else its remaining lifetime in the backend is unknown, and only a
    /// `near_ttl`, or a value that never expires, bounds it).
    pub(crate) fn keep(&self, timeout: Timeout, exact: bool) -> Keep {
        let lifetime = timeout.resolve(self.config.default_timeout);
        let bound = match (lifetime, self.config.near_ttl) {
            (Some(life), Some(ttl)) => life.min(ttl),
            (Some(_), None) if !exact => return Keep::No,
            (Some(life), None) => life,
            (None, Some(ttl)) => ttl,
            (None, None) => return Keep::Forever,
        };
        if bound.is_zero() {
            return Keep::No;
        }
        Keep::Until(clock::ms_after(clock::now_ms(), bound))
    }

    /// How long an entry known fresh until `fresh_until` (engine clock) may stay here: as
    /// long as that, within `near_ttl`.
    pub(crate) fn keep_until(&self, fresh_until: Option<u64>) -> Keep {
        let bound = self
            .config
            .near_ttl
            .map(|ttl| clock::ms_after(clock::now_ms(), ttl));
        match (fresh_until, bound) {
            (None, None) => Keep::Forever,
            (Some(until), None) | (None, Some(until)) => Keep::Until(until),
            (Some(until), Some(bound)) => Keep::Until(until.min(bound)),
        }
    }
}

/// How long a filled entry stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    Forever,
    /// Until then, on the engine clock (milliseconds).
    Until(u64),
    /// Not at all.
    No,
}

/// What a near cache asks of a function's store, whatever its value type.
pub(crate) trait Forget: Send + Sync {
    /// Drops the entry of `key`, if any.
    fn forget(&self, key: &str);
    /// Drops every entry.
    fn forget_all(&self);
}

/// The counts a read saw before asking the backend (see [`NearCache::watch`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Watch {
    pub(crate) versions: u64,
    stripe: u64,
}

impl std::fmt::Debug for NearCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NearCache")
            .field("config", &self.config)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_kept_as_long_as_its_lifetime_and_near_ttl_allow() {
        let hour = Duration::from_secs(3600);
        let plain = NearCache::new(NearConfig::new(10));
        let until = |keep: Keep| match keep {
            Keep::Until(until) => Duration::from_millis(until.saturating_sub(clock::now_ms())),
            other => panic!("{other:?}"),
        };
        assert!(until(plain.keep(Timeout::After(hour), true)) > hour - Duration::from_secs(60));
        assert_eq!(
            plain.keep(Timeout::After(hour), false),
            Keep::No,
            "remaining life unknown"
        );
        assert_eq!(plain.keep(Timeout::Never, false), Keep::Forever);
        assert_eq!(plain.keep(Timeout::Default, false), Keep::Forever);
        assert_eq!(plain.keep(Timeout::After(Duration::ZERO), true), Keep::No);
        let bounded = NearCache::new(
            NearConfig::new(10)
                .near_ttl(Some(Duration::from_secs(5)))
                .default_timeout(Some(hour)),
        );
        for (timeout, exact) in [
            (Timeout::Never, false),
            (Timeout::Default, true),
            (Timeout::After(hour), false),
        ] {
            assert!(until(bounded.keep(timeout, exact)) <= Duration::from_secs(5));
        }
    }

    #[test]
    fn a_version_change_moves_one_count_a_key_change_its_stripe() {
        let near = NearCache::new(NearConfig::new(10));
        let before = near.watch("user:7");
        near.changed(&crate::keys::versions::tag_version_key("users"));
        assert_eq!(near.versions_count(), before.versions + 1);
        assert!(!near.key_changed_since("user:7", before));
        near.changed("user:7");
        assert!(near.key_changed_since("user:7", before));
        let before = near.watch("user:8");
        near.flush();
        assert!(near.key_changed_since("user:8", before));
        assert_eq!(near.versions_count(), before.versions + 1);
    }
}
