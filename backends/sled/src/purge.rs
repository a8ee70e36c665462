//! Purging expired records, so a tree written with lifetimes does not grow without bound.
//!
//! Reads already hide and remove expired records, but a key never read again would stay on
//! disk forever. A background std thread (no async runtime needed) scans the cache's key
//! range every `purge_interval_secs`. It holds only a `Weak` reference to the store and stops
//! when the cache is dropped.

use crate::{
    record::{self, HEADER_LEN},
    store::{Store, backend_error},
};
use easy_cache_core::Result;
use std::{
    sync::{
        Arc, Weak,
        atomic::{AtomicBool, Ordering},
        mpsc::{self, RecvTimeoutError},
    },
    thread::{self, JoinHandle},
    time::Duration,
};

/// Removes the expired (and corrupt) records of `store`'s key range; returns how many.
/// A record rewritten meanwhile is left alone (compare-and-swap). Stops early when `stop` is
/// set.
pub(crate) fn purge_expired(store: &Store, stop: &AtomicBool) -> Result<usize> {
    let now = record::now_millis();
    let (mut removed, mut corrupt) = (0, 0);
    for item in store.tree.scan_prefix(&store.prefix) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (key, value) = item.map_err(|e| backend_error(&store.name, "scan", e))?;
        if record::is_live(&value, now) {
            continue;
        }
        let swapped = store
            .tree
            .compare_and_swap(&key, Some(&value), None::<&[u8]>)
            .map_err(|e| backend_error(&store.name, "compare_and_swap", e))?;
        if swapped.is_ok() {
            removed += 1;
            if value.len() < HEADER_LEN {
                corrupt += 1;
            }
        }
    }
    if corrupt > 0 {
        tracing::warn!(
            cache = %store.name,
            corrupt,
            "purged sled records shorter than their expiry header"
        );
    }
    Ok(removed)
}

/// The background purge thread of one cache; dropping it stops and joins the thread.
pub(crate) struct Purger {
    stop: Arc<AtomicBool>,
    /// Dropping the sender wakes the thread at once.
    wake: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Purger {
    /// Starts purging `store` every `interval`; `None` (logged) if no thread can be started,
    /// in which case expired records are still removed when read.
    pub(crate) fn spawn(store: Weak<Store>, interval: Duration, name: &str) -> Option<Purger> {
        let (wake, sleeper) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let spawned = thread::Builder::new()
            .name("easy-cache-sled-purge".to_owned())
            .spawn(move || run(&store, interval, &sleeper, &thread_stop));
        match spawned {
            Ok(thread) => Some(Purger {
                stop,
                wake: Some(wake),
                thread: Some(thread),
            }),
            Err(e) => {
                tracing::warn!(
                    cache = %name,
                    error = %e,
                    "cannot start the sled purge thread; expired records are removed only when read"
                );
                None
            }
        }
    }
}

fn run(store: &Weak<Store>, interval: Duration, sleeper: &mpsc::Receiver<()>, stop: &AtomicBool) {
    // Sleeps `interval` unless woken: the sender is dropped when the cache is.
    while let Err(RecvTimeoutError::Timeout) = sleeper.recv_timeout(interval) {
        let Some(store) = store.upgrade() else {
            return;
        };
        match purge_expired(&store, stop) {
            Ok(0) => {}
            Ok(removed) => tracing::debug!(cache = %store.name, removed, "purged expired records"),
            Err(e) => tracing::warn!(cache = %store.name, error = %e, "sled purge failed"),
        }
    }
}

impl Drop for Purger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        drop(self.wake.take());
        // Joined so the database is closed (unlocked) once the cache is gone: a reopen right
        // after a drop must not find the purge thread still holding it.
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != thread::current().id() && thread.join().is_err() {
                tracing::warn!("the sled purge thread panicked");
            }
        }
    }
}
