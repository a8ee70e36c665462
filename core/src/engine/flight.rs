//! Single flight: concurrent misses of one key in this process compute once; the others
//! wait for that result. Also tracks invalidations that happen while a value computes, so
//! a value computed before an invalidation is never handed to a caller that came after it:
//! an invalidation closes exactly the flights it concerns (by key, or by one of their tag
//! and prefix version keys) to new callers.

use bytes::Bytes;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use tokio::sync::watch;

/// How a leader's computation ended, as seen by its waiters.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    /// The encoded cached value (without the envelope header).
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

struct Flight {
    owner: &'static str,
    /// The version keys of its tags and prefix known before the call.
    versions: Vec<String>,
    /// Whether it also has tags known only after the call (any tag invalidation closes it).
    dynamic_tags: bool,
    outcome: watch::Sender<Option<Outcome>>,
}

static FLIGHTS: LazyLock<Mutex<HashMap<String, Arc<Flight>>>> = LazyLock::new(Default::default);

fn flights() -> MutexGuard<'static, HashMap<String, Arc<Flight>>> {
    // The map stays consistent even if a holder panicked: every update is one insert/remove.
    FLIGHTS.lock().unwrap_or_else(|e| e.into_inner())
}

/// Closes the flights depending on any of `version_keys` to new callers (their values
/// are stored with the old versions, so storing them stays harmless).
pub(crate) fn close_versions(version_keys: &[String], tags: bool) {
    flights().retain(|_, flight| {
        let affected = (tags && flight.dynamic_tags)
            || flight.versions.iter().any(|v| version_keys.contains(v));
        !affected
    });
}

/// Closes the flight computing `key` (if any) to new callers. (Its value is kept out of
/// the cache by the computation's write gate, see `write_gate`.)
pub(crate) fn mark_stale(key: &str) {
    flights().remove(key);
}

/// What a caller does for a missing key.
pub(crate) enum Role {
    /// Compute, store, and report through the guard.
    Leader(Leader),
    /// Wait for the leader.
    Waiter(Waiter),
}

/// Joins the flight computing `key` for function `owner`, or starts one that depends on
/// `versions` (and on tags known after the call when `dynamic_tags`).
pub(crate) fn join_or_lead(
    owner: &'static str,
    key: &str,
    versions: &[&str],
    dynamic_tags: bool,
) -> Role {
    let mut map = flights();
    if let Some(flight) = map.get(key) {
        if flight.owner == owner {
            return Role::Waiter(Waiter(flight.outcome.subscribe()));
        }
        if flight.owner != owner {
            // Another function uses the same key: do not mix their values.
            return Role::Leader(Leader {
                key: None,
                flight: new_flight(owner, versions, dynamic_tags),
                done: false,
            });
        }
    }
    let flight = new_flight(owner, versions, dynamic_tags);
    map.insert(key.to_owned(), Arc::clone(&flight));
    Role::Leader(Leader {
        key: Some(key.to_owned()),
        flight,
        done: false,
    })
}

fn new_flight(owner: &'static str, versions: &[&str], dynamic_tags: bool) -> Arc<Flight> {
    Arc::new(Flight {
        owner,
        versions: versions.iter().map(|v| (*v).to_owned()).collect(),
        dynamic_tags,
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
    /// Leaves the map, then hands `outcome` to the waiters.
    pub(crate) fn finish(mut self, outcome: Outcome) {
        self.leave();
        self.done = true;
        self.flight.outcome.send_replace(Some(outcome));
    }

    fn leave(&mut self) {
        if let Some(key) = self.key.take() {
            let mut map = flights();
            if map.get(&key).is_some_and(|f| Arc::ptr_eq(f, &self.flight)) {
                map.remove(&key);
            }
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
        mark_stale("flight:c");
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
        let Role::Leader(_dynamic) = join_or_lead("f1", "flight:g", &[], true) else {
            panic!()
        };
        close_versions(&["ec:t:books".to_owned()], true);
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
            "value-derived tags"
        );
        close_versions(&["ec:p:shop".to_owned()], false);
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
}
