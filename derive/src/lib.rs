//! Procedural macros of easy-cache. Use them through the `easy-cache` crate.

#![forbid(unsafe_code)]

mod derive_ecached;
mod ecached;

use proc_macro::TokenStream;

/// Caches an async function's or method's result. See the `easy-cache` crate docs.
#[proc_macro_attribute]
pub fn ecached(attr: TokenStream, item: TokenStream) -> TokenStream {
    ecached::expand(attr.into(), item.into()).into()
}

/// Cached properties and key identity for a struct. See the `easy-cache` crate docs.
#[proc_macro_derive(ECached, attributes(ecached))]
pub fn derive_ecached(input: TokenStream) -> TokenStream {
    derive_ecached::expand(input.into()).into()
}
