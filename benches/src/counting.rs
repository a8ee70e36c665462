//! The backend calls the engine makes, counted by core's [`CountingCache`] in front of a
//! real backend: each call of a network backend's method is one round trip (`get_many` is
//! one `MGET`, `write_batch` one pipeline), so the counts are the client's side of a
//! round-trip count; the server's side comes from its own statistics.

pub use easy_cache::testing::{CountingCache, Counts, Snapshot};
