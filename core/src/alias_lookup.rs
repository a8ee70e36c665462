//! How the engine finds a cache instance by alias at call time.

use crate::backend::CacheInstance;
use crate::error::{Error, ErrorKind, Result};
use std::sync::Arc;

/// A source of cache instances by alias: the `caches` registry implements it.
///
/// The engine asks for the alias on a function's first call and again only when
/// [`generation`](InstanceLookup::generation) changes, so a hit pays one atomic load.
pub trait InstanceLookup: Send + Sync + 'static {
    /// A number that changes whenever any alias is added, replaced or removed. After each
    /// change, call [`aliases_changed`](crate::__private::aliases_changed): threads' copies
    /// of values (taken without asking the lookup) stop serving.
    fn generation(&self) -> u64;

    /// The instance registered under `alias`, if any.
    fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>>;

    /// The instance registered under `alias`, or an [`ErrorKind::UnknownAlias`] error
    /// (a lookup that knows its aliases may list them in it).
    fn try_lookup(&self, alias: &str) -> Result<Arc<dyn CacheInstance>> {
        self.lookup(alias).ok_or_else(|| {
            Error::new(
                ErrorKind::UnknownAlias,
                format!("no cache registered as `{alias}`"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MapCache;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A single swappable alias.
    struct Sessions {
        instance: Mutex<Arc<dyn CacheInstance>>,
        generation: AtomicU64,
    }

    impl InstanceLookup for Sessions {
        fn generation(&self) -> u64 {
            self.generation.load(Ordering::Acquire)
        }
        fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
            (alias == "sessions").then(|| self.instance.lock().unwrap().clone())
        }
    }

    #[test]
    fn looks_up_by_alias_and_reports_unknown_ones() {
        let lookup = Sessions {
            instance: Mutex::new(Arc::new(MapCache::default())),
            generation: AtomicU64::new(0),
        };
        assert_eq!(lookup.lookup("sessions").unwrap().name(), "map");
        assert!(lookup.lookup("users").is_none());
        let err = lookup.try_lookup("users").err().unwrap();
        assert_eq!(err.kind(), ErrorKind::UnknownAlias);

        *lookup.instance.lock().unwrap() = Arc::new(MapCache::default());
        lookup.generation.fetch_add(1, Ordering::Release); // tells functions to look again
        assert_eq!(lookup.generation(), 1);
    }
}
