//! How a soak run goes ([`Config`]) and what it loads ([`Target`]).

use crate::functions::Backend;
use easy_cache_integration_tests::servers::ServerHandle;
use std::time::Duration;

/// The interval between two report lines, for runs long enough.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// The longest outage of the midway restart.
pub const MAX_OUTAGE: Duration = Duration::from_secs(5);

/// How a run goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// How long the load runs.
    pub duration: Duration,
    /// The interval between two report lines.
    pub interval: Duration,
    /// Reader tasks per backend.
    pub readers: usize,
    /// How long the servers stay down in the midway restart.
    pub outage: Duration,
}

impl Config {
    /// A run of `duration`: a report every 10 s (at least four reports in shorter runs), 4
    /// readers per backend, an outage of a tenth of the run (1 to 5 s).
    pub fn new(duration: Duration) -> Self {
        Config {
            duration,
            interval: DEFAULT_INTERVAL
                .min(duration / 4)
                .max(Duration::from_millis(100)),
            readers: 4,
            outage: (duration / 10).clamp(Duration::from_secs(1), MAX_OUTAGE),
        }
    }
}

/// A backend to load.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// Which function and database.
    pub backend: Backend,
    /// The cache URL (short `timeout_ms` options keep an outage cheap).
    pub url: String,
    /// Where it runs, for the report.
    pub description: String,
    /// The server to stop and start halfway; None for no restart (shared servers).
    pub restart: Option<&'a ServerHandle>,
}

/// `url` with `timeout_ms` and `connect_timeout_ms` set to `ms`.
pub fn with_timeouts(url: &str, ms: u64) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}timeout_ms={ms}&connect_timeout_ms={ms}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_runs_get_shorter_intervals_and_outages() {
        let long = Config::new(Duration::from_secs(600));
        assert_eq!(long.interval, DEFAULT_INTERVAL);
        assert_eq!(long.outage, MAX_OUTAGE);
        let smoke = Config::new(Duration::from_secs(30));
        assert_eq!(smoke.interval, Duration::from_millis(7500));
        assert_eq!(smoke.outage, Duration::from_secs(3));
        let tiny = Config::new(Duration::from_secs(5));
        assert_eq!(tiny.outage, Duration::from_secs(1));
    }

    #[test]
    fn timeouts_join_the_query() {
        assert_eq!(
            with_timeouts("redis://h:1", 50),
            "redis://h:1?timeout_ms=50&connect_timeout_ms=50"
        );
        assert_eq!(
            with_timeouts("memcache://a:1,b:2?pool_size=2", 50),
            "memcache://a:1,b:2?pool_size=2&timeout_ms=50&connect_timeout_ms=50"
        );
    }
}
