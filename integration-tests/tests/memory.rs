//! The behaviour suite against the in-memory backend (`memory://`): needs no server, so it
//! also checks the suite itself on every run. Each cache opened from `memory://` is a store
//! of its own, so the `key_prefix` topic, which looks at one store through two caches, does
//! not apply.

use easy_cache_integration_tests::{behaviour_suite, suite::Backend};
// Linked for its `memory://` registration.
use easy_cache_memory as _;

behaviour_suite!(unbounded = Backend::new("memory://").in_process(), near);
// Bounded by bytes: room for the suite's 512 KB value and a few hundred keys.
behaviour_suite!(
    bounded = Backend::new("memory://?max_bytes=67108864").in_process(),
    near
);
