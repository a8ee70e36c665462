//! Warnings that a failing backend would otherwise print on every call.

use std::fmt::Arguments;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// At most one warning per this many seconds per function; the rest are counted.
const WARN_INTERVAL_SECS: u64 = 10;

/// A warning gate: one `tracing::warn!` per interval, with the count of suppressed ones.
pub(crate) struct RateLimitedWarn {
    last_secs: AtomicU64,
    suppressed: AtomicU64,
}

impl RateLimitedWarn {
    pub(crate) const fn new() -> Self {
        RateLimitedWarn {
            last_secs: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    pub(crate) fn warn(&self, function: &str, message: Arguments<'_>) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let last = self.last_secs.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= WARN_INTERVAL_SECS
            && self
                .last_secs
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let suppressed = self.suppressed.swap(0, Ordering::Relaxed);
            tracing::warn!(target: "easy_cache", function, suppressed, "{message}");
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(target: "easy_cache", function, "{message}");
        }
    }

    /// How many warnings were turned into debug events since the last warning.
    #[cfg(test)]
    pub(crate) fn suppressed(&self) -> u64 {
        self.suppressed.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_of_a_burst_is_a_warning() {
        let gate = RateLimitedWarn::new();
        for _ in 0..100 {
            gate.warn("f", format_args!("backend down"));
        }
        assert_eq!(gate.suppressed(), 99);
    }
}
