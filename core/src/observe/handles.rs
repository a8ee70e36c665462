//! The `metrics` handles of one function (feature `metrics`): registered once, on the
//! function's first call, with its labels; a call then only increments them (no label is
//! built per call), and hits are added from the function's counters (see `publish`). Install the exporter before the first call: handles
//! registered before it stay with the recorder that was there (none: they record nothing).

use super::backend_op::BackendOp;
use super::labels::Labels;
use super::outcome::Outcome;
use super::series;
use metrics::{Counter, Histogram, Label, counter, histogram};

/// One function's series.
pub(crate) struct Handles {
    /// Per [`Outcome`]; `hit` is published (see `publish`), not incremented per call.
    calls: [Counter; 5],
    /// `calls` with `outcome="near_hit"`: a hit is counted once, here or under `hit`.
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

    /// Adds `hits` answered elsewhere than the near cache and `near_hits` answered by it.
    pub(crate) fn hits(&self, hits: u64, near_hits: u64) {
        if hits > 0 {
            self.calls[Outcome::Hit.index()].increment(hits);
        }
        if near_hits > 0 {
            self.near_hits.increment(near_hits);
        }
    }

    /// A call ended with `outcome`, but a hit (published from the counters).
    pub(crate) fn outcome(&self, outcome: Outcome) {
        if outcome != Outcome::Hit {
            self.calls[outcome.index()].increment(1);
        }
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
