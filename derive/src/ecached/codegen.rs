//! Emitting the cached function and its handle function `<name>_cache()`.

use super::options::{Options, TargetSpec, TimeoutSpec};
use super::plan::{KeyPlan, Plan, PrefixPlan, TagsPlan};
use super::signature::{Selection, Signature};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::{ItemFn, LitStr, Type};

/// Must equal `easy_cache_core::TAG_VERSION_PREFIX` (checked by an integration test).
const TAG_VERSION_PREFIX: &str = "ec:t:";
/// The length of `easy_cache_core::PREFIX_VERSION_PREFIX`, a capacity hint only.
const PREFIX_VERSION_PREFIX_LEN: usize = 5;

pub(crate) struct Emitter<'a> {
    pub func: &'a ItemFn,
    pub options: &'a Options,
    pub sig: &'a Signature,
    pub plan: &'a Plan,
}

impl Emitter<'_> {
    pub(crate) fn emit(&self) -> TokenStream {
        let handle = self.handle_fn();
        let function = self.cached_fn();
        quote!(#handle #function)
    }

    fn name_literal(&self) -> LitStr {
        LitStr::new(&self.sig.name.to_string(), Span::call_site())
    }

    /// The static both the function and its handle declare (same id, see `shared_instance`).
    fn fn_cache_static(&self) -> TokenStream {
        let name = self.name_literal();
        let id = quote!(
            ::std::concat!(::std::module_path!(), "::", #name, "@", ::std::line!(), ":", ::std::column!())
        );
        let target = match &self.options.target {
            None => quote!(::easy_cache::__private::CacheTarget::Alias("default")),
            Some(TargetSpec::Alias(alias)) => {
                quote!(::easy_cache::__private::CacheTarget::Alias(#alias))
            }
            Some(TargetSpec::Instance(expr)) => {
                quote!(::easy_cache::__private::CacheTarget::Instance({
                    fn __ec_build() -> ::std::sync::Arc<dyn ::easy_cache::CacheInstance> {
                        ::easy_cache::__private::shared_instance(#id, || ::easy_cache::__private::IntoInstance::into_instance(#expr))
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
        quote! {
            static __EC_CACHE: ::easy_cache::__private::FnCache = ::easy_cache::__private::FnCache::new(
                #id,
                ::std::concat!(::std::module_path!(), "::", #name),
                #target,
                &::easy_cache::__private::CACHES,
                #single_flight,
            )#wait;
        }
    }

    /// The path naming the function (module, enclosing functions, implementing type,
    /// generic arguments), from the type name of a closure declared here; needs
    /// `__EC_CACHE` and `__EC_IN_HANDLE` in scope.
    fn function_path(&self) -> TokenStream {
        quote!(__EC_CACHE.function_path(::std::any::type_name_of_val(&|| ()), __EC_IN_HANDLE))
    }

    /// `let __ec_meta = ...;` over the views of every parameter.
    fn meta_binding(&self) -> TokenStream {
        let args = self.sig.params.iter().map(|p| {
            let (ident, name) = (&p.ident, p.ident.to_string());
            let value = if p.is_static {
                quote!(::std::option::Option::Some(#ident as &dyn ::easy_cache::__private::Any))
            } else {
                quote!(::std::option::Option::None)
            };
            quote!(::easy_cache::__private::MetaArg::new(#name, #value))
        });
        let scope = if self.sig.receiver.is_some() {
            quote!(::std::option::Option::Some(
                __ec_self as &dyn ::easy_cache::__private::Any
            ))
        } else {
            quote!(::std::option::Option::None)
        };
        let function = self.function_path();
        quote! {
            let __ec_meta_args = [#(#args),*];
            let __ec_meta = ::easy_cache::Meta::before_call(#function, &__ec_meta_args, #scope);
        }
    }

    /// An expression building the prefix `String` (views and meta bound).
    fn prefix_code(&self, prefix: &PrefixPlan) -> TokenStream {
        match prefix {
            PrefixPlan::Template(t) => {
                build_string(t.write_into(&out_ident(), self.sig), t.capacity_hint())
            }
            PrefixPlan::Function(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                quote!(::easy_cache::__private::produce_key(&(#expr), #args, &__ec_meta))
            }
        }
    }

    /// An expression building the full key `String` (views, meta and `__ec_prefix` bound).
    fn key_code(&self) -> TokenStream {
        let out = out_ident();
        let prefix = self
            .plan
            .prefix
            .as_ref()
            .map(|_| quote!(#out.push_str(&__ec_prefix); #out.push(':');));
        let (body, hint) = match &self.plan.key {
            KeyPlan::Template(t) => (t.write_into(&out, self.sig), t.capacity_hint()),
            KeyPlan::Function(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                let produced =
                    quote!(::easy_cache::__private::produce_key(&(#expr), #args, &__ec_meta));
                if prefix.is_none() {
                    return produced;
                }
                (quote!(#out.push_str(&#produced);), 32)
            }
            KeyPlan::Auto => (self.auto_key(&out), 48),
        };
        build_string(quote!(#prefix #body), hint + 16)
    }

    /// Module (or type) path, function name, then every argument.
    fn auto_key(&self, out: &syn::Ident) -> TokenStream {
        let path = self.function_path();
        let head = quote!(#out.push_str(#path););
        let this = self.sig.receiver.as_ref().map(|_| quote!(#out.push(':'); (&::easy_cache::__private::KeyWriter(__ec_self)).write_to(&mut #out);));
        // Spanned on each parameter, so "cannot be part of a key" points at it.
        let parts = self.sig.params.iter().map(|p| {
            let ident = &p.ident;
            quote_spanned!(ident.span()=> #out.push(':'); (&::easy_cache::__private::KeyWriter(#ident)).write_to(&mut #out);)
        });
        quote! {
            #head
            #this
            #(#parts)*
        }
    }

    /// An expression building the tag names `Vec<String>` (views and meta bound).
    fn tag_names_code(&self, tags: &TagsPlan) -> TokenStream {
        match tags {
            TagsPlan::Templates(templates) => {
                let each = templates
                    .iter()
                    .map(|t| build_string(t.write_into(&out_ident(), self.sig), t.capacity_hint()));
                quote!(::std::vec![#(#each),*])
            }
            TagsPlan::Function(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                quote!(::easy_cache::__private::produce_tags(&(#expr), #args, &__ec_meta))
            }
        }
    }

    /// `(version keys, versions as &str)` statements for the call.
    fn version_keys(&self) -> (TokenStream, TokenStream) {
        let prefix = self.plan.prefix.as_ref().map(|p| match p {
            PrefixPlan::Template(_) => quote!(__ec_prefix_vk),
            PrefixPlan::Function(_) => quote!(::easy_cache::prefix_version_key(&__ec_prefix)),
        });
        match &self.plan.tags {
            Some(tags @ TagsPlan::Function(_)) => {
                let names = self.tag_names_code(tags);
                let push_prefix = prefix.map(|p| quote!(__ec_vk.push(#p);));
                (
                    quote!({
                        let mut __ec_vk: ::std::vec::Vec<::std::string::String> =
                            #names.iter().map(|t| ::easy_cache::tag_version_key(t)).collect();
                        #push_prefix
                        __ec_vk
                    }),
                    quote!(
                        __ec_vk
                            .iter()
                            .map(::std::string::String::as_str)
                            .collect::<::std::vec::Vec<&str>>()
                    ),
                )
            }
            _ => {
                let mut items: Vec<TokenStream> = Vec::new();
                if let Some(TagsPlan::Templates(templates)) = &self.plan.tags {
                    for t in templates {
                        items.push(match t.constant() {
                            Some(constant) => {
                                let key = LitStr::new(&format!("{TAG_VERSION_PREFIX}{constant}"), t.span);
                                quote!(::easy_cache::__private::Cow::Borrowed(#key))
                            }
                            None => {
                                // The version key built in one string (not the tag, then a copy).
                                let out = out_ident();
                                let writes = t.write_into(&out, self.sig);
                                let key = build_string(
                                    quote!(#out.push_str(::easy_cache::TAG_VERSION_PREFIX); #writes),
                                    TAG_VERSION_PREFIX.len() + t.capacity_hint(),
                                );
                                quote!(::easy_cache::__private::Cow::Owned(#key))
                            }
                        });
                    }
                }
                if let Some(p) = prefix {
                    items.push(quote!(::easy_cache::__private::Cow::Owned(#p)));
                }
                let count = items.len();
                let indices = (0..count).map(syn::Index::from);
                (
                    quote!({ let __ec_vk: [::easy_cache::__private::Cow<'static, str>; #count] = [#(#items),*]; __ec_vk }),
                    quote!({ let __ec_versions: [&str; #count] = [#(&*__ec_vk[#indices]),*]; __ec_versions }),
                )
            }
        }
    }

    fn timeout_code(&self) -> TokenStream {
        match &self.options.timeout {
            TimeoutSpec::Backend => quote!(::easy_cache::Timeout::Default),
            TimeoutSpec::Seconds(expr) => {
                quote!(::easy_cache::Timeout::from(::std::time::Duration::from_secs_f64((#expr) as f64)))
            }
            TimeoutSpec::Expr(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                quote!(::easy_cache::__private::produce_timeout(&(#expr), #args, &__ec_meta))
            }
        }
    }

    fn needs_meta(&self) -> bool {
        self.plan.key_needs_meta()
            || self.plan.tags_need_meta()
            || matches!(self.options.timeout, TimeoutSpec::Expr(_))
    }

    fn policy(&self) -> TokenStream {
        match last_segment(&self.sig.output).as_deref() {
            Some("Result") => quote!(::easy_cache::__private::OkOnly),
            Some("Option") if !self.options.cache_none => quote!(::easy_cache::__private::SomeOnly),
            _ => quote!(::easy_cache::__private::AnyValue),
        }
    }

    fn codec(&self) -> TokenStream {
        match &self.options.codec {
            Some(path) => quote!(#path),
            None => quote!(::easy_cache::DefaultCodec),
        }
    }

    fn fingerprint(&self) -> u64 {
        let output = &self.sig.output;
        let codec = self.codec();
        fnv1a(&format!(
            "{} | {} | {}",
            quote!(#output),
            codec,
            self.options.version
        ))
    }

    pub(crate) fn cached_fn(&self) -> TokenStream {
        let ItemFn {
            attrs,
            vis,
            sig,
            block,
        } = self.func;
        let fn_cache = self.fn_cache_static();
        let views = self.sig.view_bindings();
        let meta = self.needs_meta().then(|| self.meta_binding());
        let prefix = self.plan.prefix.as_ref().map(|p| match p {
            // One string for the prefix and its version key: the key reads the prefix from it.
            PrefixPlan::Template(t) => {
                let out = out_ident();
                let writes = t.write_into(&out, self.sig);
                let built = build_string(
                    quote!(#out.push_str(::easy_cache::PREFIX_VERSION_PREFIX); #writes),
                    PREFIX_VERSION_PREFIX_LEN + t.capacity_hint(),
                );
                quote! {
                    let __ec_prefix_vk: ::std::string::String = #built;
                    let __ec_prefix: &str = &__ec_prefix_vk[::easy_cache::PREFIX_VERSION_PREFIX.len()..];
                }
            }
            PrefixPlan::Function(_) => {
                let code = self.prefix_code(p);
                quote!(let __ec_prefix: ::std::string::String = #code;)
            }
        });
        let key = self.key_code();
        let (version_keys, versions) = self.version_keys();
        let timeout = self.timeout_code();
        let (codec, policy, output) = (self.codec(), self.policy(), &self.sig.output);
        let fingerprint = self.fingerprint();
        let value_tags = match &self.plan.tags {
            Some(TagsPlan::Function(expr)) => {
                let types = self.sig.view_types(&self.sig.everything());
                let function = self.function_path();
                quote!(::std::option::Option::Some(&|__ec_value: &<#policy as ::easy_cache::__private::ReturnPolicy<#output>>::Value| -> ::std::vec::Vec<::std::string::String> {
                    ::easy_cache::__private::produce_value_tags(
                        &(#expr),
                        ::std::marker::PhantomData::<(#(#types,)*)>,
                        &::easy_cache::Meta::after_call(#function, __ec_value),
                    )
                }))
            }
            _ => quote!(::std::option::Option::None),
        };
        quote! {
            #(#attrs)*
            #vis #sig {
                #fn_cache
                #[allow(dead_code)]
                const __EC_IN_HANDLE: bool = false;
                #[allow(unused_variables, clippy::needless_borrow, clippy::borrow_deref_ref, clippy::useless_conversion)]
                let (__ec_key, __ec_vk, __ec_timeout) = {
                    #[allow(unused_imports)]
                    use ::easy_cache::__private::{ViaDisplay as _, ViaKeyPart as _};
                    #views
                    #meta
                    #prefix
                    let __ec_key: ::std::string::String = #key;
                    (__ec_key, #version_keys, #timeout)
                };
                let __ec_versions = #versions;
                ::easy_cache::__private::FnCache::call::<#codec, #policy, #output, _>(
                    &__EC_CACHE,
                    ::easy_cache::__private::CallSpec {
                        key: &__ec_key,
                        versions: &__ec_versions,
                        timeout: __ec_timeout,
                        stamp: #fingerprint,
                    },
                    #value_tags,
                    async move {
                        #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::let_unit_value, clippy::needless_return)]
                        if false {
                            let __ec_never: #output = loop {};
                            return __ec_never;
                        }
                        #block
                    },
                )
                .await
            }
        }
    }

    /// `fn <name>_cache() -> CacheHandle<...>`.
    pub(crate) fn handle_fn(&self) -> TokenStream {
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
        let fn_cache = self.fn_cache_static();
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
            None => (
                quote!(::easy_cache::__private::NoTags),
                quote!(::easy_cache::__private::NoTags),
            ),
            Some(tags) => self.builder(
                &self.plan.tags_read,
                self.plan.tags_need_meta(),
                quote!(::std::vec::Vec<#string>),
                self.tag_names_code(tags),
            ),
        };
        let (prefix_ty, prefix_expr) = match &self.plan.prefix {
            None => (
                quote!(::easy_cache::__private::NoPrefix),
                quote!(::easy_cache::__private::NoPrefix),
            ),
            Some(p) => self.builder(
                &self.plan.prefix_reads,
                self.plan.prefix_needs_meta(),
                quote!(#string),
                self.prefix_code(p),
            ),
        };
        let doc = format!(
            "The cache handle of `{name}`: invalidate its entries by key, tags or prefix, read the key a call uses, refresh a call.",
            name = self.sig.name
        );
        quote! {
            #(#cfgs)*
            #[doc = #doc]
            #[allow(clippy::type_complexity, dead_code, unused_variables, clippy::needless_borrow, clippy::useless_conversion)]
            #vis fn #handle_name #generics () -> ::easy_cache::CacheHandle<#key_ty, #tags_ty, #prefix_ty> #where_clause {
                #fn_cache
                #[allow(dead_code)]
                const __EC_IN_HANDLE: bool = true;
                ::easy_cache::CacheHandle::new(&__EC_CACHE, #key_expr, #tags_expr, #prefix_expr)
            }
        }
    }

    /// A handle builder: `ArgsN<fn(views) -> Out>` and the closure coerced to it.
    fn builder(
        &self,
        reads: &Selection,
        meta: bool,
        out: TokenStream,
        body: TokenStream,
    ) -> (TokenStream, TokenStream) {
        let wrapper = format_ident!("Args{}", reads.len());
        let types = self.sig.view_types(reads);
        let params = self.sig.closure_params(reads);
        let meta = meta.then(|| self.meta_binding());
        let fn_ty = quote!(fn(#(#types),*) -> #out);
        (
            quote!(::easy_cache::__private::#wrapper<#fn_ty>),
            quote!(::easy_cache::__private::#wrapper((|#(#params),*| -> #out {
                #[allow(unused_imports)]
                use ::easy_cache::__private::{ViaDisplay as _, ViaKeyPart as _};
                #meta
                #body
            }) as #fn_ty)),
        )
    }
}

fn out_ident() -> syn::Ident {
    format_ident!("__ec_out")
}

fn build_string(writes: TokenStream, capacity: usize) -> TokenStream {
    let out = out_ident();
    quote!({
        let mut #out = ::std::string::String::with_capacity(#capacity);
        #writes
        #out
    })
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        Type::Paren(inner) => last_segment(&inner.elem),
        Type::Group(inner) => last_segment(&inner.elem),
        _ => None,
    }
}

/// FNV-1a: a stable hash of the return type's tokens, so a changed type misses.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
