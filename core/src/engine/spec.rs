//! What one call of a cached function is about, as the generated code computed it
//! before running the function: the type both the call (`call.rs`) and the read
//! (`read.rs`) use.

use crate::backend::timeout::Timeout;
use crate::engine::near::local::LocalKey;

/// What the generated code computed for one call before running the function.
#[derive(Debug, Clone, Copy)]
pub struct CallSpec<'a> {
    /// The full storage key (prefix included).
    pub key: &'a str,
    /// Version keys of the tags known from the arguments, and of the prefix.
    pub versions: &'a [&'a str],
    /// How long the value lives.
    pub timeout: Timeout,
    /// The macro's stamp of the cached type (a hash of the return type it saw, the codec
    /// and `version = N`).
    pub stamp: u64,
    /// What identifies the call for the thread's copies, when it may take one (from
    /// `LocalLookup::Miss`).
    pub local: Option<&'a LocalKey>,
}

/// Value tags: tags computed from the returned value (a `Meta` tags function), after
/// the call.
pub type ValueTags<'a, T> = &'a (dyn Fn(&T) -> Vec<String> + Send + Sync);
