//! The background purge thread of an on-disk cache: reads hide expired records, but a key
//! never read again would stay on disk forever without it. A plain std thread (no async
//! runtime needed) that holds only a `Weak` reference to the store and stops, and is joined,
//! when the cache is dropped.

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

/// Removes the expired records of a store; returns how many. Stops early when the flag is
/// set.
pub type Purge<S> = fn(&S, &AtomicBool) -> Result<usize>;

/// The background purge thread of one cache; dropping it stops and joins the thread.
///
/// ```
/// use easy_cache_disk::Purger;
/// use std::sync::{Arc, atomic::{AtomicBool, AtomicUsize, Ordering}};
/// use std::time::Duration;
///
/// let store = Arc::new(AtomicUsize::new(0));
/// fn purge(store: &AtomicUsize, _stop: &AtomicBool) -> easy_cache_core::Result<usize> {
///     store.fetch_add(1, Ordering::SeqCst);
///     Ok(0)
/// }
/// let purger = Purger::spawn(Arc::downgrade(&store), Duration::from_millis(1), "doc", "doc", purge);
/// while store.load(Ordering::SeqCst) == 0 {
///     std::thread::yield_now();
/// }
/// drop(purger); // stops and joins the thread
/// ```
pub struct Purger {
    stop: Arc<AtomicBool>,
    /// Dropping the sender wakes the thread at once.
    wake: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Purger {
    /// Starts running `purge` on `store` every `interval`, in a thread named
    /// `easy-cache-<backend>-purge`, logging as the cache `name`; `None` (logged) if no
    /// thread can be started, in which case expired records stay until read or overwritten.
    pub fn spawn<S: Send + Sync + 'static>(
        store: Weak<S>,
        interval: Duration,
        name: &str,
        backend: &'static str,
        purge: Purge<S>,
    ) -> Option<Purger> {
        let (wake, sleeper) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread_name = name.to_owned();
        let spawned = thread::Builder::new()
            .name(format!("easy-cache-{backend}-purge"))
            .spawn(move || {
                // Sleeps `interval` unless woken: the sender is dropped when the cache is.
                while let Err(RecvTimeoutError::Timeout) = sleeper.recv_timeout(interval) {
                    let Some(store) = store.upgrade() else {
                        return;
                    };
                    let name = &thread_name;
                    match purge(&store, &thread_stop) {
                        Ok(0) => {}
                        Ok(removed) => {
                            tracing::debug!(cache = %name, removed, "purged expired records")
                        }
                        Err(e) => {
                            tracing::warn!(cache = %name, error = %e, "{backend} purge failed")
                        }
                    }
                }
            });
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
                    "cannot start the {backend} purge thread; expired records stay on disk \
                     until read or overwritten"
                );
                None
            }
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
                tracing::warn!("a purge thread panicked");
            }
        }
    }
}
