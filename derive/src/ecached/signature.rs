//! What the macro needs to know of the decorated function's signature.

use crate::errors::Errors;
use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

/// How `self` is taken.
pub(crate) enum Receiver {
    /// `&self`, `self: Arc<Self>`, `self: Box<Self>`...: viewed as `&*self`.
    Deref,
    /// `self` by value: viewed as `&self`.
    Value,
}

/// One named parameter, and how generated code sees it: as a reference ("view").
pub(crate) struct Param {
    pub ident: Ident,
    /// `&T` for `T`, `&U` for `&U` / `&mut U`, lifetimes elided.
    pub view_ty: Type,
    /// Whether the view can be handed to a `Meta` as `&dyn Any` (a `'static` type).
    pub is_static: bool,
    reference: bool,
}

pub(crate) struct Signature {
    pub name: Ident,
    /// An `async fn` (else its calls block: see `emit::function`).
    pub is_async: bool,
    pub receiver: Option<Receiver>,
    /// The function's own `self` token: generated code reads `self` through it, so a
    /// method written inside a wrapper macro still finds its receiver (hygiene).
    self_token: Option<syn::token::SelfValue>,
    pub params: Vec<Param>,
    /// Whether the call's computation can move to a task (refresh ahead, soft timeout): no
    /// receiver, no generics, every parameter of a `'static` type. Decided from the
    /// tokens: a `'static` bound cannot be probed (borrowck checks it after dispatch).
    pub movable: bool,
    /// Parameters whose pattern is not a plain name (usable only where not referenced).
    pub unnamed: Vec<TokenStream>,
    pub output: Type,
}

impl Signature {
    /// The signature's parts; what #[ecached] cannot cache is pushed to `errors`, and the
    /// rest still read (a handle's shape needs the parameters).
    pub(crate) fn analyze(item: &ItemFn, errors: &Errors) -> Self {
        let sig = &item.sig;
        if let Some(constness) = sig.constness {
            errors.spanned(
                constness,
                "#[ecached] cannot cache a `const fn`: a cache is read at run time; remove `const`",
            );
        }
        let generic_names: Vec<String> = sig
            .generics
            .type_params()
            .map(|p| p.ident.to_string())
            .chain(std::iter::once("Self".to_owned()))
            .collect();
        let mut receiver = None;
        let mut self_token = None;
        let mut params = Vec::new();
        let mut unnamed = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(r) => {
                    if r.mutability.is_some() && r.reference.is_some()
                        || mentions_mut_reference(&r.ty) && r.colon_token.is_some()
                    {
                        errors.spanned(
                            r,
                            "#[ecached] does not support `&mut self`: a cache hit would skip the method's changes to `self`",
                        );
                    }
                    self_token = Some(r.self_token);
                    receiver = Some(if r.reference.is_some() || r.colon_token.is_some() {
                        Receiver::Deref
                    } else {
                        Receiver::Value
                    });
                }
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(pat) if pat.subpat.is_none() => {
                        let (view_ty, reference) = view_type(&typed.ty);
                        params.push(Param {
                            ident: pat.ident.clone(),
                            is_static: is_static(&typed.ty, &generic_names),
                            view_ty,
                            reference,
                        });
                    }
                    other => unnamed.push(quote!(#other)),
                },
            }
        }
        if let ReturnType::Type(_, ty) = &sig.output {
            if contains_impl_trait(ty) {
                errors.spanned(
                    ty,
                    "#[ecached] cannot cache an `impl Trait` return type: name the type",
                );
            }
        }
        let output = match &sig.output {
            ReturnType::Default => syn::parse_quote!(()),
            ReturnType::Type(_, ty) => (**ty).clone(),
        };
        let movable = receiver.is_none()
            && sig.generics.params.is_empty()
            && unnamed.is_empty()
            && params.iter().all(|p| p.is_static);
        Signature {
            name: sig.ident.clone(),
            is_async: sig.asyncness.is_some(),
            receiver,
            self_token,
            movable,
            params,
            unnamed,
            output,
        }
    }

    /// Bindings that shadow every parameter with its view, and `self` as `__ec_self`.
    pub(crate) fn view_bindings(&self) -> TokenStream {
        let this_token = &self.self_token;
        let this = self.receiver.as_ref().map(|r| match r {
            Receiver::Deref => quote!(let __ec_self: &Self = &*#this_token;),
            Receiver::Value => quote!(let __ec_self: &Self = &#this_token;),
        });
        let params = self.params.iter().map(|p| {
            let (ident, ty) = (&p.ident, &p.view_ty);
            let value = if p.reference { quote!(&*#ident) } else { quote!(&#ident) };
            quote_spanned!(ident.span()=> #[allow(clippy::needless_borrow)] let #ident: #ty = #value;)
        });
        quote!(#this #(#params)*)
    }

    /// The view types of the selected parameters (`self` first when selected).
    pub(crate) fn view_types(&self, selection: &Selection) -> Vec<TokenStream> {
        let this = selection.this.then(|| quote!(&Self));
        this.into_iter()
            .chain(self.selected(selection).map(|p| {
                let ty = &p.view_ty;
                quote!(#ty)
            }))
            .collect()
    }

    /// Closure parameters `name: view type` of the selected parameters.
    pub(crate) fn closure_params(&self, selection: &Selection) -> Vec<TokenStream> {
        let this = selection.this.then(|| quote!(__ec_self: &Self));
        this.into_iter()
            .chain(self.selected(selection).map(|p| {
                let (ident, ty) = (&p.ident, &p.view_ty);
                quote!(#ident: #ty)
            }))
            .collect()
    }

    /// The views of the selected parameters as a tuple expression, for user functions.
    pub(crate) fn view_tuple(&self, selection: &Selection) -> TokenStream {
        let this = selection.this.then(|| quote!(__ec_self));
        let params = self.selected(selection).map(|p| {
            let ident = &p.ident;
            quote!(#ident)
        });
        let all: Vec<TokenStream> = this.into_iter().chain(params).collect();
        quote!((#(#all,)*))
    }

    fn selected<'a>(&'a self, selection: &'a Selection) -> impl Iterator<Item = &'a Param> {
        self.params
            .iter()
            .filter(|p| selection.params.contains(&p.ident.to_string()))
    }

    /// Every parameter, `self` included.
    pub(crate) fn everything(&self) -> Selection {
        Selection {
            this: self.receiver.is_some(),
            params: self.params.iter().map(|p| p.ident.to_string()).collect(),
        }
    }
}

/// A subset of the parameters (what a key, the tags or the prefix read).
#[derive(Clone, Default)]
pub(crate) struct Selection {
    pub this: bool,
    pub params: Vec<String>,
}

impl Selection {
    pub(crate) fn union(&self, other: &Selection) -> Selection {
        let mut params = self.params.clone();
        params.extend(
            other
                .params
                .iter()
                .filter(|p| !self.params.contains(p))
                .cloned(),
        );
        Selection {
            this: self.this || other.this,
            params,
        }
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.this) + self.params.len()
    }
}

/// `T` → `&T`, `&U`/`&mut U` → `&U`, with every non-`'static` lifetime elided.
fn view_type(ty: &Type) -> (Type, bool) {
    let (inner, reference) = match ty {
        Type::Reference(r) => ((*r.elem).clone(), true),
        other => (other.clone(), false),
    };
    let mut inner = inner;
    ElideLifetimes.visit_type_mut(&mut inner);
    (syn::parse_quote!(&#inner), reference)
}

struct ElideLifetimes;
impl VisitMut for ElideLifetimes {
    fn visit_lifetime_mut(&mut self, lifetime: &mut syn::Lifetime) {
        if lifetime.ident != "static" {
            *lifetime = syn::Lifetime::new("'_", lifetime.span());
        }
    }
}

fn mentions_mut_reference(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_type_reference(&mut self, r: &syn::TypeReference) {
            self.0 |= r.mutability.is_some();
            syn::visit::visit_type_reference(self, r);
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

fn contains_impl_trait(ty: &Type) -> bool {
    struct Finder(bool);
    impl Visit<'_> for Finder {
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

/// True when the type has no reference, lifetime, `impl`, `Self` or generic parameter.
fn is_static(ty: &Type, generic_names: &[String]) -> bool {
    struct Checker<'a> {
        generic_names: &'a [String],
        ok: bool,
    }
    impl Visit<'_> for Checker<'_> {
        fn visit_type_reference(&mut self, _: &syn::TypeReference) {
            self.ok = false;
        }
        fn visit_lifetime(&mut self, l: &syn::Lifetime) {
            self.ok &= l.ident == "static";
        }
        fn visit_type_impl_trait(&mut self, _: &syn::TypeImplTrait) {
            self.ok = false;
        }
        fn visit_type_trait_object(&mut self, _: &syn::TypeTraitObject) {
            self.ok = false;
        }
        fn visit_ident(&mut self, ident: &Ident) {
            self.ok &= !self.generic_names.iter().any(|g| ident == g);
        }
    }
    let mut checker = Checker {
        generic_names,
        ok: true,
    };
    checker.visit_type(ty);
    checker.ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature, and whether it was refused.
    fn analyzed(item: &str) -> (Signature, bool) {
        let errors = Errors::new();
        let sig = Signature::analyze(&syn::parse_str(item).unwrap(), &errors);
        let refused = !errors.is_empty();
        drop(errors.finish());
        (sig, refused)
    }

    fn refused(item: &str) -> bool {
        analyzed(item).1
    }

    #[test]
    fn views_and_static_detection() {
        let (s, refused) = analyzed(
            "async fn f<T: Clone>(a: u64, b: &'a str, c: Option<&str>, d: Vec<T>, e: String, g: Option<&'b str>) {}",
        );
        assert!(!refused);
        let views: Vec<String> = s
            .params
            .iter()
            .map(|p| {
                let t = &p.view_ty;
                quote!(#t).to_string()
            })
            .collect();
        assert_eq!(
            views,
            [
                "& u64",
                "& str",
                "& Option < & str >",
                "& Vec < T >",
                "& String",
                // Named lifetimes become `'_` (higher-ranked in the handle's fn types).
                "& Option < & '_ str >"
            ]
        );
        let statics: Vec<bool> = s.params.iter().map(|p| p.is_static).collect();
        assert_eq!(statics, [true, false, false, false, true, false]);
    }

    #[test]
    fn rejects_mut_self_impl_trait_and_const_fn() {
        assert!(!refused("fn f() {}"));
        assert!(analyzed("async fn f() {}").0.is_async);
        assert!(!analyzed("fn f() {}").0.is_async);
        assert!(refused("const fn f() {}"));
        assert!(refused("fn f(&mut self) {}"));
        assert!(refused("fn f() -> impl Sized {}"));
        assert!(refused("async fn f(&mut self) {}"));
        assert!(refused("async fn f(self: &mut Self) {}"));
        assert!(refused("async fn f() -> impl Sized {}"));
        assert!(!refused("async fn f(self: std::sync::Arc<Self>) {}"));
    }
}
