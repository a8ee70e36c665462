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

/// How far the coarse clock may lag the precise one: a kernel tick is 10 ms at most
/// (HZ=100); the rest is margin.
const COARSE_LAG_MS: u64 = 50;

/// Now, as [`now_ms`], for comparing with `deadline` (the nearest time an entry changes
/// state): read from the kernel's coarse clock (a few nanoseconds, against 20 to 30 for the
/// precise one on a virtual machine) while `deadline` is further than the coarse clock can
/// lag, from the precise one near it. Every comparison with `deadline`, or with a later
/// time, comes out as with [`now_ms`]: a near-cache hit reads the cheap clock.
#[inline]
pub(crate) fn now_ms_before(deadline: u64) -> u64 {
    let coarse = coarse_now_ms();
    if coarse.saturating_add(COARSE_LAG_MS) < deadline {
        coarse
    } else {
        now_ms()
    }
}

/// The kernel's coarse clock in the engine's milliseconds (never ahead of [`now_ms`]).
#[inline]
fn coarse_now_ms() -> u64 {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::RealtimeCoarse);
        let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
        let millis = u64::try_from(now.tv_nsec).unwrap_or(0) / 1_000_000;
        seconds
            .saturating_mul(1000)
            .saturating_add(millis)
            .saturating_add(offset_ms())
            .max(1)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    {
        now_ms()
    }
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
        let coarse = coarse_now_ms();
        // It lags the precise clock by up to a tick.
        assert!(
            coarse + 1000 >= before + 3_600_000,
            "the coarse clock is advanced too"
        );
    }

    #[test]
    fn the_coarse_clock_is_never_ahead_and_at_most_a_few_ticks_behind() {
        for _ in 0..1000 {
            let coarse = coarse_now_ms();
            let precise = now_ms();
            assert!(coarse <= precise, "{coarse} > {precise}");
            // A tick is at most 10 ms (HZ=100); a preempted thread may lose more: bound
            // loosely, the point being the same epoch and unit.
            assert!(precise - coarse < 1000, "{coarse} vs {precise}");
        }
    }

    #[test]
    fn near_a_deadline_the_precise_clock_is_read() {
        let precise = now_ms();
        // Just past, or just ahead: precise, so the comparison is exact.
        assert!(now_ms_before(precise - 1) >= precise);
        assert!(now_ms_before(precise + 5) >= precise);
        // Far ahead: either clock, both before the deadline.
        assert!(now_ms_before(precise + 3_600_000) < precise + 3_600_000);
    }
}
