//! Client-side tracking of tag and prefix versions, so a tagged hit reads only its entry.
//!
//! The connection asks the server to broadcast changes of every version key
//! (`CLIENT TRACKING ON BCAST PREFIX <key_prefix>ec:t: PREFIX <key_prefix>ec:p:`, RESP3).
//! The server writes an `invalidate` push to this connection while it executes the write,
//! before it answers any later command of ours, and redis-rs hands pushes to
//! [`PushHandler`] from the connection's reader in stream order. So once the reply to a read
//! has arrived, every invalidation the server executed before that read has been applied
//! here: versions looked up *after* the reply are as current as versions read by the same
//! command. That keeps the guarantee that no caller gets a value computed before an
//! invalidation that returned before its call began.
//!
//! A version read from the server is kept only if nothing changed while it was read (see
//! [`Ticket`]); a lost connection drops every kept version.
//!
//! With a near cache, the connection tracks every key it reads instead (`CLIENT TRACKING
//! ON`, the server's default mode): the server tells it of each later change of a key it
//! read (version keys included), in the same order. Each reported key is passed on to the
//! near cache ([`NearCache::changed`]) after the versions here were updated (so an entry
//! checked because a version moved reads the new version); a flush of the server, a lost
//! connection or a new one empties the near cache ([`NearCache::flush`]). Default mode
//! rather than `BCAST` on the key prefix: a write is reported only to the connections that
//! read the key (a broadcast would reach every process for every write under the prefix,
//! cached or not); the server's tracking table is bounded (`tracking-table-max-keys`), and
//! a key it drops is reported as changed.

use bytes::Bytes;
use easy_cache_core::{NearCache, PREFIX_VERSION_PREFIX, TAG_VERSION_PREFIX};
use redis::{
    PushInfo, PushKind, Value,
    aio::{AsyncPushSender, SendError},
};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
};

/// Versions kept at most; past it the map starts over (a version not kept is read from the
/// server along with its entry, so this bounds memory, never correctness).
const CAPACITY: usize = 100_000;

/// True for the keys the engine stores tag and prefix versions under.
pub(crate) fn is_version_key(key: &str) -> bool {
    key.starts_with(TAG_VERSION_PREFIX) || key.starts_with(PREFIX_VERSION_PREFIX)
}

/// The versions this process has read, kept current by the server's pushes.
pub(crate) struct VersionTracker {
    key_prefix: String,
    /// The near cache the pushes keep coherent, if the cache has one.
    near: Option<Arc<NearCache>>,
    state: Mutex<State>,
    /// `State::live`, readable without the lock: every call asks whether its connection
    /// is still tracking before it uses it.
    live: AtomicU64,
    /// `State::changes`, readable without the lock: a read whose ticket still matches it
    /// after the reply settles without taking the lock a second time.
    changes: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Connections opened so far: the newest one's generation.
    opened: u64,
    /// The generation whose pushes keep `versions` current; 0 while none is tracking.
    live: u64,
    /// Changes seen (pushes, our own version writes, lost connections).
    changes: u64,
    versions: HashMap<String, Bytes, foldhash::fast::RandomState>,
}

impl State {
    fn changed(&mut self) {
        self.changes = self.changes.wrapping_add(1);
    }

    fn drop_all(&mut self) {
        self.versions.clear();
        self.changed();
    }
}

/// The locked state; on unlock, its change count is published to
/// [`VersionTracker::changes`], so whatever changed it is seen by reads settling without
/// the lock.
struct StateGuard<'a> {
    state: MutexGuard<'a, State>,
    published: &'a AtomicU64,
}

impl std::ops::Deref for StateGuard<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        &self.state
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.state
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        // Compared first: most locks (a read's ticket) change nothing, and a store would
        // make the two workers trade the cache line for nothing.
        if self.published.load(Ordering::Relaxed) != self.state.changes {
            self.published.store(self.state.changes, Ordering::Release);
        }
    }
}

/// Taken before a read is sent, with the kept versions as they were then: after its reply,
/// they are served as taken if nothing changed meanwhile (else looked up again), and
/// trusted only if the same connection is still tracking; a version read by it is kept
/// only if nothing changed.
#[derive(Debug)]
pub(crate) struct Ticket {
    generation: u64,
    changes: u64,
    kept: Kept,
    /// One slot per key of the read: the kept versions' values, `None` elsewhere.
    values: Vec<Option<Bytes>>,
}

impl Ticket {
    /// Which keys of the read are versions kept in memory (the read need not fetch them).
    pub(crate) fn kept(&self) -> Kept {
        self.kept
    }
}

/// Which keys of a read (by position) are versions kept in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kept(u64);

impl Kept {
    /// Reads of more keys than this are not tracked (one bit per key).
    pub(crate) const MAX_KEYS: usize = 64;

    /// Whether the key at `i` is kept.
    pub(crate) fn has(self, i: usize) -> bool {
        self.0 & (1 << i) != 0
    }
}

/// The values of one read, and the positions that must still be read from the server (kept
/// versions whose connection stopped tracking, or that changed while the read was out).
pub(crate) struct Settled {
    pub(crate) values: Vec<Option<Bytes>>,
    pub(crate) missing: Vec<usize>,
}

impl VersionTracker {
    /// A tracker for keys stored under `key_prefix`, keeping `near` coherent too.
    pub(crate) fn new(key_prefix: &str, near: Option<Arc<NearCache>>) -> Self {
        VersionTracker {
            key_prefix: key_prefix.to_owned(),
            near,
            state: Mutex::new(State::default()),
            live: AtomicU64::new(0),
            changes: AtomicU64::new(0),
        }
    }

    fn state(&self) -> StateGuard<'_> {
        StateGuard {
            // Every update leaves the state whole (no step can panic halfway through one).
            state: self.state.lock().unwrap_or_else(PoisonError::into_inner),
            published: &self.changes,
        }
    }

    /// The `CLIENT TRACKING` command that subscribes a connection to version changes (and,
    /// with a near cache, to changes of every key it reads).
    pub(crate) fn tracking_cmd(&self) -> redis::Cmd {
        let mut cmd = redis::cmd("CLIENT");
        cmd.arg("TRACKING").arg("ON");
        if self.near.is_some() {
            return cmd;
        }
        cmd.arg("BCAST");
        for namespace in [TAG_VERSION_PREFIX, PREFIX_VERSION_PREFIX] {
            cmd.arg("PREFIX")
                .arg(format!("{}{namespace}", self.key_prefix));
        }
        cmd
    }

    /// A connection is being opened: its generation, and the handler for its pushes.
    /// Versions kept for an older connection are dropped: its pushes no longer count.
    pub(crate) fn opening(self: &Arc<Self>) -> PushHandler {
        let mut state = self.state();
        state.opened += 1;
        self.set_live(&mut state, 0);
        state.drop_all();
        let generation = state.opened;
        drop(state);
        self.flush_near();
        PushHandler {
            tracker: Arc::clone(self),
            generation,
        }
    }

    /// Empties the near cache: what the connections vouched for is no longer known.
    fn flush_near(&self) {
        if let Some(near) = &self.near {
            near.flush();
        }
    }

    /// The server accepted `CLIENT TRACKING` on the connection of `generation`.
    pub(crate) fn tracking(&self, generation: u64) {
        let mut state = self.state();
        if state.opened == generation {
            self.set_live(&mut state, generation);
        }
    }

    /// Whether the connection of `generation` still keeps the versions current.
    pub(crate) fn is_live(&self, generation: u64) -> bool {
        self.live.load(Ordering::Acquire) == generation
    }

    fn set_live(&self, state: &mut State, generation: u64) {
        state.live = generation;
        self.live.store(generation, Ordering::Release);
    }

    /// A ticket for a read of `keys` (at most [`Kept::MAX_KEYS`]) on the connection of
    /// `generation`, holding which keys are versions kept here and their values; `None`
    /// when that connection is not tracking. One lock for both: hits are counted in
    /// nanoseconds.
    pub(crate) fn begin(&self, generation: u64, keys: &[&str]) -> Option<Ticket> {
        if keys.len() > Kept::MAX_KEYS {
            return None;
        }
        let state = self.state();
        if state.live == 0 || state.live != generation {
            return None;
        }
        let mut kept = Kept(0);
        let mut values = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let value = match is_version_key(key) {
                true => state.versions.get(*key).cloned(),
                false => None,
            };
            if value.is_some() {
                kept.0 |= 1 << i;
            }
            values.push(value);
        }
        Some(Ticket {
            generation,
            changes: state.changes,
            kept,
            values,
        })
    }

    /// Puts a read together after its reply: `fetched` holds the server's values of the keys
    /// not kept, in order. When a push or an own write changed anything since the ticket
    /// was taken (the pushes that came before the reply have been applied by now), kept
    /// versions are looked up again; otherwise the ticket's values are current, and no
    /// lock is taken unless a version read by it is to be kept.
    pub(crate) fn settle(
        &self,
        ticket: Ticket,
        keys: &[&str],
        fetched: impl IntoIterator<Item = Option<Bytes>>,
    ) -> Settled {
        let Ticket {
            generation,
            changes,
            kept,
            mut values,
        } = ticket;
        let mut fetched = fetched.into_iter();
        let mut to_keep = false;
        for (i, key) in keys.iter().enumerate() {
            if !kept.has(i) {
                values[i] = fetched.next().flatten();
                to_keep |= values[i].is_some() && is_version_key(key);
            }
        }
        let unchanged = || {
            self.live.load(Ordering::Acquire) == generation
                && self.changes.load(Ordering::Acquire) == changes
        };
        if !to_keep && unchanged() {
            return Settled {
                values,
                missing: Vec::new(),
            };
        }
        let mut state = self.state();
        let trusted = state.live == generation;
        let keep = trusted && state.changes == changes;
        let mut missing = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            if kept.has(i) {
                if !keep {
                    values[i] = state.versions.get(*key).filter(|_| trusted).cloned();
                }
                if values[i].is_none() {
                    missing.push(i);
                }
            } else if let (true, true, Some(version)) = (keep, is_version_key(key), &values[i]) {
                if state.versions.len() >= CAPACITY {
                    state.versions.clear();
                }
                state.versions.insert((*key).to_owned(), version.clone());
            }
        }
        Settled { values, missing }
    }

    /// This process is about to write `key`: a kept version of it is stale from now on.
    pub(crate) fn forget(&self, key: &str) {
        if is_version_key(key) {
            let mut state = self.state();
            state.versions.remove(key);
            state.changed();
        }
    }

    /// The server's `invalidate` push: the keys changed, or `None` for all (a flush).
    /// Versions are updated first, then the near cache is told.
    fn invalidated(&self, keys: Option<&[Value]>) {
        let mut flush = keys.is_none();
        {
            let mut state = self.state();
            match keys {
                Some(keys) => {
                    for key in keys {
                        match self.logical_key(key) {
                            Some(key) => {
                                state.versions.remove(key);
                            }
                            // Not a key we can name: forget them all rather than guess.
                            None if !matches!(
                                key,
                                Value::BulkString(_) | Value::SimpleString(_)
                            ) =>
                            {
                                state.versions.clear();
                                flush = true;
                            }
                            None => {}
                        }
                    }
                    state.changed();
                }
                None => state.drop_all(),
            }
        }
        let Some(near) = &self.near else { return };
        if flush {
            near.flush();
            return;
        }
        for key in keys.unwrap_or_default() {
            if let Some(key) = self.logical_key(key) {
                near.changed(key);
            }
        }
    }

    /// The key as the engine names it (without `key_prefix`), if `stored` is one of ours.
    fn logical_key<'v>(&self, stored: &'v Value) -> Option<&'v str> {
        let stored = match stored {
            Value::BulkString(bytes) => bytes.as_slice(),
            Value::SimpleString(text) => text.as_bytes(),
            _ => return None,
        };
        stored
            .strip_prefix(self.key_prefix.as_bytes())
            .and_then(|k| std::str::from_utf8(k).ok())
    }

    /// The connection of `generation` is gone: its pushes will not come any more.
    fn lost(&self, generation: u64) {
        {
            let mut state = self.state();
            if state.live == generation {
                self.set_live(&mut state, 0);
                state.drop_all();
            }
        }
        // Whichever connection: a read it answered may have filled the near cache, and
        // the changes after it will not be reported any more.
        self.flush_near();
    }
}

/// Applies one connection's pushes to its tracker, called by redis-rs's reader in stream
/// order (so before the replies that follow each push are handed out).
pub(crate) struct PushHandler {
    tracker: Arc<VersionTracker>,
    generation: u64,
}

impl PushHandler {
    /// The generation of the connection this handler serves.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

impl AsyncPushSender for PushHandler {
    fn send(&self, info: PushInfo) -> Result<(), SendError> {
        match info.kind {
            PushKind::Invalidate => match info.data.first() {
                Some(Value::Array(keys)) => self.tracker.invalidated(Some(keys)),
                _ => self.tracker.invalidated(None),
            },
            PushKind::Disconnection => self.tracker.lost(self.generation),
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(kind: PushKind, data: Vec<Value>) -> PushInfo {
        PushInfo { kind, data }
    }

    fn invalidate(keys: &[&str]) -> PushInfo {
        let keys = keys
            .iter()
            .map(|k| Value::BulkString(k.as_bytes().to_vec()))
            .collect();
        push(PushKind::Invalidate, vec![Value::Array(keys)])
    }

    /// Which of `keys` the live connection keeps, as a list.
    fn kept(tracker: &VersionTracker, keys: &[&str]) -> Vec<bool> {
        let live = tracker.state().live;
        match tracker.begin(live, keys) {
            Some(ticket) => (0..keys.len()).map(|i| ticket.kept().has(i)).collect(),
            None => vec![false; keys.len()],
        }
    }

    fn bytes(s: &str) -> Option<Bytes> {
        Some(Bytes::copy_from_slice(s.as_bytes()))
    }

    /// A tracker whose connection of generation 1 is tracking, with `ec:t:a` kept.
    fn tracked() -> (Arc<VersionTracker>, PushHandler) {
        let tracker = Arc::new(VersionTracker::new("app:", None));
        let handler = tracker.opening();
        tracker.tracking(handler.generation());
        let keys = ["entry", "ec:t:a"];
        let ticket = tracker.begin(1, &keys).unwrap();
        let read = tracker.settle(ticket, &keys, vec![bytes("e"), bytes("1")]);
        assert!(read.missing.is_empty());
        (tracker, handler)
    }

    #[test]
    fn kept_versions_are_served_after_the_reply() {
        let (tracker, _handler) = tracked();
        let keys = ["entry", "ec:t:a"];
        assert_eq!(kept(&tracker, &keys), [false, true]);
        let ticket = tracker.begin(1, &keys).unwrap();
        let read = tracker.settle(ticket, &keys, vec![bytes("e2")]);
        assert_eq!(read.values, [bytes("e2"), bytes("1")]);
        assert!(read.missing.is_empty());
    }

    #[test]
    fn an_invalidation_during_the_read_makes_the_version_missing() {
        let (tracker, handler) = tracked();
        let keys = ["entry", "ec:t:a"];
        let ticket = tracker.begin(1, &keys).unwrap();
        // The push arrives before the reply: the version must be read again.
        handler.send(invalidate(&["app:ec:t:a"])).unwrap();
        let read = tracker.settle(ticket, &keys, vec![bytes("e")]);
        assert_eq!(read.values[1], None);
        assert_eq!(read.missing, [1]);
    }

    #[test]
    fn a_change_elsewhere_during_the_read_looks_kept_versions_up_again() {
        let (tracker, handler) = tracked();
        let keys = ["entry", "ec:t:a"];
        let ticket = tracker.begin(1, &keys).unwrap();
        // Another version changed, and one of ours is written: `a` is looked up after the
        // reply, not served as the ticket took it.
        handler.send(invalidate(&["app:ec:t:other"])).unwrap();
        let read = tracker.settle(ticket, &keys, vec![bytes("e")]);
        assert_eq!(read.values, [bytes("e"), bytes("1")]);
        let ticket = tracker.begin(1, &keys).unwrap();
        tracker.forget("ec:t:a");
        let read = tracker.settle(ticket, &keys, vec![bytes("e")]);
        assert_eq!(read.missing, [1], "an own write during the read counts too");
    }

    #[test]
    fn a_version_read_while_something_changed_is_not_kept() {
        let (tracker, handler) = tracked();
        let keys = ["ec:p:shop"];
        let ticket = tracker.begin(1, &keys).unwrap();
        handler.send(invalidate(&["app:ec:t:other"])).unwrap();
        let read = tracker.settle(ticket, &keys, vec![bytes("9")]);
        assert_eq!(read.values, [bytes("9")]);
        assert_eq!(kept(&tracker, &keys), [false]);
    }

    #[test]
    fn a_lost_connection_drops_everything_and_stops_trusting() {
        let (tracker, handler) = tracked();
        let keys = ["entry", "ec:t:a"];
        let ticket = tracker.begin(1, &keys).unwrap();
        handler.send(push(PushKind::Disconnection, vec![])).unwrap();
        assert!(!tracker.is_live(1) && tracker.begin(1, &keys).is_none());
        let read = tracker.settle(ticket, &keys, vec![bytes("e")]);
        assert_eq!(read.missing, [1]);
        assert_eq!(kept(&tracker, &keys), [false, false]);
    }

    #[test]
    fn an_older_connection_cannot_end_the_newer_ones_tracking() {
        let (tracker, old) = tracked();
        let new = tracker.opening();
        assert_eq!(
            kept(&tracker, &["ec:t:a"]),
            [false],
            "a new connection starts empty"
        );
        tracker.tracking(new.generation());
        old.send(push(PushKind::Disconnection, vec![])).unwrap();
        assert!(tracker.is_live(new.generation()));
        // Tracking confirmed for a connection that is no longer the newest counts for nothing.
        tracker.tracking(old.generation());
        assert!(tracker.is_live(new.generation()));
    }

    #[test]
    fn a_flush_or_an_own_write_forgets_versions() {
        let (tracker, handler) = tracked();
        handler
            .send(push(PushKind::Invalidate, vec![Value::Nil]))
            .unwrap();
        assert_eq!(kept(&tracker, &["ec:t:a"]), [false]);
        let (tracker, _handler) = tracked();
        tracker.forget("ec:t:a");
        assert_eq!(kept(&tracker, &["ec:t:a"]), [false]);
    }

    #[test]
    fn only_version_keys_are_kept_and_the_command_names_the_prefixes() {
        let (tracker, _handler) = tracked();
        let ticket = tracker.begin(1, &["user:1"]).unwrap();
        tracker.settle(ticket, &["user:1"], vec![bytes("v")]);
        assert_eq!(kept(&tracker, &["user:1"]), [false]);
        let packed = String::from_utf8(tracker.tracking_cmd().get_packed_command()).unwrap();
        assert!(
            packed.contains("BCAST")
                && packed.contains("app:ec:t:")
                && packed.contains("app:ec:p:")
        );
    }
}
