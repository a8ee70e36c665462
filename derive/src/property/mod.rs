//! `#[derive(ECached)]`: cached properties of a struct, and its identity as a key part.
//!
//! ```text
//! #[derive(ECached)]
//! #[ecached(property = friends_count, returns = u64, key = "user_friends_count:{self.id}", timeout = 3600)]
//! struct User { #[ecached(id)] id: u64, name: String }
//! ```
//! generates `impl KeyPart for User` (from the `id` fields) and, per property, an
//! `#[ecached]` async getter `friends_count(&self)` that awaits `Self::compute_friends_count`
//! (or the method named by `compute = ...`), with the handle `User::friends_count_cache()`;
//! with `sync`, a plain getter calling a plain compute method.
//! `#[ecached(crate = "...")]`, in an attribute of its own, roots every emitted path.

mod args;

use crate::errors::Errors;
use crate::paths::Paths;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, Fields};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let errors = Errors::new();
    let expanded = match syn::parse2::<DeriveInput>(input) {
        Ok(input) => expand_struct(&input, &errors),
        Err(error) => {
            errors.push(error);
            TokenStream::new()
        }
    };
    let errors = errors.finish();
    quote!(#expanded #errors)
}

/// The key part impl and the getters; each mistake is pushed to `errors`, and what is
/// right is still emitted, so code using the struct sees no second error.
fn expand_struct(input: &DeriveInput, errors: &Errors) -> TokenStream {
    let Data::Struct(data) = &input.data else {
        errors.spanned(&input.ident, "#[derive(ECached)] is for structs");
        return TokenStream::new();
    };
    let field_names: Vec<String> = match &data.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .filter_map(|f| f.ident.as_ref().map(ToString::to_string))
            .collect(),
        _ => Vec::new(),
    };
    let mut id_fields = Vec::new();
    for field in data.fields.iter() {
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("ecached")) {
            errors.ok(attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("id") {
                    match &field.ident {
                        Some(ident) => id_fields.push(ident.clone()),
                        None => errors.push(meta.error("#[ecached(id)] needs a named field")),
                    }
                } else {
                    errors.push(meta.error("unknown field option; the only one is #[ecached(id)]"));
                }
                Ok(())
            }));
        }
    }
    let declarations = args::parse_declarations(&input.attrs, &field_names, errors);
    let paths = Paths::new(declarations.krate.as_ref().map(|(path, _)| path));
    let (krate, private) = (paths.krate(), paths.private());

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // In an anonymous const, as serde_derive does: the impl adds no name to the module.
    let key_part = (!id_fields.is_empty()).then(|| {
        let parts = id_fields.iter().enumerate().map(|(i, field)| {
            let separator = (i > 0).then(|| quote!(out.push(#krate::KEY_SEPARATOR);));
            let private = paths.spanned(field.span());
            let private = private.private();
            quote_spanned!(field.span()=> #separator (&#private::KeyWriter(&self.#field)).write_to(out);)
        });
        quote! {
            const _: () = {
                impl #impl_generics #krate::KeyPart for #ident #ty_generics #where_clause {
                    fn write_key_part(&self, out: &mut ::std::string::String) {
                        #[allow(unused_imports)]
                        use #private::{ViaDisplay as _, ViaKeyPart as _};
                        #(#parts)*
                    }
                }
            };
        }
    });
    let vis = &input.vis;
    let properties = &declarations.properties;
    let crate_option = declarations.krate.as_ref().map(|(_, tokens)| tokens);
    let getters = properties
        .iter()
        .map(|p| p.getter(vis, &paths, crate_option));
    // Not in a const: the getters and their handles are the struct's API.
    let getters = (!properties.is_empty()).then(|| {
        quote! {
            impl #impl_generics #ident #ty_generics #where_clause {
                #(#getters)*
            }
        }
    });
    quote!(#key_part #getters)
}
