//! The process's resident memory over time, and whether it grew once the working set was
//! warm.

use std::time::Duration;

/// Growth allowed between the warm sample and the end, as a share of the warm size...
pub const TOLERANCE_PERCENT: u64 = 10;
/// ...but at least this much (KiB): allocator arenas and connection buffers settle in steps
/// of a few MiB, which is noise, not a leak.
pub const TOLERANCE_FLOOR_KIB: u64 = 4 * 1024;

/// One reading of the resident set size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Time since the start of the run.
    pub at: Duration,
    /// `VmRSS` in KiB.
    pub rss_kib: u64,
}

/// The verdict on memory growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Growth {
    /// The first sample at or after the warm-up.
    pub warm: Sample,
    /// The last sample.
    pub end: Sample,
    /// How much growth is tolerated (KiB).
    pub allowed_kib: u64,
}

impl Growth {
    /// True when the end is more than the tolerance above the warm sample.
    pub fn grew(&self) -> bool {
        self.end.rss_kib > self.warm.rss_kib + self.allowed_kib
    }

    /// End minus warm, in KiB (negative when memory shrank).
    pub fn delta_kib(&self) -> i64 {
        self.end.rss_kib as i64 - self.warm.rss_kib as i64
    }
}

/// `VmRSS` of this process in KiB, from `/proc/self/status`; None where there is no procfs.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_rss(&status)
}

fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Compares the first sample at or after `warm_at` with the last one; None when there is no
/// sample after the warm-up other than the last (nothing to compare).
pub fn growth(samples: &[Sample], warm_at: Duration) -> Option<Growth> {
    let end = *samples.last()?;
    let warm = *samples.iter().find(|s| s.at >= warm_at)?;
    if warm.at >= end.at {
        return None;
    }
    let allowed_kib = (warm.rss_kib * TOLERANCE_PERCENT / 100).max(TOLERANCE_FLOOR_KIB);
    Some(Growth {
        warm,
        end,
        allowed_kib,
    })
}

/// KiB as MiB with one decimal.
pub fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(secs: u64, mib: u64) -> Sample {
        Sample {
            at: Duration::from_secs(secs),
            rss_kib: mib * 1024,
        }
    }

    #[test]
    fn reads_this_process() {
        let status = "Name:\tsoak\nVmPeak:\t  9000 kB\nVmRSS:\t   23456 kB\n";
        assert_eq!(parse_rss(status), Some(23456));
        assert_eq!(parse_rss("Name:\tsoak\n"), None);
        if std::path::Path::new("/proc/self/status").exists() {
            assert!(rss_kib().is_some_and(|kib| kib > 0));
        }
    }

    #[test]
    fn growth_beyond_the_tolerance_is_flagged() {
        let steady = [
            sample(0, 10),
            sample(10, 60),
            sample(20, 62),
            sample(30, 63),
        ];
        let verdict = growth(&steady, Duration::from_secs(10)).unwrap();
        assert_eq!(verdict.warm.rss_kib, 60 * 1024);
        assert_eq!(verdict.allowed_kib, 6 * 1024, "10 % of 60 MiB");
        assert!(!verdict.grew(), "growth during warm-up does not count");
        let leaking = [sample(10, 60), sample(20, 64), sample(30, 67)];
        assert!(growth(&leaking, Duration::from_secs(10)).unwrap().grew());
        let small = [sample(10, 20), sample(30, 23)];
        let verdict = growth(&small, Duration::from_secs(10)).unwrap();
        assert_eq!(verdict.allowed_kib, TOLERANCE_FLOOR_KIB);
        assert!(!verdict.grew());
        assert_eq!(growth(&[sample(30, 1)], Duration::from_secs(10)), None);
    }
}
