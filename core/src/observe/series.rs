//! The names of the series recorded with the `metrics` feature. Every series has the
//! labels `function` (the decorated function's path), `cache` (its alias, or `instance`
//! for `cache_instance = ...`) and `backend` (the scheme of the store: `memory`, `redis`,
//! ...); some add one more, named below.

/// Counter: calls, by `outcome`: `hit`, `near_hit` (a hit answered by the near cache),
/// `miss`, `stale`, `error`, `bypass`. One counter per hit, whichever answered it: the
/// hit ratio is `(hit + near_hit) / all`. Hits are added every
/// second (`PUBLISH_INTERVAL`, or at once by `publish_metrics`), the other outcomes as
/// they happen.
pub const CALLS: &str = "easy_cache_calls_total";
/// Counter: computations run (a miss, a refresh ahead of expiry, a retry).
pub const COMPUTATIONS: &str = "easy_cache_computations_total";
/// Counter: calls that waited for another call computing the same key (single flight).
pub const SINGLE_FLIGHT_WAITS: &str = "easy_cache_single_flight_waits_total";
/// Counter: invalidations, by `kind` (`key`, `tags`, `prefix`). `function` is empty
/// for invalidations that do not go through a function's handle.
pub const INVALIDATIONS: &str = "easy_cache_invalidations_total";
/// Histogram: seconds a computation took (failed ones included).
pub const COMPUTATION_SECONDS: &str = "easy_cache_computation_seconds";
/// Histogram: seconds a backend operation took, by `op` (`read`, `write`). Operations
/// an in-process store answers within the call's first poll (a memory hit) are not
/// timed: timing would cost more than the hit.
pub const BACKEND_SECONDS: &str = "easy_cache_backend_operation_seconds";
