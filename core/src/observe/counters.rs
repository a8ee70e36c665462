//! A function's counters, always kept (no exporter needed): what
//! [`Stats`](super::Stats) snapshots.
//!
//! Hits are the hot path: each thread counts them in its own cache-line-sized stripe (one
//! uncontended `fetch_add`), so that two threads hitting one function do not pass a cache
//! line back and forth; the stripes are summed when read. The rest happens at most once
//! per miss, on shared counters.

use super::outcome::Outcome;
use super::stats::Stats;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// Stripes per function: threads beyond this share them (still correct, a little slower).
const STRIPES: usize = 8;

/// One thread's hits (stripes are given out to threads in turn): near-cache hits, and
/// the others.
#[repr(align(64))]
struct Stripe {
    hits: AtomicU64,
    near_hits: AtomicU64,
}

impl Stripe {
    const fn new() -> Self {
        Stripe {
            hits: AtomicU64::new(0),
            near_hits: AtomicU64::new(0),
        }
    }
}

/// The next stripe to give a thread.
static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe (`usize::MAX`: not given yet).
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The calling thread's stripe.
#[inline]
fn stripe() -> usize {
    STRIPE.with(|stripe| {
        let index = stripe.get();
        if index < STRIPES {
            return index;
        }
        let index = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % STRIPES;
        stripe.set(index);
        index
    })
}

/// The counters of one decorated function.
pub(crate) struct Counters {
    stripes: [Stripe; STRIPES],
    /// Per [`Outcome`] but `Hit` (striped above).
    outcomes: [AtomicU64; 5],
    computations: AtomicU64,
    waits: AtomicU64,
    compute_nanos: AtomicU64,
    max_compute_nanos: AtomicU64,
}

impl Counters {
    pub(crate) const fn new() -> Self {
        Counters {
            stripes: [const { Stripe::new() }; STRIPES],
            outcomes: [const { AtomicU64::new(0) }; 5],
            computations: AtomicU64::new(0),
            waits: AtomicU64::new(0),
            compute_nanos: AtomicU64::new(0),
            max_compute_nanos: AtomicU64::new(0),
        }
    }

    /// A hit; `near`: answered by the near cache.
    #[inline]
    pub(crate) fn hit(&self, near: bool) {
        let stripe = &self.stripes[stripe()];
        // One add per hit: `hits` counts the others, the snapshot adds the two.
        let counter = if near {
            &stripe.near_hits
        } else {
            &stripe.hits
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A call's outcome, but a hit on the call's first poll (see [`hit`](Self::hit)).
    pub(crate) fn outcome(&self, outcome: Outcome) {
        match outcome {
            Outcome::Hit => self.hit(false),
            other => {
                self.outcomes[other.index()].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn computation(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.computations.fetch_add(1, Ordering::Relaxed);
        self.compute_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.max_compute_nanos.fetch_max(nanos, Ordering::Relaxed);
    }

    pub(crate) fn wait(&self) {
        self.waits.fetch_add(1, Ordering::Relaxed);
    }

    /// What the counters say now (each read on its own: a snapshot taken while calls run
    /// may be off by those calls).
    pub(crate) fn snapshot(&self) -> Stats {
        let (hits, near_hits) = self.stripes.iter().fold((0, 0), |(h, n), s| {
            let near = s.near_hits.load(Ordering::Relaxed);
            (h + s.hits.load(Ordering::Relaxed) + near, n + near)
        });
        let outcome = |o: Outcome| self.outcomes[o.index()].load(Ordering::Relaxed);
        Stats {
            hits,
            misses: outcome(Outcome::Miss),
            stale: outcome(Outcome::Stale),
            errors: outcome(Outcome::Error),
            bypassed: outcome(Outcome::Bypass),
            near_hits,
            single_flight_waits: self.waits.load(Ordering::Relaxed),
            computations: self.computations.load(Ordering::Relaxed),
            compute_time: Duration::from_nanos(self.compute_nanos.load(Ordering::Relaxed)),
            max_compute_time: Duration::from_nanos(self.max_compute_nanos.load(Ordering::Relaxed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_sum_the_stripes_of_every_thread() {
        static COUNTERS: Counters = Counters::new();
        let threads: Vec<_> = (0..12)
            .map(|_| {
                std::thread::spawn(|| {
                    for _ in 0..1000 {
                        COUNTERS.hit(false);
                    }
                    COUNTERS.hit(true);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        COUNTERS.outcome(Outcome::Miss);
        COUNTERS.computation(Duration::from_millis(30));
        COUNTERS.computation(Duration::from_millis(10));
        let stats = COUNTERS.snapshot();
        assert_eq!(stats.hits, 12 * 1001);
        assert_eq!(stats.near_hits, 12);
        assert_eq!(stats.misses, 1);
        assert_eq!(stats.computations, 2);
        assert_eq!(stats.max_compute_time, Duration::from_millis(30));
        assert_eq!(stats.mean_compute_time(), Some(Duration::from_millis(20)));
    }
}
