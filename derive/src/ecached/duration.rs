//! Durations in `#[ecached]` arguments: seconds as a literal, or a const expression.

use syn::{Expr, ExprLit, Lit};

/// Seconds as an integer or float literal, or a const `Duration` expression (option
/// `name`, for the message).
pub(crate) fn duration(expr: &Expr, name: &str) -> syn::Result<proc_macro2::TokenStream> {
    let span = syn::spanned::Spanned::span(expr);
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) => {
            let secs: u64 = int.base10_parse()?;
            Ok(quote::quote_spanned!(span=> ::std::time::Duration::from_secs(#secs)))
        }
        Expr::Lit(ExprLit {
            lit: Lit::Float(float),
            ..
        }) => {
            let secs: f64 = float.base10_parse()?;
            if !(secs.is_finite() && secs >= 0.0) {
                return Err(syn::Error::new(
                    span,
                    format!("`{name}` takes a duration of zero or more seconds"),
                ));
            }
            // Whole microseconds: a `const` Duration without float arithmetic at run time.
            let micros = (secs * 1e6).round() as u64;
            Ok(quote::quote_spanned!(span=> ::std::time::Duration::from_micros(#micros)))
        }
        other => Ok(quote::quote_spanned!(span=> #other)),
    }
}
