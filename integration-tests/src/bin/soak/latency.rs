//! A fixed-size latency histogram: memory stays constant however long the soak runs (a list
//! of every latency would itself be the memory growth the soak looks for).
//!
//! Values are microseconds. Below 16 µs each value has its own bucket; above, each power of
//! two is cut into 8 buckets, so a percentile is reported within 12.5 % (its bucket's upper
//! bound, never above the exact maximum).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 3;
const SUBS: usize = 1 << SUB_BITS;
/// Values below this have exact buckets.
const LINEAR: usize = 2 * SUBS;
/// The largest power of two kept apart (2^35 µs is over 9 hours); larger values share it.
const MAX_BIT: u32 = 35;
const BUCKETS: usize = LINEAR + (MAX_BIT as usize - SUB_BITS as usize) * SUBS;

/// Counts of latencies per bucket, plus exact maxima.
pub struct Histogram {
    counts: [AtomicU64; BUCKETS],
    max: AtomicU64,
    /// The maximum since [`Histogram::take_window_max`] was last called.
    window_max: AtomicU64,
}

/// The counts of a [`Histogram`] at one moment; two of them subtract into an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts {
    counts: Vec<u64>,
}

impl Histogram {
    /// An empty histogram.
    pub const fn new() -> Self {
        Histogram {
            counts: [const { AtomicU64::new(0) }; BUCKETS],
            max: AtomicU64::new(0),
            window_max: AtomicU64::new(0),
        }
    }

    /// Records one latency.
    pub fn record(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.counts[index(micros)].fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(micros, Ordering::Relaxed);
        self.window_max.fetch_max(micros, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            counts: self
                .counts
                .iter()
                .map(|c| c.load(Ordering::Relaxed))
                .collect(),
        }
    }

    /// The largest latency recorded, in µs.
    pub fn max_micros(&self) -> u64 {
        self.max.load(Ordering::Relaxed)
    }

    /// The largest latency since the previous call, in µs; starts a new window.
    pub fn take_window_max(&self) -> u64 {
        self.window_max.swap(0, Ordering::Relaxed)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Counts {
    /// What was recorded between `earlier` and `self`.
    pub fn since(&self, earlier: &Counts) -> Counts {
        Counts {
            counts: self
                .counts
                .iter()
                .zip(earlier.counts.iter().chain(std::iter::repeat(&0)))
                .map(|(now, then)| now.saturating_sub(*then))
                .collect(),
        }
    }

    /// How many latencies.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The upper bound of the highest non-empty bucket, in µs: the maximum within 12.5 %
    /// (for a span whose exact maximum was not tracked); 0 when empty.
    pub fn max_bound(&self) -> u64 {
        self.counts
            .iter()
            .rposition(|&count| count > 0)
            .map_or(0, upper_bound)
    }

    /// The `q` quantile (0.5 = median) in µs: the upper bound of its bucket, capped at
    /// `max`; 0 when empty.
    pub fn quantile(&self, q: f64, max: u64) -> u64 {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        // The rank of the quantile, 1-based: the smallest count covering q of the values.
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (i, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_bound(i).min(max);
            }
        }
        max
    }
}

/// The bucket of a value in µs.
fn index(micros: u64) -> usize {
    if micros < LINEAR as u64 {
        return micros as usize;
    }
    let bit = (63 - micros.leading_zeros()).min(MAX_BIT);
    if bit == MAX_BIT && micros >> MAX_BIT > 1 {
        return BUCKETS - 1;
    }
    let sub = (micros >> (bit - SUB_BITS)) as usize & (SUBS - 1);
    LINEAR + (bit - SUB_BITS - 1) as usize * SUBS + sub
}

/// The largest value of a bucket, in µs.
fn upper_bound(index: usize) -> u64 {
    if index < LINEAR {
        return index as u64;
    }
    let bit = ((index - LINEAR) / SUBS) as u32 + SUB_BITS + 1;
    let sub = ((index - LINEAR) % SUBS) as u64;
    let width = 1u64 << (bit - SUB_BITS);
    ((SUBS as u64 + sub) << (bit - SUB_BITS)) + width - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_falls_in_a_bucket_whose_bound_is_within_an_eighth() {
        for micros in (0..5000).chain([65_535, 65_536, 1_000_000, 123_456_789]) {
            let i = index(micros);
            let bound = upper_bound(i);
            assert!(bound >= micros, "{micros} -> bucket {i} bound {bound}");
            assert!(
                bound - micros <= micros / 8 + 1,
                "{micros} -> bucket {i} bound {bound}"
            );
            if i > 0 {
                assert!(upper_bound(i - 1) < micros, "{micros} belongs lower");
            }
        }
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn quantiles_of_a_known_distribution() {
        let h = Histogram::new();
        for micros in 1..=100u64 {
            h.record(Duration::from_micros(micros * 10));
        }
        let counts = h.counts();
        assert_eq!(counts.total(), 100);
        let p50 = counts.quantile(0.5, h.max_micros());
        assert!((500..=500 + 500 / 8).contains(&p50), "{p50}");
        let p99 = counts.quantile(0.99, h.max_micros());
        assert!((990..=1000).contains(&p99), "{p99}");
        assert_eq!(counts.quantile(1.0, h.max_micros()), 1000);
        assert_eq!(Histogram::new().counts().quantile(0.5, 0), 0);
    }

    #[test]
    fn an_interval_is_the_difference_of_two_snapshots() {
        let h = Histogram::new();
        h.record(Duration::from_millis(5));
        let before = h.counts();
        h.record(Duration::from_micros(3));
        h.record(Duration::from_micros(3));
        let interval = h.counts().since(&before);
        assert_eq!(interval.total(), 2);
        assert_eq!(interval.quantile(0.99, 3), 3);
        assert_eq!(interval.max_bound(), 3);
        assert_eq!(before.max_bound(), upper_bound(index(5000)));
        assert_eq!(h.take_window_max(), 5000);
        assert_eq!(h.take_window_max(), 0, "a new window");
        assert_eq!(h.max_micros(), 5000);
    }
}
