//! The options resolved against the signature: templates parsed and checked, and which
//! parameters the key, tags and prefix read.

use super::options::{KeySpec, Options, PrefixSpec, TagsSpec};
use super::signature::{Selection, Signature};
use super::template::Template;
use crate::errors::Errors;
use syn::{Expr, LitStr};

pub(crate) enum KeyPlan {
    Auto,
    Template(Template),
    Function(Expr),
}

pub(crate) enum TagsPlan {
    Templates(Vec<Template>),
    Function(Expr),
}

pub(crate) enum PrefixPlan {
    Template(Template),
    Function(Expr),
}

pub(crate) struct Plan {
    pub key: KeyPlan,
    pub tags: Option<TagsPlan>,
    pub prefix: Option<PrefixPlan>,
    /// What the full key (prefix included) reads.
    pub key_reads: Selection,
    pub tags_read: Selection,
    pub prefix_reads: Selection,
}

/// The most parameters a handle method can take.
const MAX_HANDLE_ARITY: usize = 12;

impl Plan {
    /// The plan; a bad template or parameter is pushed to `errors`, and the plan still
    /// made of the rest (a broken template keys as the automatic key would), so the
    /// caller can shape a stand-in handle.
    pub(crate) fn new(options: &Options, sig: &Signature, errors: &Errors) -> Self {
        options.resilience.check(sig.is_async, errors);
        let everything = sig.everything();
        let parse = |lit: &LitStr| errors.ok(Template::parse(lit));
        let key = match &options.key {
            KeySpec::Auto => KeyPlan::Auto,
            KeySpec::Template(lit) => parse(lit).map_or(KeyPlan::Auto, KeyPlan::Template),
            KeySpec::Function(expr) => KeyPlan::Function(expr.clone()),
        };
        let tags = match &options.tags {
            None => None,
            Some(TagsSpec::Templates(lits)) => Some(TagsPlan::Templates(
                // Every template parsed, so each one's error shows.
                lits.iter().filter_map(parse).collect(),
            )),
            Some(TagsSpec::Function(expr)) => Some(TagsPlan::Function(expr.clone())),
        };
        let prefix = match &options.prefix {
            None => None,
            Some(PrefixSpec::Template(lit)) => parse(lit).map(PrefixPlan::Template),
            Some(PrefixSpec::Function(expr)) => Some(PrefixPlan::Function(expr.clone())),
        };
        let reads = |template: &Template| selection_of(template, sig, errors);
        let key_only = match &key {
            KeyPlan::Template(t) => reads(t),
            KeyPlan::Auto | KeyPlan::Function(_) => everything.clone(),
        };
        let prefix_reads = match &prefix {
            None => Selection::default(),
            Some(PrefixPlan::Template(t)) => reads(t),
            Some(PrefixPlan::Function(_)) => everything.clone(),
        };
        let tags_read = match &tags {
            None => Selection::default(),
            Some(TagsPlan::Templates(ts)) => ts
                .iter()
                .fold(Selection::default(), |acc, t| acc.union(&reads(t))),
            Some(TagsPlan::Function(_)) => everything.clone(),
        };
        let needs_all = matches!(key, KeyPlan::Auto | KeyPlan::Function(_))
            || matches!(tags, Some(TagsPlan::Function(_)))
            || matches!(prefix, Some(PrefixPlan::Function(_)));
        if needs_all {
            if let Some(pattern) = sig.unnamed.first() {
                errors.spanned(
                    pattern,
                    "#[ecached] passes every parameter to the automatic key or to key/tag/prefix functions: give this parameter a plain name",
                );
            }
        }
        let key_reads = prefix_reads.union(&key_only);
        let plan = Plan {
            key,
            tags,
            prefix,
            key_reads,
            tags_read,
            prefix_reads,
        };
        if !plan.fits_handle() {
            errors.push(syn::Error::new(
                sig.name.span(),
                format!(
                    "#[ecached] handles take at most {MAX_HANDLE_ARITY} parameters; use a key template that reads fewer"
                ),
            ));
        }
        plan
    }

    /// Whether every handle method takes at most `MAX_HANDLE_ARITY` parameters (there is
    /// an `ArgsN` for each of those arities only).
    pub(crate) fn fits_handle(&self) -> bool {
        [&self.key_reads, &self.tags_read, &self.prefix_reads]
            .iter()
            .all(|selection| selection.len() <= MAX_HANDLE_ARITY)
    }

    /// Whether a user function (given a `Meta`) is called before the call.
    pub(crate) fn key_needs_meta(&self) -> bool {
        matches!(self.key, KeyPlan::Function(_)) || self.prefix_needs_meta()
    }

    pub(crate) fn prefix_needs_meta(&self) -> bool {
        matches!(self.prefix, Some(PrefixPlan::Function(_)))
    }

    pub(crate) fn tags_need_meta(&self) -> bool {
        matches!(self.tags, Some(TagsPlan::Function(_)))
    }
}

/// The parameters a template reads; an unknown name is a spanned error, and left out.
fn selection_of(template: &Template, sig: &Signature, errors: &Errors) -> Selection {
    let mut selection = Selection::default();
    for root in template.roots() {
        if root == "self" {
            if sig.receiver.is_none() {
                errors.push(syn::Error::new(
                    template.span,
                    format!(
                        "`{{self}}` in \"{}\" but `{}` takes no `self`",
                        template.literal, sig.name
                    ),
                ));
                continue;
            }
            selection.this = true;
        } else if sig.params.iter().any(|p| p.ident == root) {
            if !selection.params.iter().any(|p| p == root) {
                selection.params.push(root.to_owned());
            }
        } else {
            let mut known: Vec<String> = sig.params.iter().map(|p| p.ident.to_string()).collect();
            if sig.receiver.is_some() {
                known.insert(0, "self".to_owned());
            }
            errors.push(syn::Error::new(
                template.span,
                format!(
                    "unknown parameter `{root}` in \"{}\"; `{}` has: {}",
                    template.literal,
                    sig.name,
                    if known.is_empty() {
                        "no parameters".to_owned()
                    } else {
                        known.join(", ")
                    }
                ),
            ));
        }
    }
    selection
}
