//! `#[ecached]` on an `impl` block: expands the block's `#[ecached]` methods itself. In a
//! trait impl a method's handle `<name>_cache` cannot stand beside it (it is no member of
//! the trait), so the handles go into an inherent impl of the same type, with the same
//! generics: `Db::get_cache()` for `impl Repo for Db { #[ecached] async fn get(..) }`.

use super::{codegen, options, plan, signature};
use proc_macro2::TokenStream;
use quote::quote;
use syn::{ImplItem, ImplItemFn, ItemFn, ItemImpl};

pub(crate) fn expand(attr: TokenStream, mut block: ItemImpl) -> syn::Result<TokenStream> {
    if !attr.is_empty() {
        return Err(syn::Error::new_spanned(
            attr,
            "#[ecached] on an impl block takes no arguments: give them to each method's #[ecached(...)]",
        ));
    }
    let in_trait_impl = block.trait_.is_some();
    let mut handles = Vec::new();
    let mut errors = Vec::new();
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
        match expand_method(&attr, method, in_trait_impl) {
            Ok((cached, handle)) => {
                *method = cached;
                handles.push(handle);
            }
            // The method stays as written (without the attribute): one error, no cascade.
            Err(error) => errors.push(error.to_compile_error()),
        }
    }
    if !in_trait_impl {
        block
            .items
            .extend(handles.into_iter().map(ImplItem::Verbatim));
        return Ok(quote!(#block #(#errors)*));
    }
    let (impl_generics, _, where_clause) = block.generics.split_for_impl();
    let self_ty = &block.self_ty;
    Ok(quote! {
        #block
        impl #impl_generics #self_ty #where_clause {
            #(#handles)*
        }
        #(#errors)*
    })
}

/// The cached method and its handle.
fn expand_method(
    attr: &syn::Attribute,
    method: &ImplItemFn,
    in_trait_impl: bool,
) -> syn::Result<(ImplItemFn, TokenStream)> {
    let args = match &attr.meta {
        syn::Meta::Path(_) => TokenStream::new(),
        syn::Meta::List(list) => list.tokens.clone(),
        syn::Meta::NameValue(nv) => {
            return Err(syn::Error::new_spanned(
                nv,
                "write #[ecached(...)] or #[ecached], not #[ecached = ...]",
            ));
        }
    };
    let func = ItemFn {
        attrs: method.attrs.clone(),
        vis: method.vis.clone(),
        sig: method.sig.clone(),
        block: Box::new(method.block.clone()),
    };
    let options = options::Options::parse(args)?;
    let sig = signature::Signature::analyze(&func)?;
    let plan = plan::Plan::new(&options, &sig)?;
    let emitter = codegen::Emitter {
        func: &func,
        options: &options,
        sig: &sig,
        plan: &plan,
    };
    let cached: ImplItemFn = syn::parse2(emitter.cached_fn())?;
    // A trait method has the trait's visibility; its handle, in an inherent impl, is public.
    let handle = if in_trait_impl {
        let public = ItemFn {
            vis: syn::parse_quote!(pub),
            ..func.clone()
        };
        codegen::Emitter {
            func: &public,
            ..emitter
        }
        .handle_fn()
    } else {
        emitter.handle_fn()
    };
    Ok((cached, handle))
}
