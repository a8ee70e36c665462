//! The fail-safe, refresh, jitter and timeout options of `#[ecached]`: parsed from their
//! literals, checked against the signature, emitted as const builders of the `FnCache`.

use super::duration::duration;
use crate::errors::Errors;
use crate::paths::Paths;
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::{Expr, ExprLit, Lit};

/// The options as given (each a const expression, and where it was written).
#[derive(Default)]
pub(crate) struct ResilienceOptions {
    fail_safe: Option<TokenStream>,
    fail_safe_throttle: Option<TokenStream>,
    refresh_ahead: Option<Share>,
    jitter: Option<Share>,
    soft_timeout: Option<(TokenStream, Span)>,
    hard_timeout: Option<(TokenStream, Span)>,
    /// The options turned off (`fail_safe = false`): the `ResilienceOption` variants.
    off: Vec<&'static str>,
}

/// A fraction of the lifetime, or a duration.
enum Share {
    Fraction(f64),
    Duration(TokenStream),
}

impl ResilienceOptions {
    /// Reads option `name`; `false` when it is not one of these.
    pub(crate) fn set(&mut self, name: &str, span: Span, value: &Expr) -> syn::Result<bool> {
        if let Expr::Lit(ExprLit {
            lit: Lit::Bool(flag),
            ..
        }) = value
        {
            return self.turn_off(name, flag);
        }
        match name {
            "fail_safe" => self.fail_safe = Some(duration(value, name)?),
            "fail_safe_throttle" => self.fail_safe_throttle = Some(duration(value, name)?),
            "refresh_ahead" => self.refresh_ahead = Some(share(value, name)?),
            "jitter" => self.jitter = Some(share(value, name)?),
            "soft_timeout" => self.soft_timeout = Some((duration(value, name)?, span)),
            "hard_timeout" => self.hard_timeout = Some((duration(value, name)?, span)),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `name = false`: the option stays off whatever the instance's defaults say.
    fn turn_off(&mut self, name: &str, flag: &syn::LitBool) -> syn::Result<bool> {
        let variant = match name {
            "fail_safe" => "FailSafe",
            "refresh_ahead" => "RefreshAhead",
            "jitter" => "Jitter",
            "soft_timeout" => "SoftTimeout",
            "hard_timeout" => "HardTimeout",
            "fail_safe_throttle" => {
                return Err(syn::Error::new(
                    flag.span(),
                    "`fail_safe_throttle` takes a duration; `fail_safe = false` turns fail-safe off",
                ));
            }
            _ => return Ok(false),
        };
        if flag.value {
            return Err(syn::Error::new(
                flag.span(),
                format!(
                    "`{name}` takes a duration{}, or `false` to turn off the instance's default",
                    if matches!(name, "refresh_ahead" | "jitter") {
                        " or a fraction of the lifetime"
                    } else {
                        ""
                    }
                ),
            ));
        }
        self.off.push(variant);
        Ok(true)
    }

    /// Whether a call may move its computation to a task (refresh ahead, soft timeout):
    /// unless the function turns both off, the instance's defaults may ask for either.
    pub(crate) fn may_move(&self) -> bool {
        !(self.off.contains(&"RefreshAhead") && self.off.contains(&"SoftTimeout"))
    }

    /// The hard timeout, when set.
    pub(crate) fn hard_timeout(&self) -> Option<&(TokenStream, Span)> {
        self.hard_timeout.as_ref()
    }

    /// Whether the instance's default hard timeout may apply (the function neither sets
    /// its own nor turns it off).
    pub(crate) fn takes_default_hard_timeout(&self) -> bool {
        self.hard_timeout.is_none() && !self.off.contains(&"HardTimeout")
    }

    /// Refuses what the function cannot have: timeouts on a sync `fn` (its computation
    /// cannot be interrupted), a soft timeout without fail-safe (it serves the stale value
    /// fail-safe keeps).
    pub(crate) fn check(&self, is_async: bool, errors: &Errors) {
        for (option, name) in [
            (&self.soft_timeout, "soft_timeout"),
            (&self.hard_timeout, "hard_timeout"),
        ] {
            if let (Some((_, span)), false) = (option, is_async) {
                errors.push(syn::Error::new(
                    *span,
                    format!(
                        "`{name}` needs an `async fn`: a sync computation cannot be interrupted"
                    ),
                ));
            }
        }
        if let (Some((_, span)), None) = (&self.soft_timeout, &self.fail_safe) {
            errors.push(syn::Error::new(
                *span,
                "`soft_timeout` serves the stale value that `fail_safe` keeps: add `fail_safe = <max stale>`",
            ));
        }
    }

    /// The `FnCache` builder calls.
    pub(crate) fn builders(&self, paths: &Paths) -> TokenStream {
        let private = paths.private();
        let mut out = TokenStream::new();
        if let Some(d) = &self.fail_safe {
            out.extend(quote!(.with_fail_safe(#d)));
        }
        if let Some(d) = &self.fail_safe_throttle {
            out.extend(quote!(.with_fail_safe_throttle(#d)));
        }
        if let Some(share) = &self.refresh_ahead {
            let when = match share {
                Share::Fraction(f) => quote!(#private::RefreshAhead::Fraction(#f)),
                Share::Duration(d) => quote!(#private::RefreshAhead::After(#d)),
            };
            out.extend(quote!(.with_refresh_ahead(#when)));
        }
        if let Some(share) = &self.jitter {
            let jitter = match share {
                Share::Fraction(f) => quote!(#private::Jitter::Fraction(#f)),
                Share::Duration(d) => quote!(#private::Jitter::UpTo(#d)),
            };
            out.extend(quote!(.with_jitter(#jitter)));
        }
        if let Some((d, _)) = &self.soft_timeout {
            out.extend(quote!(.with_soft_timeout(#d)));
        }
        for variant in &self.off {
            let variant = syn::Ident::new(variant, Span::call_site());
            out.extend(quote!(.without(#private::ResilienceOption::#variant)));
        }
        out
    }
}

/// A float literal from 0 to 1 is a fraction of the lifetime; anything else a duration.
fn share(value: &Expr, name: &str) -> syn::Result<Share> {
    if let Expr::Lit(ExprLit {
        lit: Lit::Float(float),
        ..
    }) = value
    {
        let fraction: f64 = float.base10_parse()?;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(syn::Error::new(
                float.span(),
                format!(
                    "`{name}` takes a fraction of the lifetime from 0.0 to 1.0, or a duration (whole seconds, or a `Duration`)"
                ),
            ));
        }
        return Ok(Share::Fraction(fraction));
    }
    Ok(Share::Duration(duration(value, name)?))
}
