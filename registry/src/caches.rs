//! The process-wide registry, as functions (the seed's `caches` object), and the alias map
//! behind them: lock-free reads, serialized writes.
//!
//! ```
//! # use easy_cache_memory as _; // links the memory:// backend
//! use easy_cache_registry::caches;
//! caches::insert("doc_caches_sessions", caches::from_url("memory://?default_timeout=600")?);
//! assert!(caches::aliases().iter().any(|a| a == "doc_caches_sessions"));
//! assert_eq!(caches::get("doc_caches_sessions").unwrap().name(), "memory");
//! assert!(caches::remove("doc_caches_sessions").is_some());
//! # Ok::<(), easy_cache_core::Error>(())
//! ```

pub use crate::schemes::{from_backend_url, from_url, schemes};
use arc_swap::ArcSwap;
use easy_cache_core::__private::InstanceLookup;
use easy_cache_core::{CacheInstance, Error, ErrorKind, Result};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

/// The alias used when a function names none.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::{DEFAULT_ALIAS, caches};
/// // With nothing configured, `default` is the embedded in-memory cache.
/// assert_eq!(caches::get(DEFAULT_ALIAS).unwrap().name(), "memory");
/// ```
pub const DEFAULT_ALIAS: &str = "default";

type AliasMap = HashMap<String, Arc<dyn CacheInstance>>;

/// A registry of cache instances by alias. [`CACHES`] is the process-wide one.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_core::__private::InstanceLookup;
/// use easy_cache_registry::{CACHES, Caches, caches};
/// let registry: &Caches = &CACHES;
/// let before = registry.generation();
/// registry.insert("doc_caches_struct", caches::from_url("memory://")?);
/// assert_eq!(registry.get("doc_caches_struct").unwrap().name(), "memory");
/// assert!(registry.generation() > before); // functions re-resolve their alias
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub struct Caches {
    map: LazyLock<ArcSwap<AliasMap>>,
    writes: Mutex<()>,
    generation: AtomicU64,
    embedded_default: OnceLock<Option<Arc<dyn CacheInstance>>>,
}

/// The process-wide registry that `#[ecached]` functions consult.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::{CACHES, caches};
/// // The `caches` functions act on `CACHES`.
/// caches::insert("doc_caches_static", caches::from_url("memory://")?);
/// assert!(CACHES.get("doc_caches_static").is_some());
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub static CACHES: Caches = Caches::new();

impl Caches {
    const fn new() -> Self {
        Caches {
            map: LazyLock::new(|| ArcSwap::from_pointee(HashMap::new())),
            writes: Mutex::new(()),
            generation: AtomicU64::new(0),
            embedded_default: OnceLock::new(),
        }
    }

    fn update(&self, change: impl FnOnce(&mut AliasMap)) {
        // A poisoned lock only means another writer panicked; the map itself is intact.
        let _guard = self.writes.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = AliasMap::clone(&self.map.load());
        change(&mut next);
        self.map.store(Arc::new(next));
        self.generation.fetch_add(1, Ordering::Release);
        // After the new map is in place: a copy taken from the old one stops serving.
        easy_cache_core::__private::aliases_changed();
    }

    /// Registers `instance` under `alias`, replacing any previous one.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_registry::{CACHES, caches};
    /// use std::sync::Arc;
    /// let first = caches::from_url("memory://")?;
    /// CACHES.insert("doc_caches_insert", Arc::clone(&first));
    /// CACHES.insert("doc_caches_insert", caches::from_url("memory://")?); // replaces `first`
    /// assert!(!Arc::ptr_eq(&CACHES.get("doc_caches_insert").unwrap(), &first));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn insert(&self, alias: &str, instance: Arc<dyn CacheInstance>) {
        self.update(|map| {
            map.insert(alias.to_owned(), instance);
        });
    }

    /// Removes `alias`; returns the instance it had.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_registry::{CACHES, caches};
    /// CACHES.insert("doc_caches_remove", caches::from_url("memory://")?);
    /// assert!(CACHES.remove("doc_caches_remove").is_some());
    /// assert!(CACHES.remove("doc_caches_remove").is_none());
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn remove(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
        let mut removed = None;
        self.update(|map| removed = map.remove(alias));
        removed
    }

    /// Removes every alias (the embedded default stays available).
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_registry::{CACHES, caches};
    /// CACHES.insert("doc_caches_clear", caches::from_url("memory://")?);
    /// CACHES.clear();
    /// assert!(CACHES.get("doc_caches_clear").is_none());
    /// assert!(CACHES.get("default").is_some()); // the embedded in-memory cache
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn clear(&self) {
        self.update(HashMap::clear);
    }

    /// The instance under `alias`; `default` falls back to the embedded in-memory cache.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_registry::{CACHES, caches};
    /// assert_eq!(CACHES.get("default").unwrap().name(), "memory");
    /// assert!(CACHES.get("doc_caches_nobody").is_none());
    /// ```
    pub fn get(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
        if let Some(instance) = self.map.load().get(alias) {
            return Some(Arc::clone(instance));
        }
        if alias == DEFAULT_ALIAS {
            return self.embedded_default();
        }
        None
    }

    /// Like [`get`](Self::get), with an error naming the alias and the ones that exist.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_registry::{CACHES, caches};
    /// use easy_cache_core::ErrorKind;
    /// CACHES.insert("doc_caches_try_get", caches::from_url("memory://")?);
    /// let err = CACHES.try_get("doc_caches_missing").err().unwrap();
    /// assert_eq!(err.kind(), ErrorKind::UnknownAlias);
    /// assert!(err.message().contains("doc_caches_try_get")); // lists what exists
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn try_get(&self, alias: &str) -> Result<Arc<dyn CacheInstance>> {
        self.get(alias).ok_or_else(|| {
            let mut known = self.aliases();
            known.sort();
            Error::new(
                ErrorKind::UnknownAlias,
                format!(
                    "no cache registered as `{alias}` (registered: {})",
                    known.join(", ")
                ),
            )
        })
    }

    /// The registered aliases (the embedded default is listed once it exists).
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_registry::{CACHES, caches};
    /// CACHES.insert("doc_caches_aliases", caches::from_url("memory://")?);
    /// let aliases = CACHES.aliases();
    /// assert!(aliases.iter().any(|a| a == "doc_caches_aliases"));
    /// assert!(aliases.iter().any(|a| a == "default"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn aliases(&self) -> Vec<String> {
        let mut aliases: Vec<String> = self.map.load().keys().cloned().collect();
        if !aliases.iter().any(|a| a == DEFAULT_ALIAS) && self.embedded_default().is_some() {
            aliases.push(DEFAULT_ALIAS.to_owned());
        }
        aliases
    }

    fn embedded_default(&self) -> Option<Arc<dyn CacheInstance>> {
        self.embedded_default
            .get_or_init(|| match from_url("memory://") {
                Ok(instance) => Some(instance),
                Err(err) => {
                    tracing::warn!(error = %err, "no embedded default cache: enable the `memory` feature or call caches::set_default");
                    None
                }
            })
            .clone()
    }
}

impl InstanceLookup for Caches {
    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
        self.get(alias)
    }

    fn try_lookup(&self, alias: &str) -> Result<Arc<dyn CacheInstance>> {
        self.try_get(alias)
    }
}

/// Makes `instance` the `default` cache.
///
/// ```
/// # use easy_cache_memory as _; // links the embedded default
/// use easy_cache_registry::caches;
/// # fn instance() -> std::sync::Arc<dyn easy_cache_core::CacheInstance> { caches::get("default").unwrap() }
/// caches::set_default(instance());
/// assert!(caches::get("default").is_some());
/// ```
pub fn set_default(instance: Arc<dyn CacheInstance>) {
    CACHES.insert(DEFAULT_ALIAS, instance);
}

/// Registers `instance` under `alias` in the process-wide registry.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// caches::insert("doc_insert_sessions", caches::from_url("memory://?default_timeout=600")?);
/// assert_eq!(caches::get("doc_insert_sessions").unwrap().name(), "memory");
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn insert(alias: &str, instance: Arc<dyn CacheInstance>) {
    CACHES.insert(alias, instance);
}

/// The instance registered under `alias` (`default` always resolves while the memory
/// backend is linked).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// assert_eq!(caches::get("default").unwrap().name(), "memory");
/// assert!(caches::get("doc_get_nobody").is_none());
/// ```
pub fn get(alias: &str) -> Option<Arc<dyn CacheInstance>> {
    CACHES.get(alias)
}

/// Like [`get`], with an [`ErrorKind::UnknownAlias`] error that lists the aliases.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// use easy_cache_core::ErrorKind;
/// assert!(caches::try_get("default").is_ok());
/// let err = caches::try_get("doc_try_get_nobody").err().unwrap();
/// assert_eq!(err.kind(), ErrorKind::UnknownAlias);
/// assert!(err.message().contains("doc_try_get_nobody"));
/// ```
pub fn try_get(alias: &str) -> Result<Arc<dyn CacheInstance>> {
    CACHES.try_get(alias)
}

/// Removes `alias` from the process-wide registry.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// caches::insert("doc_remove_old", caches::from_url("memory://")?);
/// assert!(caches::remove("doc_remove_old").is_some());
/// assert!(caches::get("doc_remove_old").is_none());
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn remove(alias: &str) -> Option<Arc<dyn CacheInstance>> {
    CACHES.remove(alias)
}

/// Removes every alias from the process-wide registry.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// caches::insert("doc_clear_a", caches::from_url("memory://")?);
/// caches::clear();
/// assert!(caches::get("doc_clear_a").is_none());
/// assert!(caches::get("default").is_some()); // the embedded default stays
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn clear() {
    CACHES.clear();
}

/// The registered aliases.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// caches::insert("doc_aliases_reports", caches::from_url("memory://")?);
/// assert!(caches::aliases().iter().any(|a| a == "doc_aliases_reports"));
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn aliases() -> Vec<String> {
    CACHES.aliases()
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use bytes::Bytes;
    use easy_cache_core::Timeout;

    struct Named(&'static str);

    #[async_trait]
    impl CacheInstance for Named {
        fn name(&self) -> &str {
            self.0
        }
        async fn get(&self, _: &str) -> Result<Option<Bytes>> {
            Ok(None)
        }
        async fn set(&self, _: &str, _: Bytes, _: Timeout) -> Result<()> {
            Ok(())
        }
        async fn add(&self, _: &str, _: Bytes, _: Timeout) -> Result<bool> {
            Ok(true)
        }
        async fn delete(&self, _: &str) -> Result<bool> {
            Ok(false)
        }
    }

    #[test]
    fn insert_replace_remove_bump_generation() {
        let caches = Caches::new();
        let g0 = caches.generation();
        caches.insert("a", Arc::new(Named("one")));
        assert_eq!(caches.get("a").unwrap().name(), "one");
        caches.insert("a", Arc::new(Named("two")));
        assert_eq!(caches.get("a").unwrap().name(), "two");
        assert!(caches.remove("a").is_some());
        assert!(caches.get("a").is_none());
        assert_eq!(caches.generation(), g0 + 3);
    }

    #[test]
    fn unknown_alias_error_lists_known_aliases() {
        let caches = Caches::new();
        caches.insert("sessions", Arc::new(Named("s")));
        let err = caches.try_get("users").err().unwrap();
        assert_eq!(err.kind(), ErrorKind::UnknownAlias);
        assert!(err.message().contains("sessions"), "{err}");
    }

    #[test]
    fn concurrent_writers_and_readers_see_consistent_maps() {
        let caches = Arc::new(Caches::new());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let caches = Arc::clone(&caches);
                std::thread::spawn(move || {
                    for i in 0..200 {
                        let alias = format!("t{t}-{i}");
                        caches.insert(&alias, Arc::new(Named("x")));
                        assert!(caches.get(&alias).is_some());
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(
            caches
                .aliases()
                .iter()
                .filter(|a| a.starts_with('t'))
                .count(),
            800
        );
    }
}
