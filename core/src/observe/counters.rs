//! A function's counters, always kept (no exporter needed): what
//! [`Stats`](super::Stats) snapshots.
//!
//! Hits are the hot path: each thread counts them in a cache-line-sized stripe of its own,
//! with a plain load and store (no locked instruction, no cache line passed between
//! threads); the stripes are summed when read. The rest happens at most once per miss, on
//! shared counters.

use super::outcome::Outcome;
use super::stats::Stats;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// Stripes per function: the last is shared by the threads beyond the first
/// [`SHARED`] alive at once (with atomic adds: still correct, a little slower).
const STRIPES: usize = 8;
/// The shared stripe; each stripe below it belongs to one thread at a time.
const SHARED: usize = STRIPES - 1;

/// One thread's hits: near-cache hits, and the others.
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

/// Stripes never given out yet start here.
static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);
/// Stripes of threads that ended, to give out again. The lock also orders an ended
/// thread's last adds before the next owner's first.
static FREE_STRIPES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// A thread's own stripe index (or [`SHARED`]), given back when the thread ends.
struct OwnStripe(usize);

impl OwnStripe {
    fn take() -> Self {
        let free = FREE_STRIPES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        OwnStripe(free.unwrap_or_else(|| NEXT_STRIPE.fetch_add(1, Ordering::Relaxed).min(SHARED)))
    }
}

impl Drop for OwnStripe {
    fn drop(&mut self) {
        if self.0 < SHARED {
            FREE_STRIPES
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(self.0);
        }
    }
}

thread_local! {
    static STRIPE: OwnStripe = OwnStripe::take();
}

/// The calling thread's stripe ([`SHARED`] while its thread-locals are torn down).
#[inline]
fn stripe() -> usize {
    STRIPE.try_with(|stripe| stripe.0).unwrap_or(SHARED)
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
        let index = stripe();
        let stripe = &self.stripes[index];
        // One add per hit: `hits` counts the others, the snapshot adds the two.
        let counter = if near {
            &stripe.near_hits
        } else {
            &stripe.hits
        };
        if index == SHARED {
            counter.fetch_add(1, Ordering::Relaxed);
        } else {
            // Only this thread writes its stripe: no other add can come in between.
            counter.store(
                counter.load(Ordering::Relaxed).wrapping_add(1),
                Ordering::Relaxed,
            );
        }
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

    /// Hits so far: those answered elsewhere than the near cache, and those it answered.
    pub(crate) fn hits(&self) -> (u64, u64) {
        self.stripes.iter().fold((0, 0), |(hits, near), stripe| {
            (
                hits + stripe.hits.load(Ordering::Relaxed),
                near + stripe.near_hits.load(Ordering::Relaxed),
            )
        })
    }

    /// What the counters say now (each read on its own: a snapshot taken while calls run
    /// may be off by those calls).
    pub(crate) fn snapshot(&self) -> Stats {
        let (others, near_hits) = self.hits();
        let hits = others + near_hits;
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
        // More threads alive at once than stripes of their own (some share one), then as
        // many again, one after another (taking the stripes of ended threads): no hit lost.
        let together = std::sync::Arc::new(std::sync::Barrier::new(12));
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let together = together.clone();
                std::thread::spawn(move || {
                    together.wait();
                    for _ in 0..1000 {
                        COUNTERS.hit(false);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        for _ in 0..12 {
            std::thread::spawn(|| COUNTERS.hit(true)).join().unwrap();
        }
        COUNTERS.outcome(Outcome::Miss);
        COUNTERS.computation(Duration::from_millis(30));
        COUNTERS.computation(Duration::from_millis(10));
        let stats = COUNTERS.snapshot();
        assert_eq!(stats.hits, 12 * 1001);
        assert_eq!(COUNTERS.hits(), (12 * 1000, 12));
        assert_eq!(stats.near_hits, 12);
        assert_eq!(stats.misses, 1);
        assert_eq!(stats.computations, 2);
        assert_eq!(stats.max_compute_time, Duration::from_millis(30));
        assert_eq!(stats.mean_compute_time(), Some(Duration::from_millis(20)));
    }
}
