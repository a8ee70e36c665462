//! `#[derive(ECached)]`: cached properties of a struct, and its identity as a key part.
//!
//! ```text
//! #[derive(ECached)]
//! #[ecached(property = friends_count, returns = u64, key = "user_friends_count:{self.id}", timeout = 3600)]
//! struct User { #[ecached(id)] id: u64, name: String }
//! ```
//! generates `impl KeyPart for User` (from the `id` fields) and, per property, an
//! `#[ecached]` async getter `friends_count(&self)` that awaits `Self::compute_friends_count`
//! (or the method named by `compute = ...`), with the handle `User::friends_count_cache()`.

mod property;

use proc_macro2::TokenStream;
use property::Property;
use quote::{quote, quote_spanned};
use syn::{Data, DeriveInput, Fields};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    try_expand(input).unwrap_or_else(|e| e.to_compile_error())
}

fn try_expand(input: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(input)?;
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "#[derive(ECached)] is for structs",
        ));
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
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("id") {
                    match &field.ident {
                        Some(ident) => id_fields.push(ident.clone()),
                        None => return Err(meta.error("#[ecached(id)] needs a named field")),
                    }
                    Ok(())
                } else {
                    Err(meta.error("unknown field option; the only one is #[ecached(id)]"))
                }
            })?;
        }
    }
    let properties: Vec<Property> = input
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("ecached"))
        .map(|a| Property::parse(a, &field_names))
        .collect::<syn::Result<_>>()?;

    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let key_part = (!id_fields.is_empty()).then(|| {
        let parts = id_fields.iter().enumerate().map(|(i, field)| {
            let separator = (i > 0).then(|| quote!(out.push(::easy_cache::KEY_SEPARATOR);));
            quote_spanned!(field.span()=> #separator (&::easy_cache::__private::KeyWriter(&self.#field)).write_to(out);)
        });
        quote! {
            impl #impl_generics ::easy_cache::KeyPart for #ident #ty_generics #where_clause {
                fn write_key_part(&self, out: &mut ::std::string::String) {
                    #[allow(unused_imports)]
                    use ::easy_cache::__private::{ViaDisplay as _, ViaKeyPart as _};
                    #(#parts)*
                }
            }
        }
    });
    let vis = &input.vis;
    let getters = properties.iter().map(|p| p.getter(vis));
    let getters = (!properties.is_empty()).then(|| {
        quote! {
            impl #impl_generics #ident #ty_generics #where_clause {
                #(#getters)*
            }
        }
    });
    Ok(quote!(#key_part #getters))
}
