//! Calling the functions users give to `#[ecached]` (`key`, `tags`, `prefix`, `timeout`):
//! either with the decorated function's parameters, or with a [`Meta`]. Which one is
//! decided by the function's type, through the marker parameter of [`Source`].

use crate::{IntoTimeout, Meta, Timeout};
use std::time::Duration;

/// Marker: a function of the decorated function's parameters.
#[doc(hidden)]
pub struct ViaArgs;
/// Marker: a function of one `&Meta`.
#[doc(hidden)]
pub struct ViaMeta;
/// Marker: a plain value (only for timeouts).
#[doc(hidden)]
pub struct ViaValue;

/// Something that produces an `Out` for a call. Generated code calls it; users never
/// implement it.
#[doc(hidden)]
pub trait Source<Args, Out, Marker> {
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

macro_rules! via_args {
    ($($arg:ident),*) => {
        impl<F, Out, $($arg),*> Source<($($arg,)*), Out, ViaArgs> for F
        where
            F: Fn($($arg),*) -> Out,
        {
            #[allow(non_snake_case)]
            fn produce(&self, ($($arg,)*): ($($arg,)*), _: &Meta<'_>) -> Out {
                self($($arg),*)
            }
        }
    };
}
via_args!();
via_args!(A);
via_args!(A, B);
via_args!(A, B, C);
via_args!(A, B, C, D);
via_args!(A, B, C, D, E);
via_args!(A, B, C, D, E, G);
via_args!(A, B, C, D, E, G, H);
via_args!(A, B, C, D, E, G, H, I);
via_args!(A, B, C, D, E, G, H, I, J);
via_args!(A, B, C, D, E, G, H, I, J, K);
via_args!(A, B, C, D, E, G, H, I, J, K, L);
via_args!(A, B, C, D, E, G, H, I, J, K, L, M);

macro_rules! timeout_values {
    ($($t:ty),*) => {$(
        impl<Args> Source<Args, $t, ViaValue> for $t {
            fn produce(&self, _: Args, _: &Meta<'_>) -> $t {
                *self
            }
        }
    )*};
}
timeout_values!(
    Timeout,
    Duration,
    Option<Duration>,
    u8,
    u16,
    u32,
    u64,
    usize,
    i8,
    i16,
    i32,
    i64,
    isize
);

/// Tags known only after the call: a `Meta` tags function is called again with the
/// returned value; a function of the parameters cannot be (they moved into the body).
#[doc(hidden)]
pub trait AfterCall<Args, Out, Marker> {
    fn after_call(&self, meta: &Meta<'_>) -> Option<Out>;
}

impl<F, Args, Out> AfterCall<Args, Out, ViaMeta> for F
where
    F: Fn(&Meta<'_>) -> Out,
{
    fn after_call(&self, meta: &Meta<'_>) -> Option<Out> {
        Some(self(meta))
    }
}

macro_rules! after_call_via_args {
    ($($arg:ident),*) => {
        impl<F, Out, $($arg),*> AfterCall<($($arg,)*), Out, ViaArgs> for F
        where
            F: Fn($($arg),*) -> Out,
        {
            fn after_call(&self, _: &Meta<'_>) -> Option<Out> {
                None
            }
        }
    };
}
after_call_via_args!();
after_call_via_args!(A);
after_call_via_args!(A, B);
after_call_via_args!(A, B, C);
after_call_via_args!(A, B, C, D);
after_call_via_args!(A, B, C, D, E);
after_call_via_args!(A, B, C, D, E, G);
after_call_via_args!(A, B, C, D, E, G, H);
after_call_via_args!(A, B, C, D, E, G, H, I);
after_call_via_args!(A, B, C, D, E, G, H, I, J);
after_call_via_args!(A, B, C, D, E, G, H, I, J, K);
after_call_via_args!(A, B, C, D, E, G, H, I, J, K, L);
after_call_via_args!(A, B, C, D, E, G, H, I, J, K, L, M);

/// Tags from the returned value, for a `Meta` tags function (empty for other functions).
#[doc(hidden)]
pub fn produce_tags_after<S, Args, Out, M>(
    source: &S,
    _args: std::marker::PhantomData<Args>,
    meta: &Meta<'_>,
) -> Vec<String>
where
    S: AfterCall<Args, Out, M>,
    Out: IntoIterator,
    Out::Item: Into<String>,
{
    source
        .after_call(meta)
        .map(|tags| tags.into_iter().map(Into::into).collect())
        .unwrap_or_default()
}

/// A key from a key function (`String`, `&str` or anything `Into<String>`).
#[doc(hidden)]
pub fn produce_key<S, Args, Out, M>(source: &S, args: Args, meta: &Meta<'_>) -> String
where
    S: Source<Args, Out, M>,
    Out: Into<String>,
{
    source.produce(args, meta).into()
}

/// Tags from a tags function (any iterable of strings).
#[doc(hidden)]
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
#[doc(hidden)]
pub fn produce_timeout<S, Args, Out, M>(source: &S, args: Args, meta: &Meta<'_>) -> Timeout
where
    S: Source<Args, Out, M>,
    Out: IntoTimeout,
{
    source.produce(args, meta).into_timeout()
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
        let args = [crate::MetaArg::new("a", Some(&a))];
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
