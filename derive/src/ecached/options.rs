//! Parsing `#[ecached(...)]` arguments, positional as in the seed
//! (`key, timeout, tags, prefix`) and by name.

use super::duration::duration;
use super::resilience::ResilienceOptions;
use crate::errors::Errors;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, ExprLit, Ident, Lit, LitStr, Token};

/// How the key is built.
pub(crate) enum KeySpec {
    /// Module path, function name and every argument.
    Auto,
    /// A template such as `"user:{id}"`.
    Template(LitStr),
    /// A function of the parameters or of a `Meta`.
    Function(Expr),
}

/// A timeout argument.
pub(crate) enum TimeoutSpec {
    Backend,
    Seconds(Expr),
    Expr(Expr),
}

/// Tags: templates, or a function.
pub(crate) enum TagsSpec {
    Templates(Vec<LitStr>),
    Function(Expr),
}

/// A prefix: a template, or a function.
pub(crate) enum PrefixSpec {
    Template(LitStr),
    Function(Expr),
}

/// Where the cache is.
pub(crate) enum TargetSpec {
    Alias(LitStr),
    Instance(Expr),
}

pub(crate) struct Options {
    pub key: KeySpec,
    pub timeout: TimeoutSpec,
    pub tags: Option<TagsSpec>,
    pub prefix: Option<PrefixSpec>,
    pub target: Option<TargetSpec>,
    pub single_flight: bool,
    /// How long waiters wait for the computing call: a `Duration` expression (const).
    pub single_flight_wait: Option<proc_macro2::TokenStream>,
    pub cache_none: bool,
    pub codec: Option<syn::Path>,
    pub version: u64,
    /// The root of emitted paths (`crate = "..."`); `None` is `::easy_cache`.
    pub krate: Option<syn::Path>,
    /// Fail-safe, refresh ahead, jitter, soft and hard timeouts.
    pub resilience: ResilienceOptions,
}

const KNOWN: &str = "key, timeout, tags, prefix, cache_alias, cache_instance, single_flight, single_flight_wait, cache_none, codec, version, fail_safe, fail_safe_throttle, refresh_ahead, jitter, soft_timeout, hard_timeout, crate";
const POSITIONAL: [&str; 4] = ["key", "timeout", "tags", "prefix"];

enum Arg {
    Named(Ident, Expr),
    Positional(Expr),
}

impl Parse for Arg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        // `parse_any`: `crate` is a keyword.
        if input.peek(Ident::peek_any) && input.peek2(Token![=]) && !input.peek2(Token![==]) {
            let name = Ident::parse_any(input)?;
            input.parse::<Token![=]>()?;
            Ok(Arg::Named(name, input.parse()?))
        } else {
            Ok(Arg::Positional(input.parse()?))
        }
    }
}

struct Args(Punctuated<Arg, Token![,]>);

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        Ok(Args(Punctuated::parse_terminated(input)?))
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            key: KeySpec::Auto,
            timeout: TimeoutSpec::Backend,
            tags: None,
            prefix: None,
            target: None,
            single_flight: true,
            single_flight_wait: None,
            cache_none: true,
            codec: None,
            version: 0,
            krate: None,
            resilience: ResilienceOptions::default(),
        }
    }
}

impl Options {
    /// The arguments; a wrong one is pushed to `errors` and the others still read.
    pub(crate) fn parse(attr: proc_macro2::TokenStream, errors: &Errors) -> Self {
        let mut options = Options::default();
        let Some(args) = errors.ok(syn::parse2::<Args>(attr)) else {
            return options;
        };
        let mut seen: Vec<String> = Vec::new();
        let mut positional = 0;
        let mut named_started = false;
        for arg in args.0 {
            let (name, span, value) = match arg {
                Arg::Named(name, value) => {
                    named_started = true;
                    (name.to_string(), name.span(), value)
                }
                Arg::Positional(value) => {
                    if named_started {
                        errors.spanned(value, "positional arguments must come before named ones");
                        continue;
                    }
                    let Some(name) = POSITIONAL.get(positional) else {
                        errors.spanned(
                            value,
                            "too many positional arguments: #[ecached] takes key, timeout, tags, prefix in that order",
                        );
                        continue;
                    };
                    positional += 1;
                    let span = syn::spanned::Spanned::span(&value);
                    ((*name).to_owned(), span, value)
                }
            };
            if seen.contains(&name) {
                errors.push(syn::Error::new(span, format!("`{name}` is given twice")));
                continue;
            }
            seen.push(name.clone());
            errors.ok(options.set(&name, span, value));
        }
        options
    }

    fn set(&mut self, name: &str, span: proc_macro2::Span, value: Expr) -> syn::Result<()> {
        // A value passed on by a wrapper macro (`$key:literal`, `$t:expr`) arrives in an
        // invisible group.
        let mut value = value;
        while let Expr::Group(group) = value {
            value = *group.expr;
        }
        if self.resilience.set(name, span, &value)? {
            return Ok(());
        }
        match name {
            "key" => {
                self.key = match value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => KeySpec::Template(s),
                    Expr::Array(array) => KeySpec::Template(names_template(&array)?),
                    other => KeySpec::Function(other),
                }
            }
            "timeout" => {
                self.timeout = match &value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Int(_) | Lit::Float(_),
                        ..
                    }) => TimeoutSpec::Seconds(value),
                    _ => TimeoutSpec::Expr(value),
                }
            }
            "tags" => {
                self.tags = Some(match value {
                    Expr::Array(array) => TagsSpec::Templates(
                        array
                            .elems
                            .iter()
                            .map(string_literal)
                            .collect::<syn::Result<_>>()?,
                    ),
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => TagsSpec::Templates(vec![s]),
                    other => TagsSpec::Function(other),
                })
            }
            "prefix" => {
                self.prefix = Some(match value {
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => PrefixSpec::Template(s),
                    other => PrefixSpec::Function(other),
                })
            }
            "cache_alias" | "cache_instance" => {
                if self.target.is_some() {
                    return Err(syn::Error::new(
                        span,
                        "give either `cache_alias` or `cache_instance`, not both",
                    ));
                }
                self.target = Some(if name == "cache_alias" {
                    TargetSpec::Alias(string_literal(&value)?)
                } else {
                    TargetSpec::Instance(value)
                });
            }
            "single_flight" => self.single_flight = bool_literal(&value)?,
            "single_flight_wait" => {
                self.single_flight_wait = Some(duration(&value, "single_flight_wait")?)
            }
            "cache_none" => self.cache_none = bool_literal(&value)?,
            "codec" => match value {
                Expr::Path(path) => self.codec = Some(path.path),
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`codec` takes a codec type, e.g. `codec = easy_cache::Json`",
                    ));
                }
            },
            "version" => match &value {
                Expr::Lit(ExprLit {
                    lit: Lit::Int(int), ..
                }) => self.version = int.base10_parse()?,
                other => {
                    return Err(syn::Error::new_spanned(
                        other,
                        "`version` takes an integer literal",
                    ));
                }
            },
            "crate" => self.krate = Some(crate::paths::parse_crate_option(&value)?),
            _ => {
                return Err(syn::Error::new(
                    span,
                    format!("unknown #[ecached] argument `{name}`; expected one of: {KNOWN}"),
                ));
            }
        }
        Ok(())
    }
}

fn string_literal(expr: &Expr) -> syn::Result<LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(s.clone()),
        Expr::Group(group) => string_literal(&group.expr),
        other => Err(syn::Error::new_spanned(other, "expected a string literal")),
    }
}

fn bool_literal(expr: &Expr) -> syn::Result<bool> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Bool(b), ..
        }) => Ok(b.value),
        other => Err(syn::Error::new_spanned(other, "expected `true` or `false`")),
    }
}

/// `["a", "b"]` is the template `"{a}:{b}"`.
fn names_template(array: &syn::ExprArray) -> syn::Result<LitStr> {
    let names: Vec<String> = array
        .elems
        .iter()
        .map(|e| string_literal(e).map(|s| format!("{{{}}}", s.value())))
        .collect::<syn::Result<_>>()?;
    Ok(LitStr::new(
        &names.join(":"),
        syn::spanned::Spanned::span(array),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn every_wrong_argument_is_reported_and_the_rest_still_read() {
        let errors = Errors::new();
        let options = Options::parse(
            quote!(
                "user:{id}",
                timeot = 5,
                cache_none = 1,
                single_flight = false,
                crate = 7
            ),
            &errors,
        );
        let messages: Vec<String> = errors
            .finish()
            .into_iter()
            .filter_map(|token| match token {
                proc_macro2::TokenTree::Group(group) => Some(group.stream().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(matches!(options.key, KeySpec::Template(_)));
        assert!(!options.single_flight);
        assert!(options.krate.is_none());
    }

    #[test]
    fn crate_is_a_named_argument_despite_being_a_keyword() {
        let errors = Errors::new();
        let options = Options::parse(quote!(crate = "my_app::cache", version = 2), &errors);
        assert!(errors.finish().is_empty());
        let root = options.krate.unwrap();
        assert_eq!(quote!(#root).to_string(), "my_app :: cache");
        assert_eq!(options.version, 2);
    }
}
