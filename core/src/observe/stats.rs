//! The snapshot of a function's counters.

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
