//! The per-function cache state behind `#[ecached]`: which instance it uses, and the
//! call path ([`FnCache::call`]).

pub(crate) mod call;
mod flight;
mod refresh;
mod shared;
mod warn;

pub use call::CallSpec;
pub(crate) use flight::{close_versions, mark_stale};
pub(crate) use refresh::refresh_scope;
pub use shared::{IntoInstance, shared_instance};
pub(crate) use warn::RateLimitedWarn;

use crate::{CacheInstance, InstanceLookup};
use arc_swap::ArcSwapOption;
use std::sync::{Arc, OnceLock};

/// Where a function's cache lives.
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
pub struct FnCache {
    id: &'static str,
    name: &'static str,
    target: CacheTarget,
    lookup: &'static dyn InstanceLookup,
    single_flight: bool,
    resolved: ArcSwapOption<Resolved>,
    fixed: OnceLock<Arc<dyn CacheInstance>>,
    pub(crate) warn: RateLimitedWarn,
}

impl FnCache {
    /// State for the function `name` (unique `id`: path, line and column), caching in
    /// `target`, resolving aliases through `lookup`.
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
            resolved: ArcSwapOption::const_empty(),
            fixed: OnceLock::new(),
            warn: RateLimitedWarn::new(),
        }
    }

    /// The decorated function's path, for logs.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether concurrent misses of one key compute once.
    pub fn single_flight(&self) -> bool {
        self.single_flight
    }

    /// The function's unique id, shared by its body and its handle.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The instance this function uses now; `None` (logged) when its alias is unknown.
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
