//! What differs for a sync `fn`: its body runs in a closure handed to
//! `FnCache::call_blocking` (on the calling thread; no `.await`), and its handle is a
//! `blocking::CacheHandle`, whose verbs return when done.

use super::Emitter;
use proc_macro2::TokenStream;
use quote::quote;

impl Emitter<'_> {
    /// The call of a sync function, given its `CallSpec`, value tags and near cache
    /// expressions.
    pub(super) fn blocking_call(
        &self,
        spec: &TokenStream,
        value_tags: &TokenStream,
        near: &TokenStream,
    ) -> TokenStream {
        let private = self.paths.private();
        let (codec, policy, output) = (self.codec(), self.policy(), &self.sig.output);
        let block = &self.func.block;
        // A closure declaring the return type: `return` and `?` in the body convert as in
        // the original function.
        quote! {
            #private::FnCache::call_blocking::<#codec, #policy, #output>(
                __ec_cache,
                #spec,
                #value_tags,
                #near,
                move || -> #output #block,
            )
        }
    }

    /// The handle type's path: `CacheHandle`, or `blocking::CacheHandle` for a sync `fn`.
    pub(super) fn handle_type(&self) -> TokenStream {
        let krate = self.paths.krate();
        if self.sig.is_async {
            quote!(#krate::CacheHandle)
        } else {
            quote!(#krate::blocking::CacheHandle)
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::ecached::options::Options;
    use crate::ecached::plan::Plan;
    use crate::ecached::signature::Signature;
    use crate::errors::Errors;
    use quote::quote;

    fn expanded(item: &str) -> String {
        let func: syn::ItemFn = syn::parse_str(item).unwrap();
        let errors = Errors::new();
        let options = Options::parse(quote!("k:{id}"), &errors);
        let sig = Signature::analyze(&func, &errors);
        let plan = Plan::new(&options, &sig, &errors);
        assert!(errors.finish().is_empty());
        super::Emitter::new(&func, &options, &sig, &plan)
            .emit()
            .to_string()
    }

    #[test]
    fn a_sync_fn_blocks_and_gets_a_blocking_handle() {
        let sync = expanded("fn load(id: u64) -> u64 { id }");
        assert!(sync.contains("FnCache :: call_blocking"), "{sync}");
        assert!(
            sync.contains(":: easy_cache :: blocking :: CacheHandle <"),
            "{sync}"
        );
        assert!(!sync.contains("await"), "{sync}");
        let asynchronous = expanded("async fn load(id: u64) -> u64 { id }");
        assert!(
            asynchronous.contains("FnCache :: call_with ::"),
            "{asynchronous}"
        );
        assert!(!asynchronous.contains("blocking"), "{asynchronous}");
    }
}
