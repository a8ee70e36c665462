//! The struct's `#[ecached(...)]` attributes: each declares a property
//! (`property = ..., returns = ..., ...`), or the crate root (`crate = "..."`).

use crate::errors::Errors;
use crate::paths::{Paths, parse_crate_option};
use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Expr, ExprLit, Ident, Lit, Token, Type, Visibility};

pub(crate) struct Property {
    name: Ident,
    returns: Type,
    compute: Option<Expr>,
    docs: Option<String>,
    /// `sync`: the compute method and the getter are plain `fn`s.
    sync: bool,
    /// Everything else, passed to `#[ecached]` as written.
    options: Vec<TokenStream>,
}

/// One `name = value` of a struct-level `#[ecached(...)]`; `returns` takes a type, the
/// others an expression.
struct PropertyArg {
    name: Ident,
    value: TokenStream,
    expr: Option<Expr>,
}

impl Parse for PropertyArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `parse_any`: `crate` is a keyword.
        let name = Ident::parse_any(input)?;
        if name == "sync" && !input.peek(Token![=]) {
            // A flag: `sync` alone is `sync = true`.
            let expr: Expr = syn::parse_quote!(true);
            return Ok(PropertyArg {
                name,
                value: quote!(#expr),
                expr: Some(expr),
            });
        }
        input.parse::<Token![=]>()?;
        if name == "returns" {
            let ty: Type = input.parse()?;
            return Ok(PropertyArg {
                name,
                value: quote!(#ty),
                expr: None,
            });
        }
        let expr: Expr = input.parse()?;
        Ok(PropertyArg {
            name,
            value: quote!(#expr),
            expr: Some(expr),
        })
    }
}

/// Everything the struct's attributes declare.
pub(crate) struct Declarations {
    pub properties: Vec<Property>,
    /// `crate = "..."`: the root of emitted paths, and the option as written, to pass on to
    /// each getter's `#[ecached]`.
    pub krate: Option<(syn::Path, TokenStream)>,
}

/// Reads every `#[ecached(...)]` of the struct; a mistake is pushed to `errors` and the
/// rest still read.
pub(crate) fn parse_declarations(
    attrs: &[Attribute],
    fields: &[String],
    errors: &Errors,
) -> Declarations {
    let mut declarations = Declarations {
        properties: Vec::new(),
        krate: None,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("ecached")) {
        let Some(args) =
            errors.ok(attr.parse_args_with(Punctuated::<PropertyArg, Token![,]>::parse_terminated))
        else {
            continue;
        };
        let (crate_args, args): (Vec<_>, Vec<_>) =
            args.into_iter().partition(|arg| arg.name == "crate");
        for arg in crate_args {
            if !args.is_empty() {
                errors.spanned(
                    &arg.name,
                    "give `crate` in an attribute of its own: #[ecached(crate = \"...\")]",
                );
            } else if declarations.krate.is_some() {
                errors.spanned(&arg.name, "`crate` is given twice");
            } else if let Some(path) = arg
                .expr
                .as_ref()
                .and_then(|expr| errors.ok(parse_crate_option(expr)))
            {
                let (name, value) = (arg.name, arg.value);
                declarations.krate = Some((path, quote!(#name = #value)));
            }
        }
        if !args.is_empty() {
            declarations
                .properties
                .extend(Property::parse(attr, args, fields, errors));
        }
    }
    declarations
}

impl Property {
    /// One property; a wrong option is pushed to `errors` and left out, so the getter and
    /// its handle still exist (`None` without a name or a return type).
    fn parse(
        attr: &Attribute,
        options: Vec<PropertyArg>,
        fields: &[String],
        errors: &Errors,
    ) -> Option<Self> {
        let mut name = None;
        let mut returns = None;
        let mut compute = None;
        let mut docs = None;
        let mut sync = false;
        let mut passed = Vec::new();
        // A property or return type given but wrong is reported once, not also as missing.
        let given = |wanted: &str| options.iter().any(|o| o.name == wanted);
        let (name_given, returns_given) = (given("property"), given("returns"));
        for option in options {
            match option.name.to_string().as_str() {
                "property" => match option.expr {
                    Some(Expr::Path(path)) if path.path.get_ident().is_some() => {
                        name = path.path.get_ident().cloned()
                    }
                    _ => errors.spanned(
                        option.value,
                        "`property` takes the getter's name, e.g. `property = friends_count`",
                    ),
                },
                "returns" => returns = errors.ok(syn::parse2::<Type>(option.value)),
                "compute" => compute = option.expr,
                "doc" => match option.expr {
                    Some(Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    })) => docs = Some(s.value()),
                    _ => errors.spanned(option.value, "`doc` takes a string"),
                },
                "sync" => match option.expr {
                    Some(Expr::Lit(ExprLit {
                        lit: Lit::Bool(b), ..
                    })) => sync = b.value,
                    _ => errors.spanned(option.value, "`sync` takes `true` or `false`, or stands alone"),
                },
                "key" | "tags" | "prefix" => {
                    if errors.ok(check_fields(option.expr.as_ref(), fields)).is_some() {
                        let (n, v) = (option.name, option.value);
                        passed.push(quote!(#n = #v));
                    }
                }
                "timeout" | "cache_alias" | "cache_instance" | "single_flight"
                | "single_flight_wait" | "cache_none" | "codec" | "version" | "fail_safe"
                | "fail_safe_throttle" | "refresh_ahead" | "jitter" | "soft_timeout"
                | "hard_timeout" => {
                    let (n, v) = (option.name, option.value);
                    passed.push(quote!(#n = #v));
                }
                other => errors.push(syn::Error::new(
                    option.name.span(),
                    format!(
                        "unknown property option `{other}`; expected property, returns, compute, doc, sync, or an #[ecached] argument"
                    ),
                )),
            }
        }
        let Some(name) = name else {
            if !name_given {
                errors.spanned(attr, "a property needs `property = <getter name>`");
            }
            return None;
        };
        let Some(returns) = returns else {
            if !returns_given {
                errors.spanned(attr, format!("property `{name}` needs `returns = <type>`"));
            }
            return None;
        };
        Some(Property {
            name,
            returns,
            compute,
            docs,
            sync,
            options: passed,
        })
    }

    /// The cached getter, calling (awaiting, unless `sync`) the compute method.
    pub(crate) fn getter(
        &self,
        vis: &Visibility,
        paths: &Paths,
        crate_option: Option<&TokenStream>,
    ) -> TokenStream {
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
        let paths = paths.spanned(name.span());
        let krate = paths.krate();
        let options = options.iter().chain(crate_option);
        if self.sync {
            return quote_spanned! {name.span()=>
                #[doc = #doc]
                #[#krate::ecached(#(#options),*)]
                #vis fn #name(&self) -> #returns {
                    (#compute)(self)
                }
            };
        }
        quote_spanned! {name.span()=>
            #[doc = #doc]
            #[#krate::ecached(#(#options),*)]
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
