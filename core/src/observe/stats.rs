//! The snapshot of a function's counters, and of all the functions of one cache.

use super::counters::Counters;
use std::sync::Mutex;
use std::time::Duration;

/// What a function's cache did since the process started: read it with
/// [`CacheHandle::stats`](crate::CacheHandle::stats), or for every function of a cache
/// with [`cache_stats`]. Kept whether or not the `metrics` feature is on.
///
/// Every call counts once in `hits`, `misses`, `stale`, `errors` or `bypassed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Calls answered by the cache (near-cache hits included).
    pub hits: u64,
    /// Calls answered by a computation: this call's, or another call's it waited for.
    pub misses: u64,
    /// Calls whose computation failed and that got the last good value (fail-safe).
    pub stale: u64,
    /// Calls whose computation failed and that returned the failure.
    pub errors: u64,
    /// Calls that ran uncached because the backend failed (or the alias is unknown).
    pub bypassed: u64,
    /// Of the hits, those answered by the near cache.
    pub near_hits: u64,
    /// Calls that waited for another call computing the same key.
    pub single_flight_waits: u64,
    /// Computations run (misses, refreshes ahead of expiry, retries).
    pub computations: u64,
    /// The time all computations took, together.
    pub compute_time: Duration,
    /// The longest computation.
    pub max_compute_time: Duration,
}

impl Stats {
    /// All calls counted.
    pub fn calls(&self) -> u64 {
        self.hits + self.misses + self.stale + self.errors + self.bypassed
    }

    /// Hits over calls (`None` before the first call).
    pub fn hit_ratio(&self) -> Option<f64> {
        let calls = self.calls();
        #[allow(clippy::cast_precision_loss)] // a ratio: 2^53 calls are far away
        (calls > 0).then(|| self.hits as f64 / calls as f64)
    }

    /// The mean computation time (`None` before the first computation).
    pub fn mean_compute_time(&self) -> Option<Duration> {
        let nanos = self.compute_time.as_nanos() / u128::from(self.computations.max(1));
        (self.computations > 0)
            .then(|| Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)))
    }

    /// `self` and `other` added (a cache's stats are the sum of its functions').
    #[must_use]
    pub fn merge(self, other: Stats) -> Stats {
        Stats {
            hits: self.hits + other.hits,
            misses: self.misses + other.misses,
            stale: self.stale + other.stale,
            errors: self.errors + other.errors,
            bypassed: self.bypassed + other.bypassed,
            near_hits: self.near_hits + other.near_hits,
            single_flight_waits: self.single_flight_waits + other.single_flight_waits,
            computations: self.computations + other.computations,
            compute_time: self.compute_time + other.compute_time,
            max_compute_time: self.max_compute_time.max(other.max_compute_time),
        }
    }
}

/// A function's state that was called: its id (a function's body and handle may have a
/// state each, with one id), its cache alias, its counters.
struct Listed {
    id: &'static str,
    cache: &'static str,
    counters: &'static Counters,
}

/// The functions called so far (a function is listed on its first call past a hit).
static LISTED: Mutex<Vec<Listed>> = Mutex::new(Vec::new());

/// Lists a function's state, whose stats [`cache_stats`] sums under `cache`.
pub(crate) fn list(id: &'static str, cache: &'static str, counters: &'static Counters) {
    listed().push(Listed {
        id,
        cache,
        counters,
    });
}

fn listed() -> std::sync::MutexGuard<'static, Vec<Listed>> {
    LISTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The stats of the listed states of the function `id`, added together.
pub(crate) fn function_stats(id: &str) -> Stats {
    sum(|listed| listed.id == id)
}

fn sum(mut pick: impl FnMut(&Listed) -> bool) -> Stats {
    let counters: Vec<&'static Counters> = listed()
        .iter()
        .filter(|listed| pick(listed))
        .map(|listed| listed.counters)
        .collect();
    counters
        .into_iter()
        .fold(Stats::default(), |sum, counters| {
            sum.merge(counters.snapshot())
        })
}

/// The stats of every function called so far that caches under the alias `cache`
/// (`"default"` for functions without `cache_alias`; `"instance"` sums the functions
/// given a `cache_instance`), added together.
///
/// ```
/// let stats = easy_cache_core::observe::cache_stats("nothing-here");
/// assert_eq!(stats.calls(), 0);
/// assert_eq!(stats.hit_ratio(), None);
/// ```
pub fn cache_stats(cache: &str) -> Stats {
    sum(|listed| listed.cache == cache)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Outcome;

    #[test]
    fn stats_of_a_cache_add_its_functions() {
        static ONE: Counters = Counters::new();
        static TWO: Counters = Counters::new();
        for counters in [&ONE, &TWO] {
            for _ in 0..3 {
                counters.hit(false);
            }
            counters.outcome(Outcome::Miss);
        }
        ONE.computation(Duration::from_millis(5));
        list("one", "stats-test-cache", &ONE);
        list("two", "stats-test-cache", &TWO);
        list("one-again", "stats-test-other", &ONE);
        let sum = cache_stats("stats-test-cache");
        assert_eq!((sum.hits, sum.misses), (6, 2));
        assert_eq!(sum.max_compute_time, Duration::from_millis(5));
        assert_eq!(sum.hit_ratio(), Some(0.75));
        assert_eq!(function_stats("two"), TWO.snapshot());
    }
}
