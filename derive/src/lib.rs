//! Procedural macros of easy-cache. Use them through the `easy-cache` crate.

#![forbid(unsafe_code)]

mod ecached;

use proc_macro::TokenStream;

/// Caches an async function's or method's result. See the `easy-cache` crate docs.
#[proc_macro_attribute]
pub fn ecached(attr: TokenStream, item: TokenStream) -> TokenStream {
    ecached::expand(attr.into(), item.into()).into()
}
