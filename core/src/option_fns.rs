//! Calling the functions users give to `#[ecached]` (`key`, `tags`, `prefix`, `timeout`):
//! either with the decorated function's parameters, or with a [`Meta`]. Which one is
//! decided by the function's type, through the marker parameter of [`Source`].

use crate::backend::timeout::{Timeout, for_each_seconds_type};
use crate::handle::arity::for_each_arity;
use crate::meta::Meta;
use std::time::Duration;

/// Marker: a function of the decorated function's parameters.
pub struct ViaArgs;
/// Marker: a function of one `&Meta`.
pub struct ViaMeta;
/// Marker: a plain value (only for timeouts).
pub struct ViaValue;

/// Something that produces an `Out` for a call. Generated code calls it; users never
/// implement it.
pub trait Source<Args, Out, Marker> {
    /// The `Out` of one call, from its parameters or its [`Meta`].
    fn produce(&self, args: Args, meta: &Meta<'_>) -> Out;
}

impl<F, Args, Out> Source<Args, Out, ViaMeta> for F
where
    F: Fn(&Meta<'_>) -> Out,
{
    fn produce(&self, _: Args, meta: &Meta<'_>) -> Out {
        self(meta)
    }
}

/// Value tags, known only after the call: a `Meta` tags function is called again with the
/// returned value; a function of the parameters cannot be (they moved into the body).
pub trait ValueTagsSource<Args, Out, Marker> {
    /// The value tags, from the [`Meta`] built after the call (`None`: it has none).
    fn value_tags(&self, meta: &Meta<'_>) -> Option<Out>;
}

impl<F, Args, Out> ValueTagsSource<Args, Out, ViaMeta> for F
where
    F: Fn(&Meta<'_>) -> Out,
{
    fn value_tags(&self, meta: &Meta<'_>) -> Option<Out> {
        Some(self(meta))
    }
}

macro_rules! via_args {
    ($wrapper:ident; $($arg:ident $param:ident),*) => {
        impl<F, Out, $($arg),*> Source<($($arg,)*), Out, ViaArgs> for F
        where
            F: Fn($($arg),*) -> Out,
        {
            fn produce(&self, ($($param,)*): ($($arg,)*), _: &Meta<'_>) -> Out {
                self($($param),*)
            }
        }

        impl<F, Out, $($arg),*> ValueTagsSource<($($arg,)*), Out, ViaArgs> for F
        where
            F: Fn($($arg),*) -> Out,
        {
            fn value_tags(&self, _: &Meta<'_>) -> Option<Out> {
                None
            }
        }
    };
}
for_each_arity!(via_args);

macro_rules! timeout_values {
    ($($t:ty),*) => {$(
        impl<Args> Source<Args, $t, ViaValue> for $t {
            fn produce(&self, _: Args, _: &Meta<'_>) -> $t {
                *self
            }
        }
    )*};
}
timeout_values!(Timeout, Duration, Option<Duration>);
for_each_seconds_type!(timeout_values);

/// Value tags from a `Meta` tags function (empty for other functions).
pub fn produce_value_tags<S, Args, Out, M>(
    source: &S,
    _args: std::marker::PhantomData<Args>,
    meta: &Meta<'_>,
) -> Vec<String>
where
    S: ValueTagsSource<Args, Out, M>,
    Out: IntoIterator,
    Out::Item: Into<String>,
{
    source
        .value_tags(meta)
        .map(|tags| tags.into_iter().map(Into::into).collect())
        .unwrap_or_default()
}

/// A key from a key function (`String`, `&str` or anything `Into<String>`).
pub fn produce_key<S, Args, Out, M>(source: &S, args: Args, meta: &Meta<'_>) -> String
where
    S: Source<Args, Out, M>,
    Out: Into<String>,
{
    source.produce(args, meta).into()
}

/// Tags from a tags function (any iterable of strings).
pub fn produce_tags<S, Args, Out, M>(source: &S, args: Args, meta: &Meta<'_>) -> Vec<String>
where
    S: Source<Args, Out, M>,
    Out: IntoIterator,
    Out::Item: Into<String>,
{
    source
        .produce(args, meta)
        .into_iter()
        .map(Into::into)
        .collect()
}

/// A timeout from a value or a function returning seconds, a `Duration` or a `Timeout`.
pub fn produce_timeout<S, Args, Out, M>(source: &S, args: Args, meta: &Meta<'_>) -> Timeout
where
    S: Source<Args, Out, M>,
    Out: Into<Timeout>,
{
    source.produce(args, meta).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_params(a: &u64, b: &str) -> String {
        format!("{a}-{b}")
    }
    fn by_meta(meta: &Meta<'_>) -> String {
        format!("m{}", meta.arg::<u64>("a").copied().unwrap_or(0))
    }
    fn seconds_for(group: &str) -> u64 {
        if group == "admins" { 10 } else { 100 }
    }

    #[test]
    fn dispatches_on_the_function_type() {
        let a = 3u64;
        let args = [crate::meta::MetaArg::new("a", Some(&a))];
        let meta = Meta::before_call("f", &args, None);
        assert_eq!(produce_key(&by_params, (&a, "x"), &meta), "3-x");
        assert_eq!(produce_key(&by_meta, (&a, "x"), &meta), "m3");
        let closure = |a: &u64, _: &str| a.to_string();
        assert_eq!(produce_key(&closure, (&a, "x"), &meta), "3");
    }

    #[test]
    fn timeouts_from_values_and_functions() {
        let meta = Meta::before_call("f", &[], None);
        assert_eq!(
            produce_timeout(&seconds_for, ("admins",), &meta),
            Timeout::secs(10)
        );
        assert_eq!(
            produce_timeout(&Duration::from_secs(3), ("x",), &meta),
            Timeout::secs(3)
        );
        assert_eq!(produce_timeout(&Timeout::Never, (), &meta), Timeout::Never);
        assert_eq!(produce_tags(&|| ["a", "b"], (), &meta), ["a", "b"]);
    }
}
