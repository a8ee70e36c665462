//! Computations in flight in this process, keyed by storage key, and the only entry
//! points invalidation calls ([`invalidate_key`], [`invalidate_versions`]).
//!
//! Single flight: concurrent misses of one key in this process compute once; the others
//! wait for that result. Also tracks invalidations that happen while a value computes, so
//! a value computed before an invalidation is never handed to a caller that came after it:
//! an invalidation closes exactly the flights it concerns (by key, or by one of their tag
//! and prefix version keys) to new callers.
//!
//! A tag or prefix invalidation needs no help: an entry carries the versions read before
//! its computation, so a value computed before the invalidation is stale on arrival. A key
//! invalidation is a delete, though, and a computation that started before it must not
//! write its value afterwards. Every computation that will store a value (a single-flight
//! leader, a refresh, a call without single flight) therefore holds a [`WriteGate`] for its
//! key while it runs. Invalidating the key closes the open gates, and waits for a write
//! already under way to finish before the delete is sent, so the delete always lands last.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use tokio::sync::{Notify, watch};

/// How a leader's computation ended, as seen by its waiters.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    /// The encoded cached value (without the entry header).
    Value(Bytes),
    /// The result is not cacheable (an `Err`, a `None` with `cache_none = false`).
    Uncacheable,
    /// The leader went away without a result: its caller was cancelled, or its computation
    /// panicked (`panicked`). A waiter takes over.
    Abandoned {
        /// Whether the leader's computation panicked (rather than being cancelled).
        panicked: bool,
    },
}

/// What is in flight for one storage key.
#[derive(Default)]
struct Slot {
    /// The single-flight computation new callers join, if any.
    flight: Option<Arc<Flight>>,
    /// Every computation of the key that will store a value (a single-flight leader, a
    /// refresh, a call without single flight), each with its write gate.
    gates: Vec<Arc<Computation>>,
}

impl Slot {
    fn is_empty(&self) -> bool {
        self.flight.is_none() && self.gates.is_empty()
    }
}

struct Flight {
    owner: &'static str,
    /// The version keys of its tags and prefix known before the call.
    versions: Vec<String>,
    /// Whether it also has value tags, known only after the call (any tag invalidation
    /// closes it).
    value_tags: bool,
    outcome: watch::Sender<Option<Outcome>>,
}

const COMPUTING: u8 = 0;
const WRITING: u8 = 1;
const DONE: u8 = 2;
const CLOSED: u8 = 3;

struct Computation {
    /// Its place in the order computations started (a write closes the earlier ones).
    started: u64,
    state: AtomicU8,
    /// Woken when a write finishes (or its caller goes away).
    written: Notify,
}

/// The one table of computations in flight, by storage key.
static IN_FLIGHT: LazyLock<Mutex<HashMap<String, Slot>>> = LazyLock::new(Default::default);

fn table() -> MutexGuard<'static, HashMap<String, Slot>> {
    // Every update is one insert or remove: the map stays consistent after a panic.
    IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Applies `change` to the slot of `key`, if there is one, and drops the slot once empty.
fn update(map: &mut HashMap<String, Slot>, key: &str, change: impl FnOnce(&mut Slot)) {
    if let Some(slot) = map.get_mut(key) {
        change(slot);
        if slot.is_empty() {
            map.remove(key);
        }
    }
}

/// Invalidates `key` against the computations in flight: closes its flight to new
/// callers and the write gates of its computations (their values are not stored), then
/// waits for a write already under way to finish, so the caller's delete lands last.
pub(crate) async fn invalidate_key(key: &str) {
    let mut gates = Vec::new();
    update(&mut table(), key, |slot| {
        slot.flight = None;
        gates.clone_from(&slot.gates);
    });
    for computation in gates {
        let closed = computation.state.compare_exchange(
            COMPUTING,
            CLOSED,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        if closed != Err(WRITING) {
            continue;
        }
        loop {
            // Registered before the state is read again, so a wake-up cannot slip between.
            let written = computation.written.notified();
            tokio::pin!(written);
            written.as_mut().enable();
            if computation.state.load(Ordering::SeqCst) != WRITING {
                break;
            }
            written.await;
        }
    }
}

/// Invalidates tag (`tags`) or prefix version keys against the computations in flight:
/// closes the flights depending on any of `version_keys` to new callers. Their values are
/// stored with the old versions, so storing them stays harmless: no write gate closes.
pub(crate) fn invalidate_versions(version_keys: &[String], tags: bool) {
    table().retain(|_, slot| {
        let affected = slot.flight.as_ref().is_some_and(|flight| {
            (tags && flight.value_tags) || flight.versions.iter().any(|v| version_keys.contains(v))
        });
        if affected {
            slot.flight = None;
        }
        !slot.is_empty()
    });
}

/// What a caller does for a missing key.
pub(crate) enum Role {
    /// Compute, store, and report through the guard.
    Leader(Leader),
    /// Wait for the leader.
    Waiter(Waiter),
}

/// Joins the flight computing `key` for function `owner`, or starts one that depends on
/// `versions` (and on value tags when `value_tags`).
pub(crate) fn join_or_lead(
    owner: &'static str,
    key: &str,
    versions: &[&str],
    value_tags: bool,
) -> Role {
    let mut map = table();
    if let Some(flight) = map.get(key).and_then(|slot| slot.flight.as_ref()) {
        if flight.owner == owner {
            return Role::Waiter(Waiter(flight.outcome.subscribe()));
        }
        // Another function uses the same key: do not mix their values.
        return Role::Leader(Leader {
            key: None,
            flight: new_flight(owner, versions, value_tags),
            done: false,
        });
    }
    let flight = new_flight(owner, versions, value_tags);
    map.entry(key.to_owned()).or_default().flight = Some(Arc::clone(&flight));
    Role::Leader(Leader {
        key: Some(key.to_owned()),
        flight,
        done: false,
    })
}

fn new_flight(owner: &'static str, versions: &[&str], value_tags: bool) -> Arc<Flight> {
    Arc::new(Flight {
        owner,
        versions: versions.iter().map(|v| (*v).to_owned()).collect(),
        value_tags,
        outcome: watch::channel(None).0,
    })
}

/// The computing caller's side. Dropping it without [`finish`](Leader::finish) (the
/// caller was cancelled or panicked) releases the waiters at once, and one of them takes
/// over.
pub(crate) struct Leader {
    key: Option<String>,
    flight: Arc<Flight>,
    done: bool,
}

impl Leader {
    /// Leaves the table, then hands `outcome` to the waiters.
    pub(crate) fn finish(mut self, outcome: Outcome) {
        self.leave();
        self.done = true;
        self.flight.outcome.send_replace(Some(outcome));
    }

    fn leave(&mut self) {
        if let Some(key) = self.key.take() {
            update(&mut table(), &key, |slot| {
                if slot
                    .flight
                    .as_ref()
                    .is_some_and(|f| Arc::ptr_eq(f, &self.flight))
                {
                    slot.flight = None;
                }
            });
        }
    }
}

impl Drop for Leader {
    fn drop(&mut self) {
        if !self.done {
            self.leave();
            // Dropped while unwinding: the computation (or the code around it) panicked.
            let panicked = std::thread::panicking();
            self.flight
                .outcome
                .send_replace(Some(Outcome::Abandoned { panicked }));
        }
    }
}

/// A waiting caller's side.
pub(crate) struct Waiter(watch::Receiver<Option<Outcome>>);

impl Waiter {
    /// The leader's outcome.
    pub(crate) async fn outcome(mut self) -> Outcome {
        self.0
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|o| o.clone())
            .unwrap_or(Outcome::Abandoned { panicked: false })
    }
}

/// A computation's right to store its value under a key; open until the key is invalidated.
pub(crate) struct WriteGate {
    key: String,
    computation: Arc<Computation>,
}

impl WriteGate {
    /// Registers a computation of `key` that is about to start.
    pub(crate) fn open(key: &str) -> Self {
        static STARTED: AtomicU64 = AtomicU64::new(0);
        let computation = Arc::new(Computation {
            started: STARTED.fetch_add(1, Ordering::Relaxed),
            state: AtomicU8::new(COMPUTING),
            written: Notify::new(),
        });
        table()
            .entry(key.to_owned())
            .or_default()
            .gates
            .push(Arc::clone(&computation));
        WriteGate {
            key: key.to_owned(),
            computation,
        }
    }

    /// Claims the right to write: false when the key was invalidated since the gate opened,
    /// or a computation of the key that started later has written (then the value must not
    /// be stored: it is older than what is there). An invalidation arriving during the write
    /// waits until this gate is dropped. Claiming closes the gates of the computations of
    /// the key that started earlier and have not written yet: their values are older.
    pub(crate) fn begin_write(&self) -> bool {
        let claimed = self
            .computation
            .state
            .compare_exchange(COMPUTING, WRITING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok();
        if claimed {
            if let Some(slot) = table().get(&self.key) {
                for earlier in slot
                    .gates
                    .iter()
                    .filter(|c| c.started < self.computation.started)
                {
                    let _ = earlier.state.compare_exchange(
                        COMPUTING,
                        CLOSED,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    );
                }
            }
        }
        claimed
    }

    /// Whether the gate is still open: no invalidation of the key and no later write since
    /// it opened.
    pub(crate) fn is_open(&self) -> bool {
        self.computation.state.load(Ordering::SeqCst) == COMPUTING
    }
}

impl Drop for WriteGate {
    fn drop(&mut self) {
        if self.computation.state.swap(DONE, Ordering::SeqCst) == WRITING {
            self.computation.written.notify_waiters();
        }
        update(&mut table(), &self.key, |slot| {
            slot.gates.retain(|c| !Arc::ptr_eq(c, &self.computation));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_get_the_leaders_outcome() {
        let Role::Leader(leader) = join_or_lead("f1", "flight:a", &[], false) else {
            panic!("first caller leads")
        };
        let Role::Waiter(waiter) = join_or_lead("f1", "flight:a", &[], false) else {
            panic!("second caller waits")
        };
        leader.finish(Outcome::Value(Bytes::from_static(b"v")));
        assert!(matches!(waiter.outcome().await, Outcome::Value(v) if &v[..] == b"v"));
        assert!(
            matches!(join_or_lead("f1", "flight:a", &[], false), Role::Leader(_)),
            "flight left the map"
        );
    }

    #[tokio::test]
    async fn a_cancelled_leader_releases_waiters() {
        let Role::Leader(leader) = join_or_lead("f1", "flight:b", &[], false) else {
            panic!()
        };
        let Role::Waiter(waiter) = join_or_lead("f1", "flight:b", &[], false) else {
            panic!()
        };
        drop(leader);
        assert!(matches!(
            waiter.outcome().await,
            Outcome::Abandoned { panicked: false }
        ));
    }

    #[tokio::test]
    async fn a_panicking_leader_tells_its_waiters_it_panicked() {
        let Role::Leader(leader) = join_or_lead("f1", "flight:h", &[], false) else {
            panic!()
        };
        let Role::Waiter(waiter) = join_or_lead("f1", "flight:h", &[], false) else {
            panic!()
        };
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let _leader = leader;
            panic!("computation failed");
        }));
        assert!(unwound.is_err());
        assert!(matches!(
            waiter.outcome().await,
            Outcome::Abandoned { panicked: true }
        ));
    }

    #[tokio::test]
    async fn a_key_invalidation_closes_the_flight_to_new_callers() {
        let Role::Leader(leader) = join_or_lead("f1", "flight:c", &[], false) else {
            panic!()
        };
        invalidate_key("flight:c").await;
        assert!(matches!(
            join_or_lead("f1", "flight:c", &[], false),
            Role::Leader(_)
        ));
        drop(leader);
    }

    #[tokio::test]
    async fn tag_invalidation_closes_only_the_flights_it_concerns() {
        let Role::Leader(_tagged) = join_or_lead("f1", "flight:e", &["ec:t:books"], false) else {
            panic!()
        };
        let Role::Leader(_other) = join_or_lead("f1", "flight:f", &["ec:t:users"], false) else {
            panic!()
        };
        let Role::Leader(_value_tags) = join_or_lead("f1", "flight:g", &[], true) else {
            panic!()
        };
        invalidate_versions(&["ec:t:books".to_owned()], true);
        assert!(
            matches!(join_or_lead("f1", "flight:e", &[], false), Role::Leader(_)),
            "closed"
        );
        assert!(
            matches!(join_or_lead("f1", "flight:f", &[], false), Role::Waiter(_)),
            "untouched"
        );
        assert!(
            matches!(join_or_lead("f1", "flight:g", &[], false), Role::Leader(_)),
            "value tags"
        );
        invalidate_versions(&["ec:p:shop".to_owned()], false);
        assert!(matches!(
            join_or_lead("f1", "flight:f", &[], false),
            Role::Waiter(_)
        ));
    }

    #[tokio::test]
    async fn another_function_with_the_same_key_does_not_join() {
        let Role::Leader(_first) = join_or_lead("f1", "flight:d", &[], false) else {
            panic!()
        };
        assert!(matches!(
            join_or_lead("f2", "flight:d", &[], false),
            Role::Leader(_)
        ));
    }

    mod write_gate {
        use super::*;
        use std::time::Duration;

        #[tokio::test]
        async fn an_invalidation_closes_gates_that_have_not_written() {
            let gate = WriteGate::open("gate:a");
            let other = WriteGate::open("gate:b");
            invalidate_key("gate:a").await;
            assert!(!gate.begin_write(), "a closed gate refuses the write");
            assert!(other.begin_write(), "other keys are unaffected");
        }

        #[tokio::test]
        async fn an_invalidation_waits_for_a_write_under_way() {
            let gate = WriteGate::open("gate:c");
            assert!(gate.begin_write());
            let invalidation = tokio::spawn(async { invalidate_key("gate:c").await });
            tokio::time::sleep(Duration::from_millis(20)).await;
            assert!(!invalidation.is_finished(), "it waits for the write");
            drop(gate);
            tokio::time::timeout(Duration::from_secs(1), invalidation)
                .await
                .expect("released when the write ends")
                .unwrap();
        }

        #[tokio::test]
        async fn gates_leave_the_table_when_dropped() {
            drop(WriteGate::open("gate:d"));
            assert!(!table().contains_key("gate:d"));
            // Closing a key nobody computes returns at once.
            invalidate_key("gate:d").await;
        }
    }
}
