//! The version keys a call reads: one per tag and one for the prefix. Invalidating a tag or
//! a prefix deletes its version key, so entries stored under the old version miss.

use super::{Emitter, build_version_key, out_ident};
use crate::ecached::plan::{PrefixPlan, TagsPlan};
use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

/// Must equal `easy_cache_core::TAG_VERSION_PREFIX` (pinned by a test in core/src/keys/versions.rs).
const TAG_VERSION_PREFIX: &str = "ec:t:";

impl Emitter<'_> {
    /// `(version keys, versions as &str)` statements for the call.
    pub(super) fn version_keys(&self) -> (TokenStream, TokenStream) {
        let (krate, private) = (self.paths.krate(), self.paths.private());
        let prefix = self.plan.prefix.as_ref().map(|p| match p {
            PrefixPlan::Template(_) => quote!(__ec_prefix_vk),
            PrefixPlan::Function(_) => quote!(#krate::prefix_version_key(&__ec_prefix)),
        });
        match &self.plan.tags {
            Some(tags @ TagsPlan::Function(_)) => {
                let names = self.tag_names_code(tags);
                let push_prefix = prefix.map(|p| quote!(__ec_vk.push(#p);));
                (
                    quote!({
                        let mut __ec_vk: ::std::vec::Vec<::std::string::String> =
                            #names.iter().map(|t| #krate::tag_version_key(t)).collect();
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
                                let key =
                                    LitStr::new(&format!("{TAG_VERSION_PREFIX}{constant}"), t.span);
                                quote!(#private::VersionKey::Static(#key))
                            }
                            None => {
                                // The version key built in one string (not the tag, then a copy).
                                let out = out_ident();
                                let writes = t.write_into(&out, self.sig, &self.paths);
                                let key = build_version_key(
                                    private,
                                    quote!(#out.push_str(#krate::TAG_VERSION_PREFIX); #writes),
                                    TAG_VERSION_PREFIX.len() + t.capacity_hint(),
                                );
                                quote!(#private::VersionKey::Built(#key))
                            }
                        });
                    }
                }
                if let Some(p) = prefix {
                    items.push(quote!(#private::VersionKey::from(#p)));
                }
                let count = items.len();
                let indices = (0..count).map(syn::Index::from);
                (
                    quote!({ let __ec_vk: [#private::VersionKey; #count] = [#(#items),*]; __ec_vk }),
                    quote!({ let __ec_versions: [&str; #count] = [#(&*__ec_vk[#indices]),*]; __ec_versions }),
                )
            }
        }
    }
}
