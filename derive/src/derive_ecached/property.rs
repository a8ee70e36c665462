//! One `#[ecached(property = ..., returns = ..., ...)]` declaration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, Token, Type, Visibility};

pub(crate) struct Property {
    name: Ident,
    returns: Type,
    compute: Option<Expr>,
    docs: Option<String>,
    /// Everything else, passed to `#[ecached]` as written.
    options: Vec<TokenStream>,
}

struct Option_ {
    name: Ident,
    value: TokenStream,
    expr: Option<Expr>,
}

impl Parse for Option_ {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        if name == "returns" {
            let ty: Type = input.parse()?;
            return Ok(Option_ {
                name,
                value: quote!(#ty),
                expr: None,
            });
        }
        let expr: Expr = input.parse()?;
        Ok(Option_ {
            name,
            value: quote!(#expr),
            expr: Some(expr),
        })
    }
}

impl Property {
    pub(crate) fn parse(attr: &Attribute, fields: &[String]) -> syn::Result<Self> {
        let options = attr.parse_args_with(Punctuated::<Option_, Token![,]>::parse_terminated)?;
        let mut name = None;
        let mut returns = None;
        let mut compute = None;
        let mut docs = None;
        let mut passed = Vec::new();
        for option in options {
            match option.name.to_string().as_str() {
                "property" => match option.expr {
                    Some(Expr::Path(path)) if path.path.get_ident().is_some() => {
                        name = path.path.get_ident().cloned()
                    }
                    _ => {
                        return Err(syn::Error::new_spanned(
                            option.value,
                            "`property` takes the getter's name, e.g. `property = friends_count`",
                        ));
                    }
                },
                "returns" => returns = Some(syn::parse2::<Type>(option.value)?),
                "compute" => compute = option.expr,
                "doc" => match option.expr {
                    Some(Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    })) => docs = Some(s.value()),
                    _ => {
                        return Err(syn::Error::new_spanned(
                            option.value,
                            "`doc` takes a string",
                        ));
                    }
                },
                "key" | "tags" | "prefix" => {
                    check_fields(option.expr.as_ref(), fields)?;
                    let (n, v) = (option.name, option.value);
                    passed.push(quote!(#n = #v));
                }
                "timeout" | "cache_alias" | "cache_instance" | "single_flight"
                | "single_flight_wait" | "cache_none" | "codec" | "version" => {
                    let (n, v) = (option.name, option.value);
                    passed.push(quote!(#n = #v));
                }
                other => {
                    return Err(syn::Error::new(
                        option.name.span(),
                        format!(
                            "unknown property option `{other}`; expected property, returns, compute, doc, or an #[ecached] argument"
                        ),
                    ));
                }
            }
        }
        let name = name.ok_or_else(|| {
            syn::Error::new_spanned(attr, "a property needs `property = <getter name>`")
        })?;
        let returns = returns.ok_or_else(|| {
            syn::Error::new_spanned(attr, format!("property `{name}` needs `returns = <type>`"))
        })?;
        Ok(Property {
            name,
            returns,
            compute,
            docs,
            options: passed,
        })
    }

    /// The cached getter, awaiting the compute method.
    pub(crate) fn getter(&self, vis: &Visibility) -> TokenStream {
        let Property {
            name,
            returns,
            options,
            ..
        } = self;
        let compute = match &self.compute {
            Some(expr) => quote!(#expr),
            None => {
                let method = format_ident!("compute_{}", name, span = name.span());
                quote_spanned!(name.span()=> Self::#method)
            }
        };
        let doc = self.docs.clone().unwrap_or_else(|| {
            format!(
                "The cached property `{name}` (see `{name}_cache()` to invalidate or refresh it)."
            )
        });
        quote_spanned! {name.span()=>
            #[doc = #doc]
            #[::easy_cache::ecached(#(#options),*)]
            #vis async fn #name(&self) -> #returns {
                (#compute)(self).await
            }
        }
    }
}

/// `{self.x}` in a template must name a field of the struct: a clearer error than rustc's.
fn check_fields(expr: Option<&Expr>, fields: &[String]) -> syn::Result<()> {
    let mut literals = Vec::new();
    match expr {
        Some(Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        })) => literals.push(s.clone()),
        Some(Expr::Array(array)) => {
            for e in &array.elems {
                if let Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                }) = e
                {
                    literals.push(s.clone());
                }
            }
        }
        _ => {}
    }
    for literal in literals {
        let text = literal.value();
        for part in text.split("{self.").skip(1) {
            let field: String = part
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !fields.contains(&field) {
                return Err(syn::Error::new(
                    literal.span(),
                    format!(
                        "no field `{field}` in \"{text}\"; the struct has: {}",
                        fields.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}
