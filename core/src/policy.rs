//! Which part of a function's return value is cached.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decides what of a return value `R` is cached and how a cached value becomes an `R`.
/// The macro picks [`Plain`], [`OkOnly`] for `Result` and, with `cache_none = false`,
/// [`SomeOnly`] for `Option`.
pub trait ReturnPolicy<R> {
    /// The cached type.
    type Value: Serialize + DeserializeOwned;
    /// The part to cache, or `None` when this result must not be cached.
    fn cacheable(result: &R) -> Option<&Self::Value>;
    /// Rebuilds a return value from a cached one.
    fn from_value(value: Self::Value) -> R;
}

/// Cache every returned value.
#[derive(Debug)]
pub struct Plain;
impl<T: Serialize + DeserializeOwned> ReturnPolicy<T> for Plain {
    type Value = T;
    fn cacheable(result: &T) -> Option<&T> {
        Some(result)
    }
    fn from_value(value: T) -> T {
        value
    }
}

/// Cache `Ok` values only; errors are returned and never stored.
#[derive(Debug)]
pub struct OkOnly;
impl<T: Serialize + DeserializeOwned, E> ReturnPolicy<Result<T, E>> for OkOnly {
    type Value = T;
    fn cacheable(result: &Result<T, E>) -> Option<&T> {
        result.as_ref().ok()
    }
    fn from_value(value: T) -> Result<T, E> {
        Ok(value)
    }
}

/// Cache `Some` values only (`#[ecached(cache_none = false)]`).
#[derive(Debug)]
pub struct SomeOnly;
impl<T: Serialize + DeserializeOwned> ReturnPolicy<Option<T>> for SomeOnly {
    type Value = T;
    fn cacheable(result: &Option<T>) -> Option<&T> {
        result.as_ref()
    }
    fn from_value(value: T) -> Option<T> {
        Some(value)
    }
}
