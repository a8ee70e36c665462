//! The `metrics` handles of one function (feature `metrics`): registered once, on the
//! function's first call past a hit, with its labels; a call then only increments them (no
//! label is built per call). Install the exporter before the first call: handles
//! registered before it stay with the recorder that was there (none: they record nothing).

use super::labels::Labels;
use super::{BackendOp, Outcome, series};
use metrics::{Counter, Histogram, Label, counter, histogram};

/// One function's series.
pub(crate) struct Handles {
    calls: [Counter; 5],
    /// `calls` with `outcome="near_hit"`: a hit increments one counter, this or `hit`.
    near_hits: Counter,
    computations: Counter,
    waits: Counter,
    compute_seconds: Histogram,
    /// Per [`BackendOp`].
    backend_seconds: [Histogram; 2],
}

impl Handles {
    pub(crate) fn register(labels: &Labels) -> Self {
        let base = base(labels);
        let with = |name: &'static str, value: &'static str| {
            let mut labels = base.clone();
            labels.push(Label::new(name, value));
            labels
        };
        Handles {
            calls: Outcome::ALL.map(|o| counter!(series::CALLS, with("outcome", o.as_str()))),
            near_hits: counter!(series::CALLS, with("outcome", "near_hit")),
            computations: counter!(series::COMPUTATIONS, base.clone()),
            waits: counter!(series::SINGLE_FLIGHT_WAITS, base.clone()),
            compute_seconds: histogram!(series::COMPUTATION_SECONDS, base.clone()),
            backend_seconds: [BackendOp::Read, BackendOp::Write]
                .map(|op| histogram!(series::BACKEND_SECONDS, with("op", op.as_str()))),
        }
    }

    #[inline]
    pub(crate) fn hit(&self, near: bool) {
        let counter = if near {
            &self.near_hits
        } else {
            &self.calls[Outcome::Hit.index()]
        };
        counter.increment(1);
    }

    pub(crate) fn outcome(&self, outcome: Outcome) {
        self.calls[outcome.index()].increment(1);
    }

    pub(crate) fn computation(&self, seconds: f64) {
        self.computations.increment(1);
        self.compute_seconds.record(seconds);
    }

    pub(crate) fn wait(&self) {
        self.waits.increment(1);
    }

    pub(crate) fn backend(&self, op: BackendOp, seconds: f64) {
        self.backend_seconds[op as usize].record(seconds);
    }
}

/// The labels every series of the function has.
fn base(labels: &Labels) -> Vec<Label> {
    vec![
        Label::new("function", labels.function),
        Label::new("cache", labels.cache),
        Label::new("backend", labels.backend.clone()),
    ]
}

/// Counts one invalidation of `kind` (`key`, `tags`, `prefix`); cold: labels built here.
pub(crate) fn invalidated(function: &str, cache: &str, backend: &str, kind: &'static str) {
    let labels = vec![
        Label::new("function", function.to_owned()),
        Label::new("cache", cache.to_owned()),
        Label::new("backend", backend.to_owned()),
        Label::new("kind", kind),
    ];
    counter!(series::INVALIDATIONS, labels).increment(1);
}
