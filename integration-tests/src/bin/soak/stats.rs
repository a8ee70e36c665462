//! What the load tasks count per backend, and snapshots of it for intervals and the end.

use super::db::{Invalidation, WrongValue};
use super::errors;
use super::functions::Backend;
use super::latency::{Counts, Histogram};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// At most this many wrong values are kept as examples.
const EXAMPLES: usize = 10;

/// Live counters of one backend.
pub struct Stats {
    backend: Backend,
    calls: AtomicU64,
    refreshes: AtomicU64,
    wrong: AtomicU64,
    stalls: AtomicU64,
    invalidations: [AtomicU64; 3],
    invalidation_errors: AtomicU64,
    latency: Histogram,
    examples: Mutex<Vec<WrongValue>>,
    /// Function runs, logged backend errors and warnings before this run (process-wide).
    runs_base: u64,
    errors_base: u64,
    warnings_base: u64,
}

/// The counters of one backend at one moment (or over an interval, see [`Snapshot::since`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// The backend.
    pub backend: Backend,
    /// Cached calls (refreshes excluded).
    pub calls: u64,
    /// Function runs: misses, calls made while the backend failed, and refreshes.
    pub runs: u64,
    /// `refresh_cache` calls.
    pub refreshes: u64,
    /// Values older than the last invalidation completed before the call (must be 0).
    pub wrong: u64,
    /// Calls that did not return within the stall limit (cancelled; must be 0).
    pub stalls: u64,
    /// Backend errors the engine logged (one per failed read or write of a call).
    pub errors: u64,
    /// Warnings logged by the engine for the function and by the backend crate.
    pub warnings: u64,
    /// Completed invalidations by key, tag and prefix.
    pub invalidations: [u64; 3],
    /// Invalidations that returned an error (the backend was down).
    pub invalidation_errors: u64,
    /// Call latencies.
    pub latency: Counts,
    /// The largest call latency in µs (over the whole run, or the interval).
    pub max_micros: u64,
}

impl Stats {
    /// Zeroed counters for `backend`.
    pub fn new(backend: Backend) -> Self {
        Stats {
            backend,
            calls: AtomicU64::new(0),
            refreshes: AtomicU64::new(0),
            wrong: AtomicU64::new(0),
            stalls: AtomicU64::new(0),
            invalidations: [const { AtomicU64::new(0) }; 3],
            invalidation_errors: AtomicU64::new(0),
            latency: Histogram::new(),
            examples: Mutex::new(Vec::new()),
            runs_base: backend.runs(),
            errors_base: errors::errors(backend.function()),
            warnings_base: warnings(backend),
        }
    }

    /// The backend counted.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One cached call that returned after `latency`.
    pub fn call(&self, latency: Duration) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.latency.record(latency);
    }

    /// One refresh.
    pub fn refresh(&self) {
        self.refreshes.fetch_add(1, Ordering::Relaxed);
    }

    /// One call that did not return in time.
    pub fn stall(&self) {
        self.stalls.fetch_add(1, Ordering::Relaxed);
    }

    /// One wrong value.
    pub fn wrong(&self, value: WrongValue) {
        self.wrong.fetch_add(1, Ordering::Relaxed);
        let mut examples = self.examples.lock().unwrap_or_else(|p| p.into_inner());
        if examples.len() < EXAMPLES {
            examples.push(value);
        }
    }

    /// One invalidation, completed or failed.
    pub fn invalidation(&self, kind: Invalidation, completed: bool) {
        if completed {
            self.invalidations[kind.index()].fetch_add(1, Ordering::Relaxed);
        } else {
            self.invalidation_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The first wrong values seen.
    pub fn examples(&self) -> Vec<WrongValue> {
        self.examples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The counters now, with the maximum latency of the whole run.
    pub fn snapshot(&self) -> Snapshot {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Snapshot {
            backend: self.backend,
            calls: load(&self.calls),
            runs: self.backend.runs().saturating_sub(self.runs_base),
            refreshes: load(&self.refreshes),
            wrong: load(&self.wrong),
            stalls: load(&self.stalls),
            errors: errors::errors(self.backend.function()).saturating_sub(self.errors_base),
            warnings: warnings(self.backend).saturating_sub(self.warnings_base),
            invalidations: self.invalidations.each_ref().map(load),
            invalidation_errors: load(&self.invalidation_errors),
            latency: self.latency.counts(),
            max_micros: self.latency.max_micros(),
        }
    }

    /// The largest latency since the previous call (for an interval's line).
    pub fn take_window_max(&self) -> u64 {
        self.latency.take_window_max()
    }
}

fn warnings(backend: Backend) -> u64 {
    errors::warnings(backend.function(), backend.crate_name())
}

impl Snapshot {
    /// What happened between `earlier` and `self`; `max_micros` is left to the caller.
    pub fn since(&self, earlier: &Snapshot) -> Snapshot {
        let sub = |a: u64, b: u64| a.saturating_sub(b);
        Snapshot {
            backend: self.backend,
            calls: sub(self.calls, earlier.calls),
            runs: sub(self.runs, earlier.runs),
            refreshes: sub(self.refreshes, earlier.refreshes),
            wrong: sub(self.wrong, earlier.wrong),
            stalls: sub(self.stalls, earlier.stalls),
            errors: sub(self.errors, earlier.errors),
            warnings: sub(self.warnings, earlier.warnings),
            invalidations: [0, 1, 2].map(|i| sub(self.invalidations[i], earlier.invalidations[i])),
            invalidation_errors: sub(self.invalidation_errors, earlier.invalidation_errors),
            latency: self.latency.since(&earlier.latency),
            max_micros: self.max_micros,
        }
    }

    /// Calls whose function ran: runs less refreshes (a refresh always runs).
    pub fn misses(&self) -> u64 {
        self.runs.saturating_sub(self.refreshes).min(self.calls)
    }

    /// Calls served from the cache (a single-flight waiter counts as a hit).
    pub fn hits(&self) -> u64 {
        self.calls - self.misses()
    }

    /// Hits as a share of calls, in percent.
    pub fn hit_percent(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.hits() as f64 * 100.0 / self.calls as f64
        }
    }

    /// The median call latency in µs.
    pub fn p50(&self) -> u64 {
        self.latency.quantile(0.50, self.max_micros)
    }

    /// The 99th percentile call latency in µs.
    pub fn p99(&self) -> u64 {
        self.latency.quantile(0.99, self.max_micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_and_subtract() {
        let stats = Stats::new(Backend::Redis);
        stats.call(Duration::from_micros(100));
        stats.call(Duration::from_micros(300));
        stats.invalidation(Invalidation::Tag, true);
        stats.invalidation(Invalidation::Key, false);
        let first = stats.snapshot();
        assert_eq!(first.calls, 2);
        assert_eq!(first.invalidations, [0, 1, 0]);
        assert_eq!(first.invalidation_errors, 1);
        stats.call(Duration::from_micros(200));
        stats.wrong(WrongValue {
            id: 1,
            floor: 2,
            got: (1, 1),
            by: Some(Invalidation::Key),
        });
        let interval = stats.snapshot().since(&first);
        assert_eq!((interval.calls, interval.wrong), (1, 1));
        assert_eq!(interval.latency.total(), 1);
        assert_eq!(stats.examples().len(), 1);
        assert_eq!(stats.take_window_max(), 300);
    }

    #[test]
    fn hits_are_calls_that_did_not_run_the_function() {
        let snapshot = Snapshot {
            backend: Backend::Memcached,
            calls: 100,
            runs: 30,
            refreshes: 10,
            wrong: 0,
            stalls: 0,
            errors: 0,
            warnings: 0,
            invalidations: [0; 3],
            invalidation_errors: 0,
            latency: Histogram::new().counts(),
            max_micros: 0,
        };
        assert_eq!((snapshot.misses(), snapshot.hits()), (20, 80));
        assert!((snapshot.hit_percent() - 80.0).abs() < 1e-9);
    }
}
