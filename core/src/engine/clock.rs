//! The engine's clock: milliseconds since the Unix epoch, the unit of the lifetimes stored
//! in entries (read by every process of a fleet, so a wall clock, not an `Instant`).
//!
//! With the `test-clock` feature a test moves its own thread's view of it forward
//! ([`advance`]): logical expiry, fail-safe windows and refresh points then elapse at
//! once, deterministically, while the backends' own expiry (real time) keeps entries
//! physically present.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Now, in milliseconds since the Unix epoch (never 0: 0 marks "no time" in entries).
#[inline]
pub(crate) fn now_ms() -> u64 {
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(1, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        });
    wall.saturating_add(offset_ms()).max(1)
}

/// `now + after`, in the clock's milliseconds, saturating.
pub(crate) fn ms_after(now: u64, after: Duration) -> u64 {
    now.saturating_add(u64::try_from(after.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(any(test, feature = "test-clock"))]
thread_local! {
    static OFFSET_MS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

#[cfg(any(test, feature = "test-clock"))]
#[inline]
pub(crate) fn offset_ms() -> u64 {
    OFFSET_MS.with(std::cell::Cell::get)
}

#[cfg(not(any(test, feature = "test-clock")))]
#[inline(always)]
pub(crate) fn offset_ms() -> u64 {
    0
}

/// Moves the cache's clock forward by `by`, for the calling thread only (feature
/// `test-clock`): entries' logical lifetimes, fail-safe windows and refresh points are read
/// against it. A test on a current-thread runtime (`#[tokio::test]`'s default) or a sync
/// test sees its own clock; tests running beside it are not affected.
///
/// ```
/// # #[cfg(feature = "test-clock")] {
/// easy_cache_core::test_clock::advance(std::time::Duration::from_secs(60));
/// # }
/// ```
#[cfg(any(test, feature = "test-clock"))]
pub fn advance(by: Duration) {
    let by = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
    OFFSET_MS.with(|offset| offset.set(offset.get().saturating_add(by)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_only_this_threads_clock() {
        let before = now_ms();
        advance(Duration::from_secs(3600));
        let after = now_ms();
        assert!(after >= before + 3_600_000, "{before} -> {after}");
        let other = std::thread::spawn(now_ms).join().unwrap();
        assert!(other < before + 3_600_000, "another thread keeps real time");
    }
}
