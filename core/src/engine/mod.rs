//! The per-function cache state behind `#[ecached]`: which instance it uses, and the
//! call path ([`FnCache::call`]).

pub(crate) mod background;
pub(crate) mod blocking;
mod call;
pub(crate) mod clock;
mod compute;
pub(crate) mod detach;
pub(crate) mod entry;
pub(crate) mod hard_timeout;
mod inflight;
pub(crate) mod invalidate;
pub(crate) mod near;
mod observe;
mod path;
mod pin;
pub(crate) mod rate_limited_warn;
mod read;
pub(crate) mod refresh;
pub(crate) mod resilience;
pub(crate) mod shared_instance;
pub(crate) mod spec;
mod sync_call;
pub(crate) mod wait;

use self::rate_limited_warn::RateLimitedWarn;
use self::resilience::{Jitter, RefreshAhead, Resilience, ResilienceOption};
use self::wait::DEFAULT_SINGLE_FLIGHT_WAIT;
use crate::alias_lookup::InstanceLookup;
use crate::backend::CacheInstance;
use crate::codec::Codec;
use arc_swap::ArcSwapOption;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

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
    may_lend: AtomicBool,
}

/// The state of one decorated function: a `static` the macro generates.
pub struct FnCache {
    id: &'static str,
    name: &'static str,
    target: CacheTarget,
    lookup: &'static dyn InstanceLookup,
    single_flight: bool,
    single_flight_wait: Duration,
    /// The alias's first resolution: read with one load while the registry has not
    /// changed since (the usual case: caches are registered before the calls).
    first_resolved: OnceLock<Resolved>,
    /// Later resolutions, after the registry changed.
    resolved: ArcSwapOption<Resolved>,
    fixed: OnceLock<Arc<dyn CacheInstance>>,
    /// [`Resolved::may_lend`] of the fixed instance.
    fixed_may_lend: AtomicBool,
    /// The value type's layout stamp, traced on first use (see `entry::layout_stamp`).
    layout_stamp: OnceLock<u64>,
    /// Per place printing it (the body, the handle: their closures differ), the compiler's
    /// path string (address, length) of the first call and its normalized form (see
    /// [`function_path`](Self::function_path)).
    path: [OnceLock<(usize, usize, &'static str)>; 2],
    /// The function's typed store in its instance's near cache (see `near`).
    near: near::store::StoreCell,
    /// Whether the instance last resolved has a near cache (true until one is resolved):
    /// a call on an instance without one skips the near lookup without reaching it.
    near_possible: AtomicBool,
    /// Fail-safe, refresh ahead, jitter and computation timeouts.
    resilience: Resilience,
    pub(crate) warn: RateLimitedWarn,
    /// Counters, labels and metrics handles (see `crate::observe`).
    observe: observe::Observe,
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
            single_flight_wait: DEFAULT_SINGLE_FLIGHT_WAIT,
            first_resolved: OnceLock::new(),
            resolved: ArcSwapOption::const_empty(),
            fixed: OnceLock::new(),
            fixed_may_lend: AtomicBool::new(true),
            layout_stamp: OnceLock::new(),
            path: [OnceLock::new(), OnceLock::new()],
            near: near::store::StoreCell::new(),
            near_possible: AtomicBool::new(true),
            resilience: Resilience::NONE,
            warn: RateLimitedWarn::new(),
            observe: observe::Observe::new(),
        }
    }

    /// Serves the last good value when the computation fails (`Err` of a `Result` fn, a
    /// panic, the hard timeout), if it expired at most `max_stale` ago
    /// (`#[ecached(fail_safe = 600)]`). Entries are then kept `timeout + max_stale` by the
    /// backend. An invalidated value is never served.
    pub const fn with_fail_safe(mut self, max_stale: Duration) -> Self {
        self.resilience.fail_safe = Some(max_stale);
        self
    }

    /// How long a stale value served after a failure is served again before the
    /// computation is retried (`fail_safe_throttle`; default
    /// [`DEFAULT_FAIL_SAFE_THROTTLE`](resilience::DEFAULT_FAIL_SAFE_THROTTLE)).
    pub const fn with_fail_safe_throttle(mut self, throttle: Duration) -> Self {
        self.resilience.throttle = Some(throttle);
        self
    }

    /// A hit past this point of its entry's life returns the value and starts one
    /// recomputation (`refresh_ahead = 0.8` or a duration).
    pub const fn with_refresh_ahead(mut self, when: RefreshAhead) -> Self {
        self.resilience.refresh_ahead = Some(when);
        self
    }

    /// Lengthens each stored lifetime by a random amount within `jitter`.
    pub const fn with_jitter(mut self, jitter: Jitter) -> Self {
        self.resilience.jitter = Some(jitter);
        self
    }

    /// With a stale value at hand, a computation slower than this returns it and goes on in
    /// the background to update the cache (`soft_timeout`).
    pub const fn with_soft_timeout(mut self, after: Duration) -> Self {
        self.resilience.soft_timeout = Some(after);
        self
    }

    /// Turns `option` off for this function, whatever its instance's defaults say
    /// (`#[ecached(fail_safe = false)]`).
    pub const fn without(mut self, option: ResilienceOption) -> Self {
        self.resilience = self.resilience.without(option);
        self
    }

    /// The function's fail-safe, refresh, jitter and timeout options on `instance`: its
    /// own, then the instance's defaults.
    pub(crate) fn resilience(&self, instance: &dyn CacheInstance) -> Resilience {
        match instance.resilience() {
            Some(defaults) => self.resilience.or(defaults),
            None => self.resilience,
        }
    }

    /// The hard timeout the instance in use sets for this function, when the function has
    /// none of its own (see [`Resilience::hard_timeout`]).
    pub(crate) fn default_hard_timeout(&self) -> Option<Duration> {
        self.with_instance(|instance, _| self.resilience(instance).hard_timeout)
            .flatten()
    }

    /// The stamp entries of this function carry: the codec, and the macro's stamp (type
    /// name, codec, `version`) mixed with the value type's layout stamp.
    pub(crate) fn stamp<C: Codec, T: serde::de::DeserializeOwned>(
        &self,
        macro_stamp: u64,
    ) -> entry::Stamp {
        let layout = *self.layout_stamp.get_or_init(entry::layout_stamp::<T>);
        entry::Stamp {
            codec: C::ID,
            hash: macro_stamp ^ layout.rotate_left(17),
        }
    }

    /// The path naming the function in automatic keys and logs, from `raw`, the type name
    /// of a closure declared in the generated code (see `engine::path`): module, enclosing
    /// functions, implementing type, generic arguments. Computed once per call site and
    /// instantiation; a call compares one address.
    #[doc(hidden)]
    pub fn function_path(&self, raw: &'static str, in_handle: bool) -> &'static str {
        let id = (raw.as_ptr() as usize, raw.len());
        let slot = &self.path[usize::from(in_handle)];
        if let Some(&(ptr, len, path)) = slot.get() {
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
        let _ = slot.set((id.0, id.1, path));
        path
    }

    /// The decorated function's path, for logs: the one its calls print (see
    /// [`function_path`](Self::function_path)) once known.
    pub fn name(&self) -> &'static str {
        self.path
            .iter()
            .find_map(OnceLock::get)
            .map_or(self.name, |&(_, _, path)| path)
    }

    /// Whether concurrent misses of one key compute once.
    pub fn single_flight(&self) -> bool {
        self.single_flight
    }

    /// Sets how long a call waits, in total, for other calls computing its key before it
    /// computes on its own (`#[ecached(single_flight_wait = 5)]`; default
    /// [`DEFAULT_SINGLE_FLIGHT_WAIT`]). A hung computation then holds its waiters no
    /// longer than this.
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
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// Runs `f` on the resolved instance without cloning its `Arc`, with the instance's
    /// "may lend" flag (see [`InProcess::lend`]: cleared once the instance answers that it
    /// does not lend, so a store that never lends costs no `lend` call per hit); `None`
    /// when nothing is resolved yet or the registry changed since (then
    /// [`instance`](Self::instance) resolves). `f` must not wait: it runs while a
    /// lock-free guard is held.
    ///
    /// [`InProcess::lend`]: crate::backend::in_process::InProcess::lend
    pub(crate) fn with_instance<R>(
        &self,
        f: impl FnOnce(&dyn CacheInstance, &AtomicBool) -> R,
    ) -> Option<R> {
        match self.target {
            CacheTarget::Instance(_) => self
                .fixed
                .get()
                .map(|instance| f(&**instance, &self.fixed_may_lend)),
            CacheTarget::Alias(_) => self.with_resolved(self.lookup.generation(), |resolved| {
                f(&*resolved.instance, &resolved.may_lend)
            }),
        }
    }

    /// Runs `f` on the alias's resolution of registry `generation`, if it is still current:
    /// the first one (one load), or a later one.
    #[inline]
    fn with_resolved<R>(&self, generation: u64, f: impl FnOnce(&Resolved) -> R) -> Option<R> {
        if let Some(first) = self.first_resolved.get()
            && first.generation == generation
        {
            return Some(f(first));
        }
        let resolved = self.resolved.load();
        let resolved = resolved.as_ref()?;
        (resolved.generation == generation).then(|| f(resolved))
    }

    /// The instance this function uses now; `None` (logged) when its alias is unknown.
    pub fn instance(&self) -> Option<Arc<dyn CacheInstance>> {
        match self.target {
            CacheTarget::Instance(build) => {
                let instance = self.fixed.get_or_init(build);
                self.resolved_near(&**instance);
                Some(Arc::clone(instance))
            }
            CacheTarget::Alias(alias) => {
                let generation = self.lookup.generation();
                if let Some(instance) =
                    self.with_resolved(generation, |resolved| Arc::clone(&resolved.instance))
                {
                    return Some(instance);
                }
                match self.lookup.lookup(alias) {
                    Some(instance) => {
                        self.resolved_near(&*instance);
                        let resolved = Resolved {
                            generation,
                            instance: Arc::clone(&instance),
                            may_lend: AtomicBool::new(true),
                        };
                        if let Err(resolved) = self.first_resolved.set(resolved) {
                            self.resolved.store(Some(Arc::new(resolved)));
                        }
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

impl FnCache {
    /// Notes whether `instance`, just resolved, has a near cache.
    fn resolved_near(&self, instance: &dyn CacheInstance) {
        self.near_possible
            .store(instance.near_cache().is_some(), Ordering::Relaxed);
    }

    /// False when the instance last resolved has no near cache (see `near_possible`).
    #[inline]
    pub(crate) fn near_possible(&self) -> bool {
        self.near_possible.load(Ordering::Relaxed)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{MapCache, NoAliases};

    fn build() -> Arc<dyn CacheInstance> {
        Arc::new(MapCache::default())
    }

    static LOAD_USER: FnCache = FnCache::new(
        "app/src/users.rs:12:1",
        "app::users::load_user",
        CacheTarget::Instance(build),
        &NoAliases,
        true,
    );
    static REPORT: FnCache = FnCache::new(
        "app/src/report.rs:3:1",
        "app::report",
        CacheTarget::Alias("reports"),
        &NoAliases,
        false,
    )
    .with_single_flight_wait(Duration::from_secs(5));

    #[test]
    fn an_instance_target_is_built_once_then_shared() {
        assert_eq!(LOAD_USER.name(), "app::users::load_user");
        assert_eq!(LOAD_USER.id(), "app/src/users.rs:12:1");
        assert!(LOAD_USER.single_flight());
        assert_eq!(LOAD_USER.single_flight_wait(), DEFAULT_SINGLE_FLIGHT_WAIT);
        let instance = LOAD_USER.instance().unwrap();
        assert_eq!(instance.name(), "map");
        assert!(Arc::ptr_eq(&instance, &LOAD_USER.instance().unwrap()));
    }

    #[test]
    fn an_unknown_alias_has_no_instance() {
        assert!(!REPORT.single_flight());
        assert_eq!(REPORT.single_flight_wait(), Duration::from_secs(5));
        // Nothing is registered as `reports`: the function would run uncached.
        assert!(REPORT.instance().is_none());
    }

    /// Resolves the alias `sessions` and nothing else.
    struct OnlySessions;
    impl InstanceLookup for OnlySessions {
        fn generation(&self) -> u64 {
            0
        }
        fn lookup(&self, alias: &str) -> Option<Arc<dyn CacheInstance>> {
            (alias == "sessions").then(build)
        }
    }

    #[test]
    fn an_alias_resolves_through_the_lookup() {
        static SESSION: FnCache = FnCache::new(
            "a",
            "app::session",
            CacheTarget::Alias("sessions"),
            &OnlySessions,
            true,
        );
        assert_eq!(SESSION.instance().unwrap().name(), "map");
        let resolved = SESSION.instance().unwrap();
        assert!(
            Arc::ptr_eq(&resolved, &SESSION.instance().unwrap()),
            "cached per generation"
        );
    }
}
