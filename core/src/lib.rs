//! The engine behind easy-cache.
//!
//! Most users depend on the `easy-cache` facade instead. This crate holds what a backend
//! implements ([`CacheInstance`]), the handle of a decorated function ([`CacheHandle`]),
//! invalidation ([`Invalidator`]), keys ([`KeyPart`], [`create_cache_key!`]), codecs and
//! errors; [`testing`] holds test doubles. What the `#[ecached]` macro expands to lives in
//! a hidden module.
//!
//! How tags work: every tag and prefix has a version key holding a random token.
//! Invalidating a tag deletes its token (one write). A stored entry carries the tokens
//! its tags had *before* the function ran; a read fetches the entry and the current tokens
//! in one `get_many` and treats any difference as a miss.

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod alias_lookup;
mod backend;
mod codec;
mod engine;
mod error;
mod handle;
mod keys;
mod meta;
pub mod observe;
mod option_fns;
mod policy;
mod visitor_forward;

#[doc(hidden)]
pub mod __private;
pub mod testing;
/// The cache's clock, as tests move it (feature `test-clock`).
#[cfg(any(test, feature = "test-clock"))]
pub mod test_clock {
    pub use crate::engine::clock::advance;
}

// What a decorated function's options name.
#[cfg(feature = "bincode")]
pub use codec::Bincode;
pub use codec::Codec;
#[cfg(any(feature = "bincode", feature = "json"))]
pub use codec::DefaultCodec;
#[cfg(feature = "json")]
pub use codec::Json;
pub use engine::resilience::{
    DEFAULT_FAIL_SAFE_THROTTLE, Jitter, RefreshAhead, Resilience, ResilienceOption,
};
pub use engine::wait::DEFAULT_SINGLE_FLIGHT_WAIT;
pub use meta::Meta;

// Keys and invalidation.
pub use handle::CacheHandle;
/// The handle of a cached sync function and invalidation from sync code: the verbs of
/// [`CacheHandle`] and [`Invalidator`] under the same names, returning when done.
pub mod blocking {
    pub use crate::handle::blocking::{CacheHandle, Invalidator};
}
pub use handle::invalidator::{IntoTags, Invalidator};
pub use keys::key::{KEY_SEPARATOR, KeyPart, write_escaped, write_hashed};
pub use keys::versions::{
    PREFIX_VERSION_PREFIX, TAG_VERSION_PREFIX, prefix_version_key, tag_version_key,
};

// Backends.
pub use backend::in_process::InProcess;
pub use backend::redact::{is_secret, redact_url, shown_from_url, shown_in_error};
pub use backend::resilient::{RESILIENCE_OPTIONS, ResilientInstance};
pub use backend::timeout::Timeout;
pub use backend::url::{
    BackendUrl, Options, Userinfo, optional_seconds, percent_encode, split_host_port, whole_millis,
};
pub use backend::{CacheInstance, Write, WriteMode};
pub use engine::near::front::NearFront;
pub use engine::near::{NearCache, NearConfig};

// Errors.
pub use error::{Error, ErrorKind, Result};

pub use async_trait::async_trait;
pub use bytes::Bytes;
