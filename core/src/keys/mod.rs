//! Storage keys: building them from parts, and the version keys of tags and prefixes.

pub(crate) mod key;
pub(crate) mod pooled;
pub(crate) mod versions;
