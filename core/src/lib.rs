//! The engine behind easy-cache.
//!
//! Most users depend on the `easy-cache` facade instead. This crate holds what a backend
//! implements ([`CacheInstance`]), what the `#[ecached]` macro expands to ([`FnCache`],
//! [`CacheHandle`]), keys ([`KeyPart`], [`create_cache_key!`]), codecs and errors.
//!
//! How tags work: every tag and prefix has a version key holding a random token.
//! Invalidating a tag writes a new token (one write). A stored entry carries the tokens
//! its tags had *before* the function ran; a read fetches the entry and the current tokens
//! in one `get_many` and treats any difference as a miss.

#![forbid(unsafe_code)]

mod codec;
mod engine;
mod envelope;
mod error;
mod handle;
mod instance;
mod invalidate;
mod key;
mod layout;
mod lookup;
mod meta;
mod policy;
mod redact;
mod source;
mod timeout;
mod url;
mod versions;
mod visitor_forward;

#[cfg(feature = "bincode")]
pub use codec::Bincode;
pub use codec::Codec;
#[cfg(any(feature = "bincode", feature = "json"))]
pub use codec::DefaultCodec;
#[cfg(feature = "json")]
pub use codec::Json;
pub use engine::{
    CacheTarget, CallSpec, DEFAULT_SINGLE_FLIGHT_WAIT, FnCache, IntoInstance, shared_instance,
};
pub use error::{Error, ErrorKind, Result};
pub use handle::{
    Args0, Args1, Args2, Args3, Args4, Args5, Args6, Args7, Args8, Args9, Args10, Args11, Args12,
    CacheHandle, NoPrefix, NoTags,
};
pub use instance::{CacheInstance, WriteOp};
pub use invalidate::{IntoTags, invalidate_key_on, invalidate_prefix_on, invalidate_tags_on};
pub use key::{KEY_SEPARATOR, KeyPart, write_escaped, write_hashed};
pub use lookup::InstanceLookup;
pub use meta::{Meta, MetaArg};
pub use policy::{OkOnly, Plain, ReturnPolicy, SomeOnly};
pub use redact::{is_secret, redact_url, shown_from_url, shown_in_error};
pub use timeout::{IntoTimeout, Timeout};
pub use url::{
    BackendUrl, Options, Userinfo, optional_seconds, percent_encode, split_host_port, whole_millis,
};
pub use versions::{
    PREFIX_VERSION_PREFIX, TAG_VERSION_PREFIX, prefix_version_key, tag_version_key,
};

pub use async_trait::async_trait;
pub use bytes::Bytes;

/// What generated code uses; not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::engine::call::DynamicTags;
    pub use crate::key::{KeyDisplay, KeyWriter, ViaDisplay, ViaKeyPart};
    pub use crate::source::{
        AfterCall, Source, ViaArgs, ViaMeta, ViaValue, produce_key, produce_tags,
        produce_tags_after, produce_timeout,
    };
    pub use serde;
    pub use std::any::Any;
    pub use std::borrow::Cow;
}
