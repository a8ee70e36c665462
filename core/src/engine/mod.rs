//! The per-function cache state behind `#[ecached]`: which instance it uses, and the
//! call path ([`FnCache::call`]).

pub(crate) mod call;
mod flight;
mod path;
mod pin;
mod read;
mod refresh;
mod shared;
mod wait;
mod warn;
mod write_gate;

pub use call::CallSpec;
pub(crate) use flight::{close_versions, mark_stale};
pub(crate) use refresh::refresh_scope;
pub use shared::{IntoInstance, shared_instance};
pub use wait::DEFAULT_SINGLE_FLIGHT_WAIT;
pub(crate) use warn::RateLimitedWarn;
pub(crate) use write_gate::close_key;

use crate::{CacheInstance, InstanceLookup};
use arc_swap::ArcSwapOption;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Where a function's cache lives.
///
/// ```
/// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
/// # use std::{collections::HashMap, sync::{Arc, Mutex}};
/// # #[derive(Default)]
/// # struct MapCache(Mutex<HashMap<String, Bytes>>);
/// # #[async_trait]
/// # impl CacheInstance for MapCache {
/// #     fn name(&self) -> &str { "map" }
/// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
/// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> {
/// #         self.0.lock().unwrap().insert(k.into(), v);
/// #         Ok(())
/// #     }
/// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
/// #         let mut map = self.0.lock().unwrap();
/// #         if map.contains_key(k) { return Ok(false); }
/// #         map.insert(k.into(), v);
/// #         Ok(true)
/// #     }
/// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
/// # }
/// use easy_cache_core::CacheTarget;
/// fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
/// let targets = [CacheTarget::Alias("sessions"), CacheTarget::Instance(build)];
/// let names: Vec<String> = targets.iter().map(|target| match target {
///     CacheTarget::Alias(alias) => format!("alias {alias}"),
///     CacheTarget::Instance(build) => format!("instance {}", build().name()),
/// }).collect();
/// assert_eq!(names, ["alias sessions", "instance map"]);
/// ```
#[derive(Clone, Copy)]
pub enum CacheTarget {
    /// Looked up by alias in the registry at call time (`cache_alias = "..."`, or `default`).
    Alias(&'static str),
    /// Given directly (`cache_instance = expr`); built once, on first use.
    Instance(fn() -> Arc<dyn CacheInstance>),
}

struct Resolved {
    generation: u64,
    instance: Arc<dyn CacheInstance>,
}

/// The state of one decorated function: a `static` the macro generates.
///
/// ```
/// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
/// # use std::{collections::HashMap, sync::{Arc, Mutex}};
/// # #[derive(Default)]
/// # struct MapCache(Mutex<HashMap<String, Bytes>>);
/// # #[async_trait]
/// # impl CacheInstance for MapCache {
/// #     fn name(&self) -> &str { "map" }
/// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
/// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> {
/// #         self.0.lock().unwrap().insert(k.into(), v);
/// #         Ok(())
/// #     }
/// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
/// #         let mut map = self.0.lock().unwrap();
/// #         if map.contains_key(k) { return Ok(false); }
/// #         map.insert(k.into(), v);
/// #         Ok(true)
/// #     }
/// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
/// # }
/// # use easy_cache_core::InstanceLookup;
/// # struct NoAliases;
/// # impl InstanceLookup for NoAliases {
/// #     fn generation(&self) -> u64 { 0 }
/// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
/// # }
/// use easy_cache_core::{CacheTarget, FnCache};
/// fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
/// static LOAD_USER: FnCache = FnCache::new(
///     "app/src/users.rs:12:1", "app::users::load_user", CacheTarget::Instance(build), &NoAliases, true,
/// );
/// assert_eq!(LOAD_USER.name(), "app::users::load_user");
/// // An instance target is built once, on first use, then shared.
/// assert!(Arc::ptr_eq(&LOAD_USER.instance().unwrap(), &LOAD_USER.instance().unwrap()));
/// ```
pub struct FnCache {
    id: &'static str,
    name: &'static str,
    target: CacheTarget,
    lookup: &'static dyn InstanceLookup,
    single_flight: bool,
    single_flight_wait: Duration,
    resolved: ArcSwapOption<Resolved>,
    fixed: OnceLock<Arc<dyn CacheInstance>>,
    /// The value type's layout fingerprint, traced on first use (see `crate::layout`).
    layout: OnceLock<u64>,
    /// The compiler's path string (address, length) of the first call and its normalized
    /// form (see [`function_path`](Self::function_path)).
    path: OnceLock<(usize, usize, &'static str)>,
    pub(crate) warn: RateLimitedWarn,
}

impl FnCache {
    /// State for the function `name` (unique `id`: path, line and column), caching in
    /// `target`, resolving aliases through `lookup`.
    ///
    /// ```
    /// # use easy_cache_core::{CacheInstance, CacheTarget, FnCache, InstanceLookup};
    /// # use std::sync::Arc;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// static REPORT: FnCache = FnCache::new(
    ///     "app/src/report.rs:3:1", "app::report", CacheTarget::Alias("reports"), &NoAliases, false,
    /// );
    /// assert!(!REPORT.single_flight());
    /// // Nothing is registered as `reports`: the function would run uncached.
    /// assert!(REPORT.instance().is_none());
    /// ```
    pub const fn new(
        id: &'static str,
        name: &'static str,
        target: CacheTarget,
        lookup: &'static dyn InstanceLookup,
        single_flight: bool,
    ) -> Self {
        FnCache {
            id,
            name,
            target,
            lookup,
            single_flight,
            single_flight_wait: DEFAULT_SINGLE_FLIGHT_WAIT,
            resolved: ArcSwapOption::const_empty(),
            fixed: OnceLock::new(),
            layout: OnceLock::new(),
            path: OnceLock::new(),
            warn: RateLimitedWarn::new(),
        }
    }

    /// The stamp entries of this function carry: the codec, and the macro's fingerprint
    /// (type name, codec, `version`) mixed with the value type's serde layout.
    pub(crate) fn stamp<C: crate::Codec, T: serde::de::DeserializeOwned>(
        &self,
        fingerprint: u64,
    ) -> crate::envelope::Stamp {
        let layout = *self.layout.get_or_init(crate::layout::fingerprint::<T>);
        crate::envelope::Stamp {
            codec: C::ID,
            fingerprint: fingerprint ^ layout.rotate_left(17),
        }
    }

    /// The path naming the function in automatic keys and logs, from `raw`, the type name
    /// of a closure declared in the generated code (see `engine::path`): module, enclosing
    /// functions, implementing type, generic arguments. Computed once per call site and
    /// instantiation; a call compares one address.
    #[doc(hidden)]
    pub fn function_path(&self, raw: &'static str, in_handle: bool) -> &'static str {
        let id = (raw.as_ptr() as usize, raw.len());
        if let Some(&(ptr, len, path)) = self.path.get() {
            if (ptr, len) == id {
                return path;
            }
        }
        let place = if in_handle {
            path::PrintedIn::Handle
        } else {
            path::PrintedIn::Function
        };
        let path = path::intern(raw, place);
        let _ = self.path.set((id.0, id.1, path));
        path
    }

    /// The decorated function's path, for logs: the one its calls print (see
    /// [`function_path`](Self::function_path)) once known.
    ///
    /// ```
    /// # use easy_cache_core::{CacheInstance, CacheTarget, FnCache, InstanceLookup};
    /// # use std::sync::Arc;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// static F: FnCache = FnCache::new("src/lib.rs:1:1", "app::load_user", CacheTarget::Alias("default"), &NoAliases, true);
    /// assert_eq!(F.name(), "app::load_user");
    /// ```
    pub fn name(&self) -> &'static str {
        self.path.get().map_or(self.name, |&(_, _, path)| path)
    }

    /// Whether concurrent misses of one key compute once.
    ///
    /// ```
    /// # use easy_cache_core::{CacheInstance, CacheTarget, FnCache, InstanceLookup};
    /// # use std::sync::Arc;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// static F: FnCache = FnCache::new("src/lib.rs:1:1", "app::f", CacheTarget::Alias("default"), &NoAliases, true);
    /// static G: FnCache = FnCache::new("src/lib.rs:9:1", "app::g", CacheTarget::Alias("default"), &NoAliases, false);
    /// assert!(F.single_flight());
    /// assert!(!G.single_flight());
    /// ```
    pub fn single_flight(&self) -> bool {
        self.single_flight
    }

    /// Sets how long a call waits, in total, for other calls computing its key before it
    /// computes on its own (`#[ecached(single_flight_wait = 5)]`; default
    /// [`DEFAULT_SINGLE_FLIGHT_WAIT`]). A hung computation then holds its waiters no
    /// longer than this.
    ///
    /// ```
    /// # use easy_cache_core::{CacheInstance, CacheTarget, FnCache, InstanceLookup};
    /// # use std::{sync::Arc, time::Duration};
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// static F: FnCache = FnCache::new("src/lib.rs:1:1", "app::f", CacheTarget::Alias("default"), &NoAliases, true)
    ///     .with_single_flight_wait(Duration::from_secs(5));
    /// assert_eq!(F.single_flight_wait(), Duration::from_secs(5));
    /// ```
    pub const fn with_single_flight_wait(mut self, wait: Duration) -> Self {
        self.single_flight_wait = wait;
        self
    }

    /// How long a call waits for other calls computing its key (see
    /// [`with_single_flight_wait`](Self::with_single_flight_wait)).
    pub fn single_flight_wait(&self) -> Duration {
        self.single_flight_wait
    }

    /// The function's unique id, shared by its body and its handle.
    ///
    /// ```
    /// # use easy_cache_core::{CacheInstance, CacheTarget, FnCache, InstanceLookup};
    /// # use std::sync::Arc;
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// static F: FnCache = FnCache::new("src/users.rs:12:1", "app::f", CacheTarget::Alias("default"), &NoAliases, true);
    /// assert_eq!(F.id(), "src/users.rs:12:1");
    /// ```
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// Runs `f` on the resolved instance without cloning its `Arc`; `None` when nothing
    /// is resolved yet or the registry changed since (then [`instance`](Self::instance)
    /// resolves). `f` must not wait: it runs while a lock-free guard is held.
    pub(crate) fn with_instance<R>(&self, f: impl FnOnce(&dyn CacheInstance) -> R) -> Option<R> {
        match self.target {
            CacheTarget::Instance(_) => self.fixed.get().map(|instance| f(&**instance)),
            CacheTarget::Alias(_) => {
                let resolved = self.resolved.load();
                let resolved = resolved.as_ref()?;
                (resolved.generation == self.lookup.generation()).then(|| f(&*resolved.instance))
            }
        }
    }

    /// The instance this function uses now; `None` (logged) when its alias is unknown.
    ///
    /// ```
    /// # use easy_cache_core::{async_trait, Bytes, CacheInstance, Result, Timeout};
    /// # use std::{collections::HashMap, sync::{Arc, Mutex}};
    /// # #[derive(Default)]
    /// # struct MapCache(Mutex<HashMap<String, Bytes>>);
    /// # #[async_trait]
    /// # impl CacheInstance for MapCache {
    /// #     fn name(&self) -> &str { "map" }
    /// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
    /// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> {
    /// #         self.0.lock().unwrap().insert(k.into(), v);
    /// #         Ok(())
    /// #     }
    /// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
    /// #         let mut map = self.0.lock().unwrap();
    /// #         if map.contains_key(k) { return Ok(false); }
    /// #         map.insert(k.into(), v);
    /// #         Ok(true)
    /// #     }
    /// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
    /// # }
    /// use easy_cache_core::{CacheTarget, FnCache, InstanceLookup};
    /// # struct OnlySessions;
    /// # impl InstanceLookup for OnlySessions {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
    /// #         (alias == "sessions").then(|| Arc::new(MapCache::default()) as Arc<dyn CacheInstance>)
    /// #     }
    /// # }
    /// // `OnlySessions` resolves the alias `sessions` and nothing else.
    /// static SESSION: FnCache = FnCache::new("a", "app::session", CacheTarget::Alias("sessions"), &OnlySessions, true);
    /// static ORPHAN: FnCache = FnCache::new("b", "app::orphan", CacheTarget::Alias("nope"), &OnlySessions, true);
    /// assert_eq!(SESSION.instance().unwrap().name(), "map");
    /// assert!(ORPHAN.instance().is_none());
    /// ```
    pub fn instance(&self) -> Option<Arc<dyn CacheInstance>> {
        match self.target {
            CacheTarget::Instance(build) => Some(Arc::clone(self.fixed.get_or_init(build))),
            CacheTarget::Alias(alias) => {
                let generation = self.lookup.generation();
                if let Some(resolved) = &*self.resolved.load() {
                    if resolved.generation == generation {
                        return Some(Arc::clone(&resolved.instance));
                    }
                }
                match self.lookup.lookup(alias) {
                    Some(instance) => {
                        self.resolved.store(Some(Arc::new(Resolved {
                            generation,
                            instance: Arc::clone(&instance),
                        })));
                        Some(instance)
                    }
                    None => {
                        self.warn.warn(
                            self.name,
                            format_args!("no cache registered as `{alias}`: running uncached"),
                        );
                        None
                    }
                }
            }
        }
    }
}

impl std::fmt::Debug for FnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let target = match self.target {
            CacheTarget::Alias(alias) => alias,
            CacheTarget::Instance(_) => "<instance>",
        };
        f.debug_struct("FnCache")
            .field("name", &self.name)
            .field("target", &target)
            .finish()
    }
}
