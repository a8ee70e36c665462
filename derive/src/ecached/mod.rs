//! `#[ecached]`: parse the arguments and the function, plan, emit.

mod codegen;
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
    let options = options::Options::parse(attr)?;
    let func: syn::ItemFn = syn::parse2(item)?;
    let sig = signature::Signature::analyze(&func)?;
    let plan = plan::Plan::new(&options, &sig)?;
    Ok(codegen::Emitter {
        func: &func,
        options: &options,
        sig: &sig,
        plan: &plan,
    }
    .emit())
}
