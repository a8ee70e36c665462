//! Observability: is the cache working? Per-function counters read with
//! [`CacheHandle::stats`](crate::CacheHandle::stats) (always on, no exporter needed),
//! counters and histograms through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`: plug a Prometheus or OpenTelemetry exporter), a `tracing` span per call at
//! debug level, and a warning for operations slower than a threshold
//! ([`set_slow_threshold`]).
//!
//! Labels are bounded: the function, the cache alias and the backend, never keys or tags.
//! The series are listed in [`series`] and in the guide (`08-observability.md`).

mod backend_op;
pub(crate) mod counters;
#[cfg(feature = "metrics")]
pub(crate) mod handles;
pub(crate) mod labels;
mod listing;
mod outcome;
#[cfg(feature = "metrics")]
pub(crate) mod publish;
pub mod series;
pub(crate) mod slow;
mod stats;

pub(crate) use self::backend_op::BackendOp;
pub use self::listing::cache_stats;
pub(crate) use self::listing::{function_stats, list as stats_list};
pub(crate) use self::outcome::Outcome;
#[cfg(feature = "metrics")]
pub use self::publish::{PUBLISH_INTERVAL, publish_metrics};
pub use self::slow::{set_slow_threshold, slow_threshold};
pub use self::stats::Stats;
