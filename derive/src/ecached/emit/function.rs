//! The cached function: the user's signature around a call of `FnCache::call` that builds
//! the key, version keys and timeout, then runs the user's body on a miss.

use super::{Emitter, PREFIX_VERSION_PREFIX_LEN, build_version_key, out_ident};
use crate::ecached::options::TimeoutSpec;
use crate::ecached::plan::{PrefixPlan, TagsPlan};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{ItemFn, Type};

impl Emitter<'_> {
    fn timeout_code(&self) -> TokenStream {
        let (krate, private) = (self.paths.krate(), self.paths.private());
        match &self.options.timeout {
            TimeoutSpec::Backend => quote!(#krate::Timeout::Default),
            TimeoutSpec::Seconds(expr) => {
                quote!(#krate::Timeout::from(::std::time::Duration::from_secs_f64((#expr) as f64)))
            }
            TimeoutSpec::Expr(expr) => {
                let args = self.sig.view_tuple(&self.sig.everything());
                quote!(#private::produce_timeout(&(#expr), #args, &__ec_meta))
            }
        }
    }

    fn needs_meta(&self) -> bool {
        self.plan.key_needs_meta()
            || self.plan.tags_need_meta()
            || matches!(self.options.timeout, TimeoutSpec::Expr(_))
    }

    pub(super) fn policy(&self) -> TokenStream {
        let private = self.paths.private();
        match last_segment(&self.sig.output).as_deref() {
            Some("Result") => quote!(#private::OkOnly),
            Some("Option") if !self.options.cache_none => quote!(#private::SomeOnly),
            _ => quote!(#private::AnyValue),
        }
    }

    pub(super) fn codec(&self) -> TokenStream {
        let krate = self.paths.krate();
        match &self.options.codec {
            Some(path) => quote!(#path),
            None => quote!(#krate::DefaultCodec),
        }
    }

    /// The declared half of the stored type's stamp (the engine adds the layout): a
    /// changed return type, codec or `version` misses.
    fn stamp(&self) -> u64 {
        let output = &self.sig.output;
        // The codec as the user wrote it, or the default's name without the crate root,
        // so the `crate` option does not change the stamp.
        let codec = match &self.options.codec {
            Some(path) => quote!(#path),
            None => quote!(::easy_cache::DefaultCodec),
        };
        fnv1a(&format!(
            "{} | {} | {}",
            quote!(#output),
            codec,
            self.options.version
        ))
    }

    pub(crate) fn cached_fn(&self) -> TokenStream {
        let (krate, private) = (self.paths.krate(), self.paths.private());
        let ItemFn {
            attrs,
            vis,
            sig,
            block,
        } = self.func;
        let fn_cache = self.body_fn_cache();
        let views = self.sig.view_bindings();
        let meta = self.needs_meta().then(|| self.meta_binding());
        let prefix = self.plan.prefix.as_ref().map(|p| match p {
            // One string for the prefix and its version key: the key reads the prefix from it.
            PrefixPlan::Template(t) => {
                let out = out_ident();
                let writes = t.write_into(&out, self.sig, &self.paths);
                let private = self.paths.private();
                let built = build_version_key(
                    private,
                    quote!(#out.push_str(#krate::PREFIX_VERSION_PREFIX); #writes),
                    PREFIX_VERSION_PREFIX_LEN + t.capacity_hint(),
                );
                quote! {
                    let __ec_prefix_vk: #private::VersionKeyBuf = #built;
                    let __ec_prefix: &str = &__ec_prefix_vk[#krate::PREFIX_VERSION_PREFIX.len()..];
                }
            }
            PrefixPlan::Function(_) => {
                let code = self.prefix_code(p);
                quote!(let __ec_prefix: ::std::string::String = #code;)
            }
        });
        // The call's key, in a spare buffer (a hit allocates no key), built where it stays:
        // moving the `String` out of a block copied it through the stack right after its
        // writes, and that copy stalled on store forwarding (a fifth of a memory hit).
        let key_ident = format_ident!("__ec_key");
        let (key_declared, key_built) = match self.key_writes(&key_ident) {
            Ok((writes, capacity)) => (
                quote!(let mut __ec_key = #private::PooledKey::with_capacity(#capacity);),
                writes,
            ),
            Err(produced) => (
                quote!(let __ec_key: #private::PooledKey;),
                quote!(__ec_key = #private::PooledKey::from(#produced);),
            ),
        };
        let (version_keys, versions) = self.version_keys();
        let local = self.local_lookup();
        let timeout = self.timeout_code();
        let (codec, policy, output) = (self.codec(), self.policy(), &self.sig.output);
        let stamp = self.stamp();
        let value_tags = match &self.plan.tags {
            Some(TagsPlan::Function(expr)) => {
                let types = self.sig.view_types(&self.sig.everything());
                let function = self.function_path();
                quote!(::std::option::Option::Some(&|__ec_value: &<#policy as #private::ReturnPolicy<#output>>::Value| -> ::std::vec::Vec<::std::string::String> {
                    #private::produce_value_tags(
                        &(#expr),
                        ::std::marker::PhantomData::<(#(#types,)*)>,
                        &#krate::Meta::after_call(#function, __ec_value),
                    )
                }))
            }
            _ => quote!(::std::option::Option::None),
        };
        // A near cache for value types that can live in one (`Clone + Send + Sync`), picked
        // by autoref: no bound is added to the user's type.
        let near = quote!({
            #[allow(unused_imports)]
            use #private::{NearViaClone as _, NearViaNothing as _};
            #[allow(clippy::needless_borrow)]
            let __ec_near = (&#private::NearProbe::<<#policy as #private::ReturnPolicy<#output>>::Value>::new()).near_ops();
            __ec_near
        });
        let spec = quote!(#private::CallSpec {
            key: __ec_key.text(),
            versions: &__ec_versions,
            timeout: __ec_timeout,
            stamp: #stamp,
            local: __ec_local.as_ref(),
        });
        let call = if self.sig.is_async {
            let mut compute = quote! {
                async move {
                    // Fixes the async block's output to the declared return type, so a
                    // `return` or `?` in the body converts as in the original function.
                    #[allow(unreachable_code, clippy::diverging_sub_expression, clippy::let_unit_value, clippy::needless_return)]
                    if false {
                        let __ec_never: #output = loop {};
                        return __ec_never;
                    }
                    #block
                }
            };
            if let Some((limit, span)) = self.options.resilience.hard_timeout() {
                // Spanned on the option: a return type that cannot carry the timeout error
                // is reported there.
                let paths = self.paths.spanned(*span);
                let private = paths.private();
                compute = quote_spanned!(*span=> #private::hard_timeout(#limit, #compute));
            } else if self.options.resilience.takes_default_hard_timeout()
                && last_segment(output).as_deref() == Some("Result")
            {
                // The instance's default hard timeout, for a `Result` whose error can say
                // "timed out" (picked by autoref: no bound is added to the user's types).
                compute = quote! {{
                    #[allow(unused_imports)]
                    use #private::{ViaTimedOut as _, ViaNoTimedOut as _};
                    #[allow(clippy::needless_borrow)]
                    let __ec_timed_out = (&#private::TimedOutProbe::<#output>::new()).timed_out();
                    #private::default_hard_timeout(__ec_cache, __ec_timed_out, #compute)
                }};
            }
            if self.options.resilience.may_move() && self.sig.movable {
                // Whether the computation can move to a task (refresh ahead, soft timeout),
                // picked by autoref: no bound is added to the user's types.
                // The probe runs on a call past the hit only; the computation is built as the
                // argument (a binding kept it in the caller's future, copied on every call).
                quote! {{
                    #private::FnCache::call_with::<#codec, #policy, #output, _, _, _>(
                        __ec_cache,
                        #spec,
                        #value_tags,
                        #near,
                        #compute,
                        |__ec_compute| {
                            #[allow(unused_imports)]
                            use #private::{ViaSpawn as _, ViaNoSpawn as _};
                            #[allow(clippy::needless_borrow)]
                            (&#private::SpawnProbe::<#codec, #policy, #output, _>::of(__ec_compute)).spawner()
                        },
                    )
                    .await
                }}
            } else {
                quote! {
                    #private::FnCache::call::<#codec, #policy, #output, _>(
                        __ec_cache,
                        #spec,
                        #value_tags,
                        #near,
                        #compute,
                    )
                    .await
                }
            }
        } else {
            self.blocking_call(&spec, &value_tags, &near)
        };
        quote! {
            #(#attrs)*
            #vis #sig {
                #fn_cache
                #[allow(dead_code)]
                const __EC_IN_HANDLE: bool = false;
                #local
                #key_declared
                #[allow(unused_variables, clippy::needless_borrow, clippy::borrow_deref_ref, clippy::useless_conversion)]
                let (__ec_vk, __ec_timeout) = {
                    #[allow(unused_imports)]
                    use #private::{ViaDisplay as _, ViaKeyPart as _};
                    #views
                    #meta
                    #prefix
                    #key_built
                    (#version_keys, #timeout)
                };
                let __ec_versions = #versions;
                #call
            }
        }
    }
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
