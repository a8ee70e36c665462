//! The memcached backend of easy-cache: memcached's ASCII protocol over tokio sockets.
//!
//! URLs: `memcache://host:port`, several servers `memcache://h1:11211,h2:11211`, options
//! after `?`: `timeout_ms` (250), `connect_timeout_ms` (250), `pool_size` (4 per server),
//! `default_timeout` (seconds; none = never expire) and `key_prefix`. `memcached://` is an
//! alias scheme, and `user:password@` enables memcached's ASCII authentication.
//!
//! - Keys are spread over the servers by consistent hashing (160 points per server), so
//!   adding a server moves only about 1/N of the keys.
//! - Keys memcached cannot hold (over 250 bytes with the prefix, spaces, control or
//!   non-ASCII characters, empty) are stored under `prefix + "h:" + sha256 hex`; no key can
//!   reach the protocol line.
//! - Values over the server's item size (1 MB by default) fail with
//!   [`ErrorKind::Unsupported`](easy_cache_core::ErrorKind::Unsupported).
//! - `get_many` sends one `get` per server; writes of a batch are pipelined, one round trip
//!   per server. `add` is memcached's atomic `add`.
//! - Lifetimes are whole seconds on the server's clock: a value set for `n` seconds lives
//!   between `n - 1` and `n` seconds.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod backend;
mod config;
mod keys;
mod pool;
mod proto;
mod ring;

pub use backend::MemcachedCache;
pub use config::{
    DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_POOL_SIZE, DEFAULT_PORT, DEFAULT_TIMEOUT_MS, MAX_POOL_SIZE,
    MemcachedConfig,
};
pub use keys::{MAX_KEY_LEN, MAX_PREFIX_LEN};
pub use ring::POINTS_PER_SERVER;

use easy_cache_core::{BackendUrl, CacheInstance, NearFront, Result};
use std::sync::Arc;

/// The URL scheme of this backend.
///
/// ```
/// use easy_cache_memcached::{MemcachedConfig, SCHEME};
/// let config = MemcachedConfig::from_url(&format!("{SCHEME}://10.0.0.1:11211")).unwrap();
/// assert!(config.display_url().starts_with("memcache://"));
/// ```
pub const SCHEME: &str = "memcache";
/// An alias of [`SCHEME`].
///
/// ```
/// use easy_cache_memcached::{ALIAS_SCHEME, MemcachedConfig};
/// assert_eq!(
///     MemcachedConfig::from_url(&format!("{ALIAS_SCHEME}://10.0.0.1:11211")).unwrap(),
///     MemcachedConfig::from_url("memcache://10.0.0.1:11211").unwrap(),
/// );
/// ```
pub const ALIAS_SCHEME: &str = "memcached";

/// A near cache in front when the URL asks for one (`near_capacity`, `near_ttl`).
fn from_url(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    NearFront::from_url(url, |url| {
        MemcachedCache::new(MemcachedConfig::from_backend_url(url)?)
    })
}

easy_cache_registry::register_backend!(SCHEME, from_url);
easy_cache_registry::register_backend!(ALIAS_SCHEME, from_url);
