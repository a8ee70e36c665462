//! Where generated code finds easy-cache. Every path the macros emit starts from a
//! [`Paths`]: `::easy_cache` by default, or the root given by `crate = "..."` (for a
//! renamed dependency, or a crate that re-exports easy-cache).

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Expr, ExprLit, Lit};

/// The roots of emitted paths.
#[derive(Clone)]
pub(crate) struct Paths {
    /// The facade crate: `::easy_cache` or the `crate` option.
    krate: TokenStream,
    /// What only generated code names, kept out of the facade's documented surface.
    private: TokenStream,
}

impl Default for Paths {
    fn default() -> Self {
        Paths::new(None)
    }
}

impl Paths {
    /// The paths under `root` (the `crate` option), or under `::easy_cache`.
    pub(crate) fn new(root: Option<&syn::Path>) -> Self {
        let krate = match root {
            Some(path) => quote!(#path),
            None => quote!(::easy_cache),
        };
        let private = quote!(#krate::__private);
        Paths { krate, private }
    }

    /// The facade crate, e.g. `::easy_cache`.
    pub(crate) fn krate(&self) -> &TokenStream {
        &self.krate
    }

    /// The facade's `__private` module.
    pub(crate) fn private(&self) -> &TokenStream {
        &self.private
    }

    /// The same paths with every token at `span`, for code spanned on the user's tokens
    /// (so a type error in it points there).
    pub(crate) fn spanned(&self, span: Span) -> Self {
        Paths {
            krate: respan(&self.krate, span),
            private: respan(&self.private, span),
        }
    }
}

/// A path holds no groups: every token is an identifier or a punctuation mark.
fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

/// The value of `crate = "..."`: a path in a string, as tokio's and serde's macros take it.
pub(crate) fn parse_crate_option(value: &Expr) -> syn::Result<syn::Path> {
    let mut value = value;
    while let Expr::Group(group) = value {
        value = &group.expr;
    }
    match value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => s.parse_with(syn::Path::parse_mod_style).map_err(|_| {
            syn::Error::new(
                s.span(),
                format!(
                    "`crate` takes the path of the easy-cache crate, e.g. `crate = \"easy_cache\"`; `{}` is not a path",
                    s.value()
                ),
            )
        }),
        other => Err(syn::Error::new_spanned(
            other,
            "`crate` takes the path of the easy-cache crate in a string, e.g. `crate = \"easy_cache\"`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_root_is_the_facade() {
        let paths = Paths::default();
        assert_eq!(paths.krate().to_string(), ":: easy_cache");
        assert_eq!(paths.private().to_string(), ":: easy_cache :: __private");
    }

    #[test]
    fn crate_option_takes_a_path_in_a_string() {
        let root = parse_crate_option(&syn::parse_quote!("my_app::cache")).unwrap();
        let paths = Paths::new(Some(&root));
        assert_eq!(paths.private().to_string(), "my_app :: cache :: __private");
        assert!(parse_crate_option(&syn::parse_quote!("not a path")).is_err());
        assert!(parse_crate_option(&syn::parse_quote!(easy_cache)).is_err());
    }
}
