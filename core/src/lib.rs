//! The engine behind easy-cache.
//!
//! Most users depend on the `easy-cache` facade instead. This crate holds what the
//! `#[ecached]` macro expands to, and what a backend implements: [`CacheInstance`].

#![forbid(unsafe_code)]

mod error;
mod instance;
mod lookup;
mod redact;
mod timeout;

pub use error::{Error, ErrorKind, Result};
pub use instance::{CacheInstance, WriteOp};
pub use lookup::InstanceLookup;
pub use redact::redact_url;
pub use timeout::{IntoTimeout, Timeout};

pub use async_trait::async_trait;
pub use bytes::Bytes;
