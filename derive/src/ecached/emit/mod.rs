//! Emitting the cached function (`function.rs`), its handle `<name>_cache()`
//! (`handle.rs`) and the version keys of a call's tags and prefix (`version_keys.rs`).
//! This file holds what they share: the emitter, the function's `FnCache` state, and the
//! code building keys, tags and prefixes.

mod function;
mod handle;
mod local;
mod sync_fn;
mod version_keys;

use super::options::{Options, TargetSpec};
use super::plan::{KeyPlan, Plan, PrefixPlan, TagsPlan};
use super::signature::Signature;
use crate::paths::Paths;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{ItemFn, LitStr};

/// The length of `easy_cache_core::PREFIX_VERSION_PREFIX`, a capacity hint only (the
/// function builds its prefix and the prefix's version key in one string).
const PREFIX_VERSION_PREFIX_LEN: usize = 5;

pub(crate) struct Emitter<'a> {
    func: &'a ItemFn,
    options: &'a Options,
    sig: &'a Signature,
    plan: &'a Plan,
    /// Where emitted paths start (the `crate` option).
    paths: Paths,
    /// Expanded by `#[ecached]` on an `impl` block: the function is a member of `Self`.
    in_impl: bool,
}

impl<'a> Emitter<'a> {
    pub(crate) fn new(
        func: &'a ItemFn,
        options: &'a Options,
        sig: &'a Signature,
        plan: &'a Plan,
    ) -> Self {
        Emitter {
            func,
            options,
            sig,
            plan,
            paths: Paths::new(options.krate.as_ref()),
            in_impl: false,
        }
    }

    /// The emitter of a method of an `impl` block given `#[ecached]`.
    pub(crate) fn in_impl(self) -> Self {
        Emitter {
            in_impl: true,
            ..self
        }
    }

    pub(crate) fn emit(&self) -> TokenStream {
        let handle = self.handle_fn();
        let function = self.cached_fn();
        quote!(#handle #function)
    }

    fn name_literal(&self) -> LitStr {
        LitStr::new(&self.sig.name.to_string(), Span::call_site())
    }

    /// Whether the body reaches its handle's state, `Self::<name>_cache().fn_cache()`.
    ///
    /// It can wherever the handle is known to be a member of `Self`: a method with `self`,
    /// or any method of an `impl` block given `#[ecached]`. A function without `self`
    /// given `#[ecached]` directly may be free (handle: `<name>_cache`) or associated
    /// (handle: `Self::<name>_cache`); nothing tells the macro which, so its body keeps a
    /// state of its own, as does the body of a function with no handle (too many key
    /// parameters).
    fn body_reaches_handle(&self) -> bool {
        self.plan.fits_handle() && (self.in_impl || self.sig.receiver.is_some())
    }

    /// `let __ec_cache: &'static FnCache = ...;` in the function's body: its handle's state
    /// where it can reach it, else a `static` of its own.
    fn body_fn_cache(&self) -> TokenStream {
        let private = self.paths.private();
        if !self.body_reaches_handle() {
            let own = self.fn_cache_static(true);
            return quote! {
                #own
                let __ec_cache: &'static #private::FnCache = &__EC_CACHE;
            };
        }
        let handle = format_ident!("{}_cache", self.sig.name);
        let generics = self
            .func
            .sig
            .generics
            .params
            .iter()
            .filter_map(|p| match p {
                syn::GenericParam::Type(t) => Some(t.ident.clone()),
                syn::GenericParam::Const(c) => Some(c.ident.clone()),
                syn::GenericParam::Lifetime(_) => None,
            });
        quote! {
            let __ec_cache: &'static #private::FnCache = Self::#handle::<#(#generics),*>().fn_cache();
        }
    }

    /// The handle's `static __EC_CACHE` (its builders bind `__ec_cache` to it).
    fn handle_fn_cache(&self) -> TokenStream {
        // The body declares a second state unless it reaches this one; then their
        // `cache_instance` must be one instance.
        self.fn_cache_static(!self.body_reaches_handle())
    }

    /// `static __EC_CACHE: FnCache`; `shared`: a second static of the same function (same
    /// id) exists, and both take their `cache_instance` from `shared_instance`.
    fn fn_cache_static(&self, shared: bool) -> TokenStream {
        let (krate, private) = (self.paths.krate(), self.paths.private());
        let name = self.name_literal();
        let id = quote!(
            ::std::concat!(::std::module_path!(), "::", #name, "@", ::std::line!(), ":", ::std::column!())
        );
        let target = match &self.options.target {
            None => quote!(#private::CacheTarget::Alias("default")),
            Some(TargetSpec::Alias(alias)) => quote!(#private::CacheTarget::Alias(#alias)),
            Some(TargetSpec::Instance(expr)) => {
                let instance = quote!(#private::IntoInstance::into_instance(#expr));
                let build = if shared {
                    quote!(#private::shared_instance(#id, || #instance))
                } else {
                    instance
                };
                quote!(#private::CacheTarget::Instance({
                    fn __ec_build() -> ::std::sync::Arc<dyn #krate::CacheInstance> {
                        #build
                    }
                    __ec_build
                }))
            }
        };
        let single_flight = self.options.single_flight;
        let wait = self
            .options
            .single_flight_wait
            .as_ref()
            .map(|wait| quote!(.with_single_flight_wait(#wait)));
        let resilience = self.options.resilience.builders(&self.paths);
        quote! {
            static __EC_CACHE: #private::FnCache = #private::FnCache::new(
                #id,
                ::std::concat!(::std::module_path!(), "::", #name),
                #target,
                &#private::CACHES,
                #single_flight,
            )#wait #resilience;
        }
    }

    /// The path naming the function (module, enclosing functions, implementing type,
    /// generic arguments), from the type name of a closure declared here; needs
    /// `__ec_cache` and `__EC_IN_HANDLE` in scope.
    fn function_path(&self) -> TokenStream {
        quote!(__ec_cache.function_path(::std::any::type_name_of_val(&|| ()), __EC_IN_HANDLE))
    }

    /// `let __ec_meta = ...;` over the views of every parameter.
    fn meta_binding(&self) -> TokenStream {
        let (krate, private) = (self.paths.krate(), self.paths.private());
        let args = self.sig.params.iter().map(|p| {
            let (ident, name) = (&p.ident, p.ident.to_string());
            let value = if p.is_static {
                quote!(::std::option::Option::Some(#ident as &dyn #private::Any))
            } else {
                quote!(::std::option::Option::None)
            };
            quote!(#private::MetaArg::new(#name, #value))
        });
        let scope = if self.sig.receiver.is_some() {
            quote!(::std::option::Option::Some(
                __ec_self as &dyn #private::Any
            ))
        } else {
            quote!(::std::option::Option::None)
        };
        let function = self.function_path();
        quote! {
            let __ec_meta_args = [#(#args),*];
            let __ec_meta = #krate::Meta::before_call(#function, &__ec_meta_args, #scope);
        }
    }

    /// An expression building the prefix `String` (views and meta bound).
    fn prefix_code(&self, prefix: &PrefixPlan) -> TokenStream {
        let private = self.paths.private();
        match prefix {
            PrefixPlan::Template(t) => build_string(
                t.write_into(&out_ident(), self.sig, &self.paths),
                t.capacity_hint(),
            ),
            PrefixPlan::Function(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                quote!(#private::produce_key(&(#expr), #args, &__ec_meta))
            }
        }
    }

    /// The statements writing the full key into `out` (views, meta and `__ec_prefix`
    /// bound; `out` derefs to a `String`) and the capacity to reserve for it; or, for a
    /// key function without a prefix, the expression producing the whole key `String`.
    fn key_writes(&self, out: &syn::Ident) -> Result<(TokenStream, usize), TokenStream> {
        let private = self.paths.private();
        let prefix = self
            .plan
            .prefix
            .as_ref()
            .map(|_| quote!(#out.push_str(&__ec_prefix); #out.push(':');));
        let (body, hint) = match &self.plan.key {
            KeyPlan::Template(t) => (t.write_into(out, self.sig, &self.paths), t.capacity_hint()),
            KeyPlan::Function(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                let produced = quote!(#private::produce_key(&(#expr), #args, &__ec_meta));
                if prefix.is_none() {
                    return Err(produced);
                }
                (quote!(#out.push_str(&#produced);), 32)
            }
            KeyPlan::Auto => (self.auto_key(out), 48),
        };
        Ok((quote!(#prefix #body), hint + 16))
    }

    /// An expression building the full key `String` (views, meta and `__ec_prefix` bound).
    fn key_code(&self) -> TokenStream {
        match self.key_writes(&out_ident()) {
            Ok((writes, capacity)) => build_string(writes, capacity),
            Err(produced) => produced,
        }
    }

    /// Module (or type) path, function name, then every argument.
    fn auto_key(&self, out: &syn::Ident) -> TokenStream {
        let private = self.paths.private();
        let path = self.function_path();
        let head = quote!(#out.push_str(#path););
        let this = self.sig.receiver.as_ref().map(
            |_| quote!(#out.push(':'); (&#private::KeyWriter(__ec_self)).write_to(&mut #out);),
        );
        // Spanned on each parameter, so "cannot be part of a key" points at it.
        let parts = self.sig.params.iter().map(|p| {
            let ident = &p.ident;
            let private = self.paths.spanned(ident.span());
            let private = private.private();
            quote_spanned!(ident.span()=> #out.push(':'); (&#private::KeyWriter(#ident)).write_to(&mut #out);)
        });
        quote! {
            #head
            #this
            #(#parts)*
        }
    }

    /// An expression building the tag names `Vec<String>` (views and meta bound).
    fn tag_names_code(&self, tags: &TagsPlan) -> TokenStream {
        let private = self.paths.private();
        match tags {
            TagsPlan::Templates(templates) => {
                let each = templates.iter().map(|t| {
                    build_string(
                        t.write_into(&out_ident(), self.sig, &self.paths),
                        t.capacity_hint(),
                    )
                });
                quote!(::std::vec![#(#each),*])
            }
            TagsPlan::Function(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                quote!(#private::produce_tags(&(#expr), #args, &__ec_meta))
            }
        }
    }
}

fn out_ident() -> syn::Ident {
    format_ident!("__ec_out")
}

/// [`build_string`] for a version key, in a spare buffer (`VersionKeyBuf`, through
/// `private`): a tagged hit allocates no key.
fn build_version_key(private: &TokenStream, writes: TokenStream, capacity: usize) -> TokenStream {
    let out = out_ident();
    quote!({
        let mut #out = #private::VersionKeyBuf::with_capacity(#capacity);
        #writes
        #out
    })
}

fn build_string(writes: TokenStream, capacity: usize) -> TokenStream {
    let out = out_ident();
    quote!({
        let mut #out = ::std::string::String::with_capacity(#capacity);
        #writes
        #out
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ecached::options::Options;
    use crate::errors::Errors;
    use proc_macro2::TokenTree;

    /// The expansion of `#[ecached(attr)] item`, and of the stand-in handle.
    fn expand(attr: TokenStream, item: &str) -> (TokenStream, Option<TokenStream>) {
        let func: ItemFn = syn::parse_str(item).unwrap();
        let errors = Errors::new();
        let options = Options::parse(attr, &errors);
        let sig = Signature::analyze(&func, &errors);
        let plan = Plan::new(&options, &sig, &errors);
        assert!(errors.finish().is_empty(), "the sample has no error");
        let emitter = Emitter::new(&func, &options, &sig, &plan);
        (emitter.emit(), emitter.dummy_handle_fn())
    }

    /// Every identifier in `tokens`, groups included.
    fn idents(tokens: TokenStream) -> Vec<String> {
        tokens
            .into_iter()
            .flat_map(|token| match token {
                TokenTree::Ident(ident) => vec![ident.to_string()],
                TokenTree::Group(group) => idents(group.stream()),
                _ => Vec::new(),
            })
            .collect()
    }

    /// Code using every emitted path: template key with `:hash`, constant and templated
    /// tags, a prefix, a `self` key part, an instance, a single-flight wait.
    const SAMPLE: &str =
        r#"async fn load(&self, id: u64, name: &str) -> Result<String, Error> { todo!() }"#;

    #[test]
    fn the_crate_option_roots_every_emitted_path() {
        let attrs = [
            quote!(
                "u:{self}:{id}:{name:hash}",
                60,
                tags = ["all", "u:{id}"],
                prefix = "p:{id}",
                cache_instance = build(),
                single_flight_wait = 1.5,
                crate = "my::cache"
            ),
            quote!(
                key = key_of,
                tags = tags_of,
                prefix = prefix_of,
                timeout = timeout_of,
                cache_none = false,
                crate = "my::cache"
            ),
            quote!(crate = "my::cache"),
        ];
        for attr in attrs {
            let (expanded, dummy) = expand(attr.clone(), SAMPLE);
            let all = idents(quote!(#expanded #dummy));
            assert!(all.iter().any(|i| i == "my"), "{attr}");
            assert!(
                !all.iter().any(|i| i == "easy_cache"),
                "`easy_cache` left in the expansion of #[ecached({attr})]: {expanded}"
            );
        }
    }

    #[test]
    fn by_default_paths_start_at_the_facade() {
        let (expanded, _) = expand(quote!("u:{id}"), SAMPLE);
        let text = expanded.to_string();
        assert!(text.contains(":: easy_cache :: CacheHandle"), "{text}");
        assert!(
            text.contains(":: easy_cache :: __private :: FnCache"),
            "{text}"
        );
        assert!(
            text.contains(":: easy_cache :: __private :: KeyWriter"),
            "{text}"
        );
    }

    #[test]
    fn the_stand_in_handle_has_the_handles_type_and_no_body() {
        let item = "async fn load(org: &str, id: u64) -> u64 { id }";
        let (expanded, dummy) = expand(quote!("user:{id}", tags = ["org:{org}"]), item);
        let dummy = dummy.unwrap().to_string();
        let expanded = expanded.to_string();
        let head =
            |text: &str| text[..text.find("-> :: easy_cache :: CacheHandle").unwrap()].to_owned();
        let returns = |text: &str| {
            let start = text.find(":: easy_cache :: CacheHandle <").unwrap();
            text[start..start + text[start..].find('{').unwrap()].to_owned()
        };
        assert_eq!(head(&dummy), head(&expanded));
        assert_eq!(returns(&dummy), returns(&expanded));
        assert!(dummy.contains("unreachable"), "{dummy}");
        assert!(!dummy.contains("FnCache"), "{dummy}");
    }
}
