//! The handle function `<name>_cache() -> CacheHandle<...>`: for each of key, tags and
//! prefix, a builder closure over just the parameters it reads.

use super::Emitter;
use crate::ecached::signature::Selection;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::ItemFn;

impl Emitter<'_> {
    /// `fn <name>_cache() -> CacheHandle<...>`.
    pub(crate) fn handle_fn(&self) -> TokenStream {
        let private = self.paths.private();
        let fn_cache = self.handle_fn_cache();
        let string = quote!(::std::string::String);

        let prefix_binding = self.plan.prefix.as_ref().map(|p| {
            let code = self.prefix_code(p);
            quote!(let __ec_prefix: #string = #code;)
        });
        let key_code = self.key_code();
        let (key_ty, key_expr) = self.builder(
            &self.plan.key_reads,
            self.plan.key_needs_meta(),
            quote!(#string),
            quote!(#prefix_binding #key_code),
        );
        let (tags_ty, tags_expr) = match &self.plan.tags {
            None => (quote!(#private::NoTags), quote!(#private::NoTags)),
            Some(tags) => self.builder(
                &self.plan.tags_read,
                self.plan.tags_need_meta(),
                quote!(::std::vec::Vec<#string>),
                self.tag_names_code(tags),
            ),
        };
        let (prefix_ty, prefix_expr) = match &self.plan.prefix {
            None => (quote!(#private::NoPrefix), quote!(#private::NoPrefix)),
            Some(p) => self.builder(
                &self.plan.prefix_reads,
                self.plan.prefix_needs_meta(),
                quote!(#string),
                self.prefix_code(p),
            ),
        };
        let head = self.handle_head(&key_ty, &tags_ty, &prefix_ty);
        let handle = self.handle_type();
        quote! {
            #head {
                #fn_cache
                #[allow(dead_code)]
                const __EC_IN_HANDLE: bool = true;
                #handle::new(&__EC_CACHE, #key_expr, #tags_expr, #prefix_expr)
            }
        }
    }

    /// The handle as it would be, with a body that is never run: emitted beside a compile
    /// error, so code calling the handle type-checks instead of adding "not found" errors.
    /// `None` when its type cannot be written (too many parameters).
    pub(crate) fn dummy_handle_fn(&self) -> Option<TokenStream> {
        if !self.plan.fits_handle() {
            return None;
        }
        let private = self.paths.private();
        let string = quote!(::std::string::String);
        let key_ty = self.builder_type(&self.plan.key_reads, quote!(#string));
        let tags_ty = match &self.plan.tags {
            None => quote!(#private::NoTags),
            Some(_) => self.builder_type(&self.plan.tags_read, quote!(::std::vec::Vec<#string>)),
        };
        let prefix_ty = match &self.plan.prefix {
            None => quote!(#private::NoPrefix),
            Some(_) => self.builder_type(&self.plan.prefix_reads, quote!(#string)),
        };
        let head = self.handle_head(&key_ty, &tags_ty, &prefix_ty);
        Some(quote! {
            #head {
                ::std::unreachable!("stands in for a handle whose #[ecached] has an error")
            }
        })
    }

    /// `fn <name>_cache() -> CacheHandle<...>`, with the function's `cfg`s, visibility and
    /// type generics, without a body.
    fn handle_head(
        &self,
        key_ty: &TokenStream,
        tags_ty: &TokenStream,
        prefix_ty: &TokenStream,
    ) -> TokenStream {
        let handle = self.handle_type();
        let ItemFn {
            attrs, vis, sig, ..
        } = self.func;
        let cfgs = attrs.iter().filter(|a| a.path().is_ident("cfg"));
        let handle_name = format_ident!("{}_cache", self.sig.name);
        let mut generics = sig.generics.clone();
        generics.params = generics
            .params
            .into_iter()
            .filter(|p| !matches!(p, syn::GenericParam::Lifetime(_)))
            .collect();
        let where_clause = generics.where_clause.clone();
        let doc = format!(
            "The cache handle of `{name}`: invalidate its entries by key, tags or prefix, read the key a call uses, refresh a call.",
            name = self.sig.name
        );
        quote! {
            #(#cfgs)*
            #[doc = #doc]
            #[allow(clippy::type_complexity, dead_code, unused_variables, clippy::needless_borrow, clippy::useless_conversion)]
            #vis fn #handle_name #generics () -> #handle<#key_ty, #tags_ty, #prefix_ty> #where_clause
        }
    }

    /// `ArgsN<fn(views) -> Out>`: the type of a handle builder reading `reads`.
    fn builder_type(&self, reads: &Selection, out: TokenStream) -> TokenStream {
        let private = self.paths.private();
        let wrapper = format_ident!("Args{}", reads.len());
        let types = self.sig.view_types(reads);
        quote!(#private::#wrapper<fn(#(#types),*) -> #out>)
    }

    /// A handle builder: `ArgsN<fn(views) -> Out>` and the closure coerced to it.
    fn builder(
        &self,
        reads: &Selection,
        meta: bool,
        out: TokenStream,
        body: TokenStream,
    ) -> (TokenStream, TokenStream) {
        let private = self.paths.private();
        let wrapper = format_ident!("Args{}", reads.len());
        let types = self.sig.view_types(reads);
        let params = self.sig.closure_params(reads);
        let meta = meta.then(|| self.meta_binding());
        let fn_ty = quote!(fn(#(#types),*) -> #out);
        (
            self.builder_type(reads, out.clone()),
            quote!(#private::#wrapper((|#(#params),*| -> #out {
                #[allow(unused_imports)]
                use #private::{ViaDisplay as _, ViaKeyPart as _};
                // A static, not a capture: the closure stays a `fn` pointer.
                #[allow(unused_variables)]
                let __ec_cache: &'static #private::FnCache = &__EC_CACHE;
                #meta
                #body
            }) as #fn_ty)),
        )
    }
}
