//! The thread's copies (`easy_cache_core`'s `near::local`): before its key is built, a
//! call looks itself up by the values its key is made of, and a copy returns at once.

use super::Emitter;
use crate::ecached::plan::{KeyPlan, PrefixPlan};
use proc_macro2::TokenStream;
use quote::quote;

impl Emitter<'_> {
    /// `let __ec_local = ...;`: the lookup, returning the copy's value from the function,
    /// else what the call passes on to take one (`None` when the key is built by a user
    /// function, whose result the arguments do not decide).
    pub(super) fn local_lookup(&self) -> TokenStream {
        let Some(parts) = self.local_parts() else {
            return self.no_local();
        };
        let private = self.paths.private();
        let (policy, output) = (self.policy(), &self.sig.output);
        let views = self.sig.view_bindings();
        quote! {
            #[allow(unused_variables, clippy::needless_borrow, clippy::borrow_deref_ref)]
            let __ec_local = {
                #[allow(unused_imports)]
                use #private::{LocalViaNothing as _, LocalViaParts as _};
                #views
                match (&#private::LocalProbe::<_, <#policy as #private::ReturnPolicy<#output>>::Value>::new((#(#parts,)*)))
                    .local_lookup(__ec_cache)
                {
                    #private::LocalLookup::Hit(__ec_value) => {
                        return <#policy as #private::ReturnPolicy<#output>>::from_value(__ec_value);
                    }
                    #private::LocalLookup::Miss(__ec_local) => __ec_local,
                }
            };
        }
    }

    fn no_local(&self) -> TokenStream {
        let private = self.paths.private();
        quote!(let __ec_local: ::std::option::Option<#private::LocalKey> = ::std::option::Option::None;)
    }

    /// What the key is made of (prefix first; an automatic key's path string first of
    /// all); `None` when a user function builds the key or the prefix.
    fn local_parts(&self) -> Option<Vec<TokenStream>> {
        let private = self.paths.private();
        let mut parts = match &self.plan.prefix {
            None => Vec::new(),
            Some(PrefixPlan::Template(t)) => t.values(self.sig),
            Some(PrefixPlan::Function(_)) => return None,
        };
        match &self.plan.key {
            KeyPlan::Template(t) => parts.extend(t.values(self.sig)),
            KeyPlan::Auto => {
                // The string differs between instantiations of a generic function whose
                // automatic keys differ: one is told from the other.
                parts.insert(
                    0,
                    quote!(#private::PathPart(::std::any::type_name_of_val(&|| ()))),
                );
                if self.sig.receiver.is_some() {
                    parts.push(quote!(__ec_self));
                }
                parts.extend(self.sig.params.iter().map(|p| {
                    let ident = &p.ident;
                    quote!(#ident)
                }));
            }
            KeyPlan::Function(_) => return None,
        }
        Some(parts)
    }
}
