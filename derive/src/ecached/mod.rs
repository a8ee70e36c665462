//! `#[ecached]`: parse the arguments and the function (or the methods of an `impl`
//! block), plan, emit.

mod duration;
mod emit;
mod impl_block;
mod options;
mod plan;
mod resilience;
mod signature;
mod template;

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let errors = Errors::new();
    let expanded = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(func)) => expand_fn(attr, &func, &errors),
        Ok(syn::Item::Impl(block)) => impl_block::expand(attr, block, &errors),
        Ok(other) => {
            errors.spanned(
                other,
                "#[ecached] goes on a function (`fn` or `async fn`), a method, or an `impl` block whose methods carry #[ecached]",
            );
            item
        }
        Err(error) => {
            errors.push(error);
            item
        }
    };
    let errors = errors.finish();
    quote!(#expanded #errors)
}

/// The cached function followed by its handle `<name>_cache`. On an error, the function as
/// written and a stand-in handle, so one mistake does not cascade into "not found" errors.
fn expand_fn(attr: TokenStream, func: &syn::ItemFn, errors: &Errors) -> TokenStream {
    let options = options::Options::parse(attr, errors);
    let sig = signature::Signature::analyze(func, errors);
    let plan = plan::Plan::new(&options, &sig, errors);
    let emitter = emit::Emitter::new(func, &options, &sig, &plan);
    if errors.is_empty() {
        emitter.emit()
    } else {
        let dummy = emitter.dummy_handle_fn();
        quote!(#func #dummy)
    }
}
