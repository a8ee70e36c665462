//! The slow-operation warning (tail-based, as foyer does): nothing is traced for an
//! operation that finished in time; one slower than the threshold logs a warning with its
//! function, cache, operation and duration. Off by default; with it off, no clock is read
//! for it.

use crate::engine::clock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The threshold in nanoseconds; 0: off.
static THRESHOLD_NANOS: AtomicU64 = AtomicU64::new(0);

/// Warns (through `tracing`, target `easy_cache`) about every call, computation or
/// backend operation slower than `threshold`; `None` turns the warning off (the default).
/// Process-wide; may be called at any time.
///
/// ```
/// use std::time::Duration;
/// easy_cache_core::observe::set_slow_threshold(Some(Duration::from_millis(250)));
/// assert_eq!(easy_cache_core::observe::slow_threshold(), Some(Duration::from_millis(250)));
/// easy_cache_core::observe::set_slow_threshold(None);
/// ```
pub fn set_slow_threshold(threshold: Option<Duration>) {
    let nanos = threshold.map_or(0, |t| {
        u64::try_from(t.as_nanos()).unwrap_or(u64::MAX).max(1)
    });
    THRESHOLD_NANOS.store(nanos, Ordering::Relaxed);
}

/// The threshold set by [`set_slow_threshold`] (`None`: off).
pub fn slow_threshold() -> Option<Duration> {
    match THRESHOLD_NANOS.load(Ordering::Relaxed) {
        0 => None,
        nanos => Some(Duration::from_nanos(nanos)),
    }
}

/// Whether the warning is on: the cheap check made before reading any clock for it.
#[inline]
pub(crate) fn on() -> bool {
    THRESHOLD_NANOS.load(Ordering::Relaxed) != 0
}

/// Logs the warning when `elapsed` is past the threshold.
pub(crate) fn check(function: &str, cache: &str, op: &str, elapsed: Duration) {
    if let Some(threshold) = slow_threshold().filter(|t| elapsed > *t) {
        tracing::warn!(
            target: "easy_cache",
            function,
            cache,
            op,
            elapsed_ms = elapsed.as_secs_f64() * 1e3,
            threshold_ms = threshold.as_secs_f64() * 1e3,
            "slow cache operation"
        );
    }
}

/// Measures a duration: real time, plus the test clock's moves on this thread (feature
/// `test-clock`), so that tests see deterministic durations without sleeping.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Stopwatch {
    started: Instant,
    offset_ms: u64,
}

impl Stopwatch {
    pub(crate) fn start() -> Self {
        Stopwatch {
            started: Instant::now(),
            offset_ms: clock::offset_ms(),
        }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        let moved = clock::offset_ms().saturating_sub(self.offset_ms);
        self.started.elapsed() + Duration::from_millis(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stopwatch_counts_the_test_clock() {
        let watch = Stopwatch::start();
        clock::advance(Duration::from_millis(40));
        let elapsed = watch.elapsed();
        assert!(elapsed >= Duration::from_millis(40), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
}
