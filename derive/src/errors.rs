//! Every error of one macro call, so a single compile shows all of them: each stage
//! (arguments, signature, templates, plan) pushes its errors here and keeps going where it
//! can, instead of stopping at the first `?`.

use proc_macro2::TokenStream;
use quote::ToTokens;
use std::cell::RefCell;
use std::fmt::Display;

/// The errors found so far. Hand it back with [`Errors::finish`]: dropping it unchecked
/// would lose errors, so it panics (as serde_derive's `Ctxt` does), which a test run shows.
#[must_use = "call `finish` to emit the errors"]
pub(crate) struct Errors {
    /// `None` once finished.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Errors {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    pub(crate) fn push(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("errors pushed after `finish`")
            .push(error);
    }

    /// An error spanned on `tokens`.
    pub(crate) fn spanned(&self, tokens: impl ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// The value, or `None` with its error pushed.
    pub(crate) fn ok<T>(&self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.errors.borrow().as_ref().is_none_or(Vec::is_empty)
    }

    /// Moves `other`'s errors here (a stage that had its own collector).
    pub(crate) fn append(&self, other: Errors) {
        for error in other.take() {
            self.push(error);
        }
    }

    /// The errors as `compile_error!` invocations, each at its span; empty when none.
    pub(crate) fn finish(self) -> TokenStream {
        self.take()
            .into_iter()
            .map(|error| error.to_compile_error())
            .collect()
    }

    fn take(self) -> Vec<syn::Error> {
        self.errors.borrow_mut().take().unwrap_or_default()
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("macro errors dropped without `Errors::finish`");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proc_macro2::Span;

    #[test]
    fn finish_emits_every_error() {
        let errors = Errors::new();
        assert!(errors.is_empty());
        errors.push(syn::Error::new(Span::call_site(), "first"));
        assert_eq!(errors.ok::<u8>(Ok(1)), Some(1));
        assert_eq!(
            errors.ok::<u8>(Err(syn::Error::new(Span::call_site(), "second"))),
            None
        );
        let inner = Errors::new();
        inner.spanned(quote::quote!(x), "third");
        errors.append(inner);
        assert!(!errors.is_empty());
        let emitted = errors.finish().to_string();
        for message in ["first", "second", "third"] {
            assert!(emitted.contains(message), "{emitted}");
        }
    }

    #[test]
    #[should_panic(expected = "dropped without")]
    fn dropping_unchecked_errors_panics() {
        let errors = Errors::new();
        drop(errors);
    }
}
