//! Which part of a function's return value is cached.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Decides what of a return value `R` is cached and how a cached value becomes an `R`.
/// The macro picks [`Plain`], [`OkOnly`] for `Result` and, with `cache_none = false`,
/// [`SomeOnly`] for `Option`.
///
/// ```
/// use easy_cache_core::ReturnPolicy;
/// /// Caches non-empty lists only.
/// struct NonEmpty;
/// impl ReturnPolicy<Vec<u32>> for NonEmpty {
///     type Value = Vec<u32>;
///     fn cacheable(result: &Vec<u32>) -> Option<&Vec<u32>> { (!result.is_empty()).then_some(result) }
///     fn from_value(value: Vec<u32>) -> Vec<u32> { value }
/// }
/// assert_eq!(NonEmpty::cacheable(&vec![]), None);
/// assert_eq!(NonEmpty::cacheable(&vec![1]), Some(&vec![1]));
/// ```
pub trait ReturnPolicy<R> {
    /// The cached type.
    ///
    /// ```
    /// use easy_cache_core::{OkOnly, ReturnPolicy};
    /// // For `Result<Vec<u64>, String>`, `OkOnly` caches the `Vec<u64>`.
    /// let cached: <OkOnly as ReturnPolicy<Result<Vec<u64>, String>>>::Value = vec![3, 5];
    /// assert_eq!(cached.len(), 2);
    /// ```
    type Value: Serialize + DeserializeOwned;
    /// The part to cache, or `None` when this result must not be cached.
    ///
    /// ```
    /// use easy_cache_core::{OkOnly, ReturnPolicy};
    /// let ok: Result<u32, String> = Ok(3);
    /// assert_eq!(OkOnly::cacheable(&ok), Some(&3));
    /// assert_eq!(OkOnly::cacheable(&Err::<u32, _>("down".to_string())), None);
    /// ```
    fn cacheable(result: &R) -> Option<&Self::Value>;
    /// Rebuilds a return value from a cached one.
    ///
    /// ```
    /// use easy_cache_core::{ReturnPolicy, SomeOnly};
    /// let from_cache: Option<String> = SomeOnly::from_value("Ann".to_string());
    /// assert_eq!(from_cache.as_deref(), Some("Ann"));
    /// ```
    fn from_value(value: Self::Value) -> R;
}

/// Cache every returned value.
///
/// ```
/// use easy_cache_core::{Plain, ReturnPolicy};
/// // Even an `Err` is a value to `Plain`: use `OkOnly` to keep errors out.
/// let failed: Result<u8, String> = Err("down".into());
/// assert_eq!(Plain::cacheable(&failed), Some(&failed));
/// assert_eq!(Plain::from_value(5u8), 5);
/// ```
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
///
/// ```
/// use easy_cache_core::{OkOnly, ReturnPolicy};
/// let ok: Result<u32, String> = Ok(3);
/// let err: Result<u32, String> = Err("timeout".into());
/// assert_eq!(OkOnly::cacheable(&ok), Some(&3));
/// assert_eq!(OkOnly::cacheable(&err), None);
/// let hit: Result<u32, String> = OkOnly::from_value(3);
/// assert_eq!(hit, Ok(3));
/// ```
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
///
/// ```
/// use easy_cache_core::{ReturnPolicy, SomeOnly};
/// assert_eq!(SomeOnly::cacheable(&Some(5u8)), Some(&5));
/// assert_eq!(SomeOnly::cacheable(&None::<u8>), None);
/// let hit: Option<u8> = SomeOnly::from_value(5);
/// assert_eq!(hit, Some(5));
/// ```
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
