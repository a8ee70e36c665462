//! Hits reach the `metrics` recorder from the function's own counters, not one increment
//! per hit: a hit then costs the same with the feature as without it (one add to the
//! calling thread's stripe). A thread publishes what was counted since the last time every
//! [`PUBLISH_INTERVAL`]; [`publish_metrics`] does it at once (before a one-shot scrape, at
//! shutdown). Exporters are scraped every several seconds, so a second of lag is invisible.

use super::counters::Counters;
use super::handles::Handles;
use std::sync::{Mutex, MutexGuard, Once, PoisonError};
use std::time::Duration;

/// How often hits counted since the last publication are added to the recorder's series.
pub const PUBLISH_INTERVAL: Duration = Duration::from_secs(1);

/// One function state's hit counters and what of them the recorder has.
struct Published {
    counters: &'static Counters,
    handles: &'static Handles,
    /// Hits answered elsewhere than the near cache, and by it, already added.
    sent: (u64, u64),
}

static PUBLISHED: Mutex<Vec<Published>> = Mutex::new(Vec::new());
static PUBLISHER: Once = Once::new();

fn published() -> MutexGuard<'static, Vec<Published>> {
    PUBLISHED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Publishes the hits of `counters` through `handles` from now on (once per function state).
pub(crate) fn register(counters: &'static Counters, handles: &'static Handles) {
    published().push(Published {
        counters,
        handles,
        sent: (0, 0),
    });
    PUBLISHER.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("easy-cache-metrics".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(PUBLISH_INTERVAL);
                    publish_metrics();
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(
                target: "easy_cache",
                "cannot start the thread publishing hit counts ({e}); they reach the \
                 `metrics` recorder only through `observe::publish_metrics`"
            );
        }
    });
}

/// Adds the hits counted since the last publication to `easy_cache_calls_total`
/// (`outcome="hit"` and `"near_hit"`) now. A thread does it every [`PUBLISH_INTERVAL`];
/// call this before reading the recorder right after the calls (a one-shot scrape, a test,
/// shutdown). Every other series is recorded as it happens.
///
/// ```
/// easy_cache_core::observe::publish_metrics();
/// ```
pub fn publish_metrics() {
    for entry in published().iter_mut() {
        let (hits, near_hits) = entry.counters.hits();
        entry.handles.hits(
            hits.wrapping_sub(entry.sent.0),
            near_hits.wrapping_sub(entry.sent.1),
        );
        entry.sent = (hits, near_hits);
    }
}
