//! Which part of a function's return value is cached.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decides what of a return value `R` is cached and how a cached value becomes an `R`.
/// The macro picks [`AnyValue`], [`OkOnly`] for `Result` and, with `cache_none = false`,
/// [`SomeOnly`] for `Option`.
pub trait ReturnPolicy<R> {
    /// The cached type.
    type Value: Serialize + DeserializeOwned;
    /// The part to cache, or `None` when this result must not be cached.
    fn cacheable(result: &R) -> Option<&Self::Value>;
    /// Rebuilds a return value from a cached one.
    fn from_value(value: Self::Value) -> R;
    /// Whether `result` is a failure (an `Err`): a fail-safe function then serves its last
    /// good value instead. Not caching a value (a `None`) is no failure.
    fn failed(result: &R) -> bool {
        let _ = result;
        false
    }
}

/// Cache every returned value.
#[derive(Debug)]
pub struct AnyValue;
impl<T: Serialize + DeserializeOwned> ReturnPolicy<T> for AnyValue {
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
    fn failed(result: &Result<T, E>) -> bool {
        result.is_err()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_value_caches_even_an_err() {
        let failed: Result<u8, String> = Err("down".into());
        assert_eq!(AnyValue::cacheable(&failed), Some(&failed));
        assert_eq!(AnyValue::from_value(5u8), 5);
    }

    #[test]
    fn ok_only_keeps_errors_out() {
        let ok: Result<u32, String> = Ok(3);
        let err: Result<u32, String> = Err("timeout".into());
        assert_eq!(OkOnly::cacheable(&ok), Some(&3));
        assert_eq!(OkOnly::cacheable(&err), None);
        let hit: Result<u32, String> = OkOnly::from_value(3);
        assert_eq!(hit, Ok(3));
    }

    #[test]
    fn some_only_keeps_none_out() {
        assert_eq!(SomeOnly::cacheable(&Some(5u8)), Some(&5));
        assert_eq!(SomeOnly::cacheable(&None::<u8>), None);
        let hit: Option<u8> = SomeOnly::from_value(5);
        assert_eq!(hit, Some(5));
    }

    /// Caches non-empty lists only.
    struct NonEmpty;
    impl ReturnPolicy<Vec<u32>> for NonEmpty {
        type Value = Vec<u32>;
        fn cacheable(result: &Vec<u32>) -> Option<&Vec<u32>> {
            (!result.is_empty()).then_some(result)
        }
        fn from_value(value: Vec<u32>) -> Vec<u32> {
            value
        }
    }

    #[test]
    fn a_policy_decides_what_is_cached() {
        assert_eq!(NonEmpty::cacheable(&vec![]), None);
        assert_eq!(NonEmpty::cacheable(&vec![1]), Some(&vec![1]));
    }
}
