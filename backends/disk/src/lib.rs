//! What the on-disk backends of easy-cache (sled, redb) share: the [`record`] format (an
//! expiry header before the value), the background [`Purger`] thread, [`LazyOpen`], which
//! opens a store on first use and logs an outage once, and the [`location`] of a database.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod lazy;
pub mod location;
mod purge;
pub mod record;

pub use lazy::LazyOpen;
pub use purge::Purger;
