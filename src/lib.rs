//! easy-cache: cache async functions and methods, invalidate by key, tag or prefix.

pub use easy_cache_core::*;
pub use easy_cache_registry::{caches, register_backend};
