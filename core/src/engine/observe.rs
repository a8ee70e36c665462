//! A function's observation points (see `crate::observe`): one call each from the call
//! path, so that `call.rs`, `compute.rs` and `read.rs` only say what happened.

use super::{CacheTarget, FnCache};
use crate::backend::CacheInstance;
use crate::observe::counters::Counters;
use crate::observe::labels::{self, Labels};
use crate::observe::slow::{self, Stopwatch};
use crate::observe::{BackendOp, Outcome, Stats};
use crate::policy::ReturnPolicy;
use std::sync::{Once, OnceLock};
use std::time::Duration;
use tracing::Level;

/// What a function keeps for observation.
pub(crate) struct Observe {
    counters: Counters,
    /// The labels, made on the first call (with the instance it resolved).
    labels: OnceLock<Labels>,
    /// Listed for `cache_stats`, and with the `metrics` feature for publishing its hits,
    /// on the first call.
    listed: Once,
    #[cfg(feature = "metrics")]
    handles: OnceLock<crate::observe::handles::Handles>,
}

impl Observe {
    pub(crate) const fn new() -> Self {
        Observe {
            counters: Counters::new(),
            labels: OnceLock::new(),
            listed: Once::new(),
            #[cfg(feature = "metrics")]
            handles: OnceLock::new(),
        }
    }
}

impl FnCache {
    /// A snapshot of this function's counters (see [`Stats`]): those of every state
    /// with its id (its body's and its handle's).
    pub fn stats(&self) -> Stats {
        let listed = crate::observe::function_stats(self.id);
        if self.observe.listed.is_completed() {
            listed
        } else {
            listed.merge(self.observe.counters.snapshot())
        }
    }

    /// The `cache` label: the alias, or `instance` for a `cache_instance` target.
    pub(crate) fn cache_label(&self) -> &'static str {
        match self.target {
            CacheTarget::Alias(alias) => alias,
            CacheTarget::Instance(_) => "instance",
        }
    }

    /// The function's labels, made once from `instance` (its backend).
    pub(crate) fn labels(&self, instance: Option<&dyn CacheInstance>) -> &Labels {
        self.observe.labels.get_or_init(|| Labels {
            function: self.name(),
            cache: self.cache_label(),
            backend: instance.map_or_else(String::new, |i| labels::backend(i.name())),
        })
    }

    /// A hit within the call's first poll (`near`: from the near cache): the hot path, the
    /// same with the `metrics` feature (hits are published from the counters).
    #[inline]
    pub(crate) fn observe_hit(&'static self, near: bool) {
        self.observe.counters.hit(near);
        if !self.observe.listed.is_completed() {
            self.observe_first_hit();
        }
        if tracing::level_enabled!(Level::DEBUG) {
            self.hit_span();
        }
    }

    /// A state whose first call hit (its entry was written by another state of the same
    /// function, or another process): listed as any other.
    #[cold]
    fn observe_first_hit(&'static self) {
        let instance = self.instance();
        self.observe_started(instance.as_deref());
    }

    #[cold]
    fn hit_span(&self) {
        let span = self.call_span();
        span.record("outcome", Outcome::Hit.as_str());
        let _entered = span.enter();
    }

    /// The span of one call (disabled unless `easy_cache` is traced at debug level).
    pub(crate) fn call_span(&self) -> tracing::Span {
        tracing::debug_span!(
            target: "easy_cache",
            "ecached",
            function = self.name(),
            cache = self.cache_label(),
            outcome = tracing::field::Empty,
        )
    }

    /// How a call that did not hit on its first poll ended; also recorded in its span.
    pub(crate) fn observe_outcome(&self, outcome: Outcome) {
        self.observe.counters.outcome(outcome);
        #[cfg(feature = "metrics")]
        self.handles().outcome(outcome);
        if tracing::level_enabled!(Level::DEBUG) {
            tracing::Span::current().record("outcome", outcome.as_str());
        }
    }

    /// How a call that computed ended: `result` failed (an error) or not (a miss).
    pub(crate) fn observe_result<P: ReturnPolicy<R>, R>(&self, result: R) -> R {
        let outcome = if P::failed(&result) {
            Outcome::Error
        } else {
            Outcome::Miss
        };
        self.observe_outcome(outcome);
        result
    }

    /// A computation ran for `elapsed`.
    pub(crate) fn observe_computation(&self, elapsed: Duration) {
        self.observe.counters.computation(elapsed);
        #[cfg(feature = "metrics")]
        self.handles().computation(elapsed.as_secs_f64());
        slow::check(self.name(), self.cache_label(), "computation", elapsed);
    }

    /// This call waited for another computing its key.
    pub(crate) fn observe_wait(&self) {
        self.observe.counters.wait();
        #[cfg(feature = "metrics")]
        self.handles().wait();
    }

    /// A stopwatch for a backend operation, when anything will read it (the `metrics`
    /// feature, or the slow-operation warning): no clock is read otherwise.
    pub(crate) fn backend_watch(&self) -> Option<Stopwatch> {
        (cfg!(feature = "metrics") || slow::on()).then(Stopwatch::start)
    }

    /// A backend operation timed by [`backend_watch`](Self::backend_watch) ended.
    pub(crate) fn observe_backend(&self, op: BackendOp, watch: Option<Stopwatch>) {
        let Some(watch) = watch else { return };
        let elapsed = watch.elapsed();
        #[cfg(feature = "metrics")]
        self.handles().backend(op, elapsed.as_secs_f64());
        slow::check(self.name(), self.cache_label(), op.as_str(), elapsed);
    }

    /// A call that found no instance (unknown alias): it runs uncached.
    pub(crate) fn observe_unresolved(&'static self) {
        self.observe_started(None);
        self.observe_outcome(Outcome::Bypass);
    }

    /// A call (past its first poll, or its first hit): on the first one, lists the function
    /// for `cache_stats`, makes its labels, and with the `metrics` feature registers its
    /// series and has its hits published.
    pub(crate) fn observe_started(&'static self, instance: Option<&dyn CacheInstance>) {
        self.observe.listed.call_once(|| {
            crate::observe::stats_list(self.id, self.cache_label(), &self.observe.counters);
            self.labels(instance);
            #[cfg(feature = "metrics")]
            crate::observe::publish::register(&self.observe.counters, self.handles());
        });
    }

    #[cfg(feature = "metrics")]
    fn handles(&self) -> &crate::observe::handles::Handles {
        self.observe.handles.get_or_init(|| {
            let instance = self.instance();
            crate::observe::handles::Handles::register(self.labels(instance.as_deref()))
        })
    }
}
