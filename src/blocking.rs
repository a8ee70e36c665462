//! Sync functions' handles and invalidation from sync code: the verbs of
//! [`CacheHandle`](crate::CacheHandle) and [`Invalidator`](crate::Invalidator) under the
//! same names, returning when done. `#[ecached]` on a plain `fn` gives it a
//! [`blocking::CacheHandle`](CacheHandle); any invalidator turns sync with
//! [`Invalidator::blocking`](crate::Invalidator::blocking). They work with no runtime,
//! inside a current-thread runtime and on a runtime's worker.
//!
//! ```
//! use easy_cache::{blocking, ecached};
//!
//! #[ecached("user:{id}", 600, tags = ["users"])]
//! fn load_user(id: u64) -> String {
//!     format!("user #{id}")
//! }
//!
//! # fn main() -> easy_cache::Result<()> {
//! assert_eq!(load_user(7), "user #7");
//! load_user_cache().invalidate_cache_by_key(&7)?;
//! blocking::invalidate_cache_tags("users")?;
//! easy_cache::using_alias("default").blocking().invalidate_prefix("shop:1")?;
//! # Ok(()) }
//! ```

use easy_cache_core::{IntoTags, Result};
use easy_cache_registry::{DEFAULT_ALIAS, using_alias};

pub use easy_cache_core::blocking::{CacheHandle, Invalidator};

/// Removes the entry stored under a full key on the `default` cache (the seed's
/// `invalidate_cache_key`); returns whether one was there.
pub fn invalidate_cache_key(key: &str) -> Result<bool> {
    using_alias(DEFAULT_ALIAS).blocking().invalidate_key(key)
}

/// Invalidates every entry stored under any of `tags` on the `default` cache (the seed's
/// `invalidate_cache_tags`): one delete.
pub fn invalidate_cache_tags(tags: impl IntoTags) -> Result<()> {
    using_alias(DEFAULT_ALIAS).blocking().invalidate_tags(tags)
}

/// Invalidates every entry stored under `prefix` on the `default` cache (the seed's
/// `invalidate_cache_prefix`): one delete.
pub fn invalidate_cache_prefix(prefix: &str) -> Result<()> {
    using_alias(DEFAULT_ALIAS)
        .blocking()
        .invalidate_prefix(prefix)
}
