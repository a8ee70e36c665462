//! `#[ecached]`: parse the arguments and the function (or the methods of an `impl`
//! block), plan, emit.

mod codegen;
mod impl_block;
mod options;
mod plan;
mod signature;
mod template;

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    match try_expand(attr, item.clone()) {
        Ok(tokens) => tokens,
        // Keep the user's item so one mistake does not cascade into "not found" errors.
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#item #error)
        }
    }
}

fn try_expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    match syn::parse2::<syn::Item>(item)? {
        syn::Item::Fn(func) => expand_fn(attr, &func),
        syn::Item::Impl(block) => impl_block::expand(attr, block),
        other => Err(syn::Error::new_spanned(
            other,
            "#[ecached] goes on an `async fn`, a method, or an `impl` block whose methods carry #[ecached]",
        )),
    }
}

/// The cached function followed by its handle `<name>_cache`.
fn expand_fn(attr: TokenStream, func: &syn::ItemFn) -> syn::Result<TokenStream> {
    let options = options::Options::parse(attr)?;
    let sig = signature::Signature::analyze(func)?;
    let plan = plan::Plan::new(&options, &sig)?;
    Ok(codegen::Emitter {
        func,
        options: &options,
        sig: &sig,
        plan: &plan,
    }
    .emit())
}
