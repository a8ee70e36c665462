//! Key invalidation against computations in flight, in this process.
//!
//! A tag or prefix invalidation needs no help: an entry carries the versions read before
//! its computation, so a value computed before the invalidation is stale on arrival. A key
//! invalidation is a delete, though, and a computation that started before it must not
//! write its value afterwards. Every computation that will store a value (a single-flight
//! leader, a refresh, a call without single flight) therefore holds a [`WriteGate`] for its
//! key while it runs. Invalidating the key closes the open gates, and waits for a write
//! already under way to finish before the delete is sent, so the delete always lands last.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use tokio::sync::Notify;

const COMPUTING: u8 = 0;
const WRITING: u8 = 1;
const DONE: u8 = 2;
const CLOSED: u8 = 3;

struct Computation {
    state: AtomicU8,
    /// Woken when a write finishes (or its caller goes away).
    written: Notify,
}

type Registry = HashMap<String, Vec<Arc<Computation>>>;

static RUNNING: LazyLock<Mutex<Registry>> = LazyLock::new(Default::default);

fn running() -> MutexGuard<'static, Registry> {
    // Every update is one insert or remove: the map stays consistent after a panic.
    RUNNING.lock().unwrap_or_else(|e| e.into_inner())
}

/// A computation's right to store its value under a key; open until the key is invalidated.
pub(crate) struct WriteGate {
    key: String,
    computation: Arc<Computation>,
}

impl WriteGate {
    /// Registers a computation of `key` that is about to start.
    pub(crate) fn open(key: &str) -> Self {
        let computation = Arc::new(Computation {
            state: AtomicU8::new(COMPUTING),
            written: Notify::new(),
        });
        running()
            .entry(key.to_owned())
            .or_default()
            .push(Arc::clone(&computation));
        WriteGate {
            key: key.to_owned(),
            computation,
        }
    }

    /// Claims the right to write: false when the key was invalidated since the gate opened
    /// (then the value must not be stored). An invalidation arriving during the write waits
    /// until this gate is dropped.
    pub(crate) fn begin_write(&self) -> bool {
        self.computation
            .state
            .compare_exchange(COMPUTING, WRITING, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }
}

impl Drop for WriteGate {
    fn drop(&mut self) {
        if self.computation.state.swap(DONE, Ordering::SeqCst) == WRITING {
            self.computation.written.notify_waiters();
        }
        let mut map = running();
        if let Some(list) = map.get_mut(&self.key) {
            list.retain(|c| !Arc::ptr_eq(c, &self.computation));
            if list.is_empty() {
                map.remove(&self.key);
            }
        }
    }
}

/// Closes every gate of `key`, then waits for the writes already under way to finish.
pub(crate) async fn close_key(key: &str) {
    let computations = running().get(key).cloned().unwrap_or_default();
    for computation in computations {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn an_invalidation_closes_gates_that_have_not_written() {
        let gate = WriteGate::open("gate:a");
        let other = WriteGate::open("gate:b");
        close_key("gate:a").await;
        assert!(!gate.begin_write(), "a closed gate refuses the write");
        assert!(other.begin_write(), "other keys are unaffected");
    }

    #[tokio::test]
    async fn an_invalidation_waits_for_a_write_under_way() {
        let gate = WriteGate::open("gate:c");
        assert!(gate.begin_write());
        let invalidation = tokio::spawn(async { close_key("gate:c").await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!invalidation.is_finished(), "it waits for the write");
        drop(gate);
        tokio::time::timeout(Duration::from_secs(1), invalidation)
            .await
            .expect("released when the write ends")
            .unwrap();
    }

    #[tokio::test]
    async fn gates_leave_the_registry_when_dropped() {
        drop(WriteGate::open("gate:d"));
        assert!(!running().contains_key("gate:d"));
        // Closing a key nobody computes returns at once.
        close_key("gate:d").await;
    }
}
