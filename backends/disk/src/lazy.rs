//! Opening a store on first use, not when the cache is built, so an application starts even
//! while its database is unavailable (locked by another process, not mounted); each call
//! retries until it opens, and an outage is logged once.

use easy_cache_core::Result;
use std::sync::{
    Mutex, OnceLock, PoisonError,
    atomic::{AtomicBool, Ordering},
};

/// A value opened on first use.
///
/// ```
/// use easy_cache_disk::LazyOpen;
/// let lazy: LazyOpen<u32> = LazyOpen::new("redb");
/// assert!(!lazy.is_open());
/// assert_eq!(*lazy.get("cache", || Ok(7)).unwrap(), 7);
/// // Opened once: later calls do not open again.
/// assert_eq!(*lazy.get("cache", || unreachable!()).unwrap(), 7);
/// assert!(lazy.is_open());
/// ```
#[derive(Debug)]
pub struct LazyOpen<T> {
    opened: OnceLock<T>,
    /// Serializes opening, so concurrent first calls open once.
    opening: Mutex<()>,
    /// Set while opening fails, so an outage is logged once, not on every call.
    failing: AtomicBool,
    /// The backend's name in logs (`sled`, `redb`).
    backend: &'static str,
}

impl<T> LazyOpen<T> {
    /// Nothing opened yet; `backend` names the database in logs.
    pub fn new(backend: &'static str) -> Self {
        LazyOpen {
            opened: OnceLock::new(),
            opening: Mutex::new(()),
            failing: AtomicBool::new(false),
            backend,
        }
    }

    /// Whether it is open.
    pub fn is_open(&self) -> bool {
        self.opened.get().is_some()
    }

    /// The open value, opened with `open` on first use (logged as the cache `name`).
    #[inline]
    pub fn get(&self, name: &str, open: impl FnOnce() -> Result<T>) -> Result<&T> {
        match self.opened.get() {
            Some(opened) => Ok(opened),
            None => self.get_opening(name, open),
        }
    }

    /// [`get`](Self::get) before it is open: out of the hit's line.
    #[cold]
    fn get_opening(&self, name: &str, open: impl FnOnce() -> Result<T>) -> Result<&T> {
        let _opening = self.opening.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(opened) = self.opened.get() {
            return Ok(opened);
        }
        let backend = self.backend;
        match open() {
            Ok(opened) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!(cache = %name, "{backend} database opened");
                }
                Ok(self.opened.get_or_init(|| opened))
            }
            Err(e) => {
                if self.failing.swap(true, Ordering::Relaxed) {
                    tracing::debug!(cache = %name, error = %e, "{backend} database still not open");
                } else {
                    tracing::warn!(cache = %name, error = %e, "cannot open the {backend} database");
                }
                Err(e)
            }
        }
    }
}
