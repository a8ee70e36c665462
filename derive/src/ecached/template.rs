//! Key, tag and prefix templates: `"user:{id}"`, `"shop:{self.id}"`, `"n:{n:05}"`,
//! checked against the function's parameters at compile time.
//!
//! A plain placeholder writes its value as an escaped key part (see `KeyPart`), so two
//! different values never write the same text; `{x:hash}` writes a 128-bit hash of that;
//! `{x:raw}` and format specs (`{n:05}`) write the formatted text as it is.

use super::signature::Signature;
use crate::paths::Paths;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::LitStr;

/// One part of a template.
pub(crate) enum Segment {
    Text(String),
    Placeholder {
        root: String,
        fields: Vec<String>,
        spec: Option<String>,
    },
}

/// A parsed template, remembering its literal for error spans.
pub(crate) struct Template {
    pub segments: Vec<Segment>,
    pub span: Span,
    pub literal: String,
}

impl Template {
    /// Parses `literal`; `{{` and `}}` are literal braces.
    pub(crate) fn parse(literal: &LitStr) -> syn::Result<Self> {
        let text = literal.value();
        let error = |message: String| syn::Error::new(literal.span(), message);
        let mut segments = Vec::new();
        let mut current = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    current.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    current.push('}');
                }
                '}' => {
                    return Err(error(format!(
                        "unmatched `}}` in template \"{text}\"; write `}}}}` for a brace"
                    )));
                }
                '{' => {
                    let mut inner = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(c) => inner.push(c),
                            None => {
                                return Err(error(format!("unclosed `{{` in template \"{text}\"")));
                            }
                        }
                    }
                    if !current.is_empty() {
                        segments.push(Segment::Text(std::mem::take(&mut current)));
                    }
                    segments.push(
                        placeholder(&inner)
                            .map_err(|m| error(format!("{m} in template \"{text}\"")))?,
                    );
                }
                c => current.push(c),
            }
        }
        if !current.is_empty() {
            segments.push(Segment::Text(current));
        }
        Ok(Template {
            segments,
            span: literal.span(),
            literal: text,
        })
    }

    /// The parameter names (or `self`) the template reads, in order of appearance
    /// (associated constants, `{Self::CONST}`, read no parameter).
    pub(crate) fn roots(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().filter_map(|s| match s {
            Segment::Placeholder { root, .. } if !root.starts_with(ASSOCIATED) => {
                Some(root.as_str())
            }
            _ => None,
        })
    }

    /// The template's text when it has no placeholders.
    pub(crate) fn constant(&self) -> Option<String> {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(text) => out.push_str(text),
                Segment::Placeholder { .. } => return None,
            }
        }
        Some(out)
    }

    /// Code appending the template to the `String` named `out`; parameters are views
    /// (references) bound under their own names, `self` as `__ec_self`.
    ///
    /// Names resolve to the function's own tokens, not to tokens spanned by the template:
    /// a template written inside a wrapper macro (`macro_rules!`) carries that macro's
    /// hygiene, which would keep it apart from the method's `self` and parameters.
    pub(crate) fn write_into(
        &self,
        out: &syn::Ident,
        sig: &Signature,
        paths: &Paths,
    ) -> TokenStream {
        let span = self.span;
        let paths = paths.spanned(span);
        let (krate, private) = (paths.krate(), paths.private());
        let parts = self.segments.iter().map(|segment| match segment {
            Segment::Text(text) => quote_spanned!(span=> #out.push_str(#text);),
            Segment::Placeholder { root, fields, spec } => {
                let value = self.value(root, fields, sig);
                match spec.as_deref() {
                    None => quote_spanned!(span=> (&#private::KeyWriter(#value)).write_to(&mut #out);),
                    Some("hash") => quote_spanned!(span=> #krate::write_hashed(|__ec_part| (&#private::KeyWriter(#value)).write_to(__ec_part), &mut #out);),
                    Some("raw") => quote_spanned!(span=> let _ = ::std::fmt::Write::write_fmt(&mut #out, format_args!("{}", #value));),
                    Some(spec) => {
                        let format = format!("{{:{spec}}}");
                        quote_spanned!(span=> let _ = ::std::fmt::Write::write_fmt(&mut #out, format_args!(#format, #value));)
                    }
                }
            }
        });
        quote_spanned!(span=> #(#parts)*)
    }

    /// A reference to each placeholder's value, in order (views bound as for
    /// [`write_into`](Self::write_into)): what the key text is made of.
    pub(crate) fn values(&self, sig: &Signature) -> Vec<TokenStream> {
        self.segments
            .iter()
            .filter_map(|segment| match segment {
                Segment::Text(_) => None,
                Segment::Placeholder { root, fields, .. } => Some(self.value(root, fields, sig)),
            })
            .collect()
    }

    /// `&root.field...` for a placeholder.
    fn value(&self, root: &str, fields: &[String], sig: &Signature) -> TokenStream {
        let span = self.span;
        let root = resolve(root, sig, span);
        let fields = fields.iter().map(|f| match f.parse::<u32>() {
            Ok(index) => {
                let index = syn::Index { index, span };
                quote_spanned!(span=> .#index)
            }
            Err(_) => {
                let field = format_ident!("{}", f, span = span);
                quote_spanned!(span=> .#field)
            }
        });
        quote_spanned!(span=> &#root #(#fields)*)
    }

    /// A rough capacity for the built string.
    pub(crate) fn capacity_hint(&self) -> usize {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Text(t) => t.len(),
                Segment::Placeholder { .. } => 8,
            })
            .sum()
    }
}

/// The tokens a placeholder's root stands for: the function's own parameter token, the
/// `self` view (one call-site span for its definition and every use), or `Self::CONST`.
fn resolve(root: &str, sig: &Signature, span: Span) -> TokenStream {
    if root == "self" {
        return quote!(__ec_self);
    }
    if let Some(name) = root.strip_prefix(ASSOCIATED) {
        let name = format_ident!("{}", name, span = span);
        return quote_spanned!(span=> Self::#name);
    }
    match sig.params.iter().find(|p| p.ident == root) {
        Some(param) => param.ident.to_token_stream(),
        // Unknown names were refused when planning; keep a spanned error here too.
        None => format_ident!("{}", root, span = span).to_token_stream(),
    }
}

/// How a template names an associated constant: `{Self::CONST}`.
const ASSOCIATED: &str = "Self::";

fn placeholder(inner: &str) -> Result<Segment, String> {
    let trimmed = inner.trim_start();
    // `Self::NAME` holds the `:` that otherwise starts a format spec.
    let (path, spec) = match trimmed.strip_prefix(ASSOCIATED) {
        Some(rest) => match rest.split_once(':') {
            Some((path, spec)) => (format!("{ASSOCIATED}{path}"), Some(spec.to_owned())),
            None => (format!("{ASSOCIATED}{rest}"), None),
        },
        None => match inner.split_once(':') {
            Some((path, spec)) => (path.to_owned(), Some(spec.to_owned())),
            None => (inner.to_owned(), None),
        },
    };
    let mut parts = path.trim().split('.');
    let root = parts.next().unwrap_or_default().to_owned();
    let root_ok = match root.strip_prefix(ASSOCIATED) {
        Some(name) => is_identifier(name),
        None => is_identifier(&root),
    };
    if !root_ok {
        return Err(format!("`{{{inner}}}` does not name a parameter"));
    }
    let fields: Vec<String> = parts.map(str::to_owned).collect();
    if let Some(bad) = fields
        .iter()
        .find(|f| !is_identifier(f) && f.parse::<u32>().is_err())
    {
        return Err(format!("`{bad}` in `{{{inner}}}` is not a field name"));
    }
    Ok(Segment::Placeholder { root, fields, spec })
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> syn::Result<Template> {
        Template::parse(&LitStr::new(text, Span::call_site()))
    }

    #[test]
    fn parses_placeholders_fields_specs_and_escapes() {
        let t = parse("user:{id}:{self.org.id}:{n:05}:{{x}}").unwrap();
        assert_eq!(t.roots().collect::<Vec<_>>(), ["id", "self", "n"]);
        assert!(t.constant().is_none());
        assert_eq!(parse("a{{b}}").unwrap().constant().as_deref(), Some("a{b}"));
        assert_eq!(parse("{pair.0}").unwrap().roots().count(), 1);
        let t = parse("page:{Self::CONST}:{self.id}:{n}:{Self::WIDTH:04}").unwrap();
        assert_eq!(
            t.roots().collect::<Vec<_>>(),
            ["self", "n"],
            "constants read no parameter"
        );
        assert!(parse("{Self::}").is_err() && parse("{Self::1x}").is_err());
    }

    #[test]
    fn rejects_malformed_templates() {
        for bad in ["{", "}", "{}", "{a b}", "{a.}", "{1x}"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
