//! `#[ecached]` on an `impl` block: expands the block's `#[ecached]` methods itself. In a
//! trait impl a method's handle `<name>_cache` cannot stand beside it (it is no member of
//! the trait), so the handles go into an inherent impl of the same type, with the same
//! generics: `Db::get_cache()` for `impl Repo for Db { #[ecached] async fn get(..) }`.

use super::{emit, options, plan, signature};
use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::quote;
use syn::{ImplItem, ImplItemFn, ItemFn, ItemImpl};

pub(crate) fn expand(attr: TokenStream, mut block: ItemImpl, errors: &Errors) -> TokenStream {
    if !attr.is_empty() {
        errors.spanned(
            attr,
            "#[ecached] on an impl block takes no arguments: give them to each method's #[ecached(...)]",
        );
    }
    let in_trait_impl = block.trait_.is_some();
    let mut handles = Vec::new();
    for item in &mut block.items {
        let ImplItem::Fn(method) = item else { continue };
        let Some(at) = method
            .attrs
            .iter()
            .position(|a| a.path().is_ident("ecached"))
        else {
            continue;
        };
        let attr = method.attrs.remove(at);
        let method_errors = Errors::new();
        let (cached, handle) = expand_method(&attr, method, in_trait_impl, &method_errors);
        // On an error the method stays as written (without the attribute), beside a
        // stand-in handle: one error, no cascade.
        if let Some(cached) = cached.filter(|_| method_errors.is_empty()) {
            *method = cached;
        }
        handles.extend(handle);
        errors.append(method_errors);
    }
    if !in_trait_impl {
        block
            .items
            .extend(handles.into_iter().map(ImplItem::Verbatim));
        return quote!(#block);
    }
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    let self_ty = &block.self_ty;
    quote! {
        #block
        impl #impl_generics #self_ty #where_clause {
            #(#handles)*
        }
    }
}

/// The cached method and its handle; on an error (pushed to `errors`), no method and a
/// stand-in handle.
fn expand_method(
    attr: &syn::Attribute,
    method: &ImplItemFn,
    in_trait_impl: bool,
    errors: &Errors,
) -> (Option<ImplItemFn>, Option<TokenStream>) {
    let args = match &attr.meta {
        syn::Meta::Path(_) => TokenStream::new(),
        syn::Meta::List(list) => list.tokens.clone(),
        syn::Meta::NameValue(nv) => {
            errors.spanned(
                nv,
                "write #[ecached(...)] or #[ecached], not #[ecached = ...]",
            );
            TokenStream::new()
        }
    };
    let func = ItemFn {
        attrs: method.attrs.clone(),
        vis: method.vis.clone(),
        sig: method.sig.clone(),
        block: Box::new(method.block.clone()),
    };
    let options = options::Options::parse(args, errors);
    let sig = signature::Signature::analyze(&func, errors);
    let plan = plan::Plan::new(&options, &sig, errors);
    // A trait method has the trait's visibility; its handle, in an inherent impl, is public.
    let public = ItemFn {
        vis: syn::parse_quote!(pub),
        ..func.clone()
    };
    let emitter = emit::Emitter::new(&func, &options, &sig, &plan).in_impl();
    let handle_emitter = emit::Emitter::new(
        if in_trait_impl { &public } else { &func },
        &options,
        &sig,
        &plan,
    )
    .in_impl();
    if !errors.is_empty() {
        return (None, handle_emitter.dummy_handle_fn());
    }
    let cached = errors.ok(syn::parse2::<ImplItemFn>(emitter.cached_fn()));
    (cached, Some(handle_emitter.handle_fn()))
}
