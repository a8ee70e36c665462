//! Assertion helpers of the suite: every failure names the backend and what was checked,
//! and large values are summarized instead of dumped.

use bytes::Bytes;
use easy_cache_core::{CacheInstance, Result};
use std::fmt::Write as _;

/// The value of a cache call, or a panic naming the backend and the call.
pub(crate) fn ok<T>(cache: &dyn CacheInstance, what: &str, result: Result<T>) -> T {
    result.unwrap_or_else(|e| panic!("[{}] {what} failed: {e}", cache.name()))
}

/// Asserts that `got` is `expected`.
pub(crate) fn value(
    cache: &dyn CacheInstance,
    what: &str,
    got: Option<&Bytes>,
    expected: Option<&[u8]>,
) {
    let same = match (got, expected) {
        (Some(got), Some(expected)) => got.as_ref() == expected,
        (None, None) => true,
        _ => false,
    };
    assert!(
        same,
        "[{}] {what}: got {}, expected {}",
        cache.name(),
        describe(got.map(Bytes::as_ref)),
        describe(expected)
    );
}

/// Asserts that `got` holds exactly `expected`, in order.
pub(crate) fn values(
    cache: &dyn CacheInstance,
    what: &str,
    got: &[Option<Bytes>],
    expected: &[Option<&[u8]>],
) {
    assert_eq!(
        got.len(),
        expected.len(),
        "[{}] {what}: got {} values for {} keys",
        cache.name(),
        got.len(),
        expected.len()
    );
    for (i, (got, expected)) in got.iter().zip(expected).enumerate() {
        value(
            cache,
            &format!("{what} (position {i})"),
            got.as_ref(),
            *expected,
        );
    }
}

/// `None`, or the length and the first bytes of a value.
fn describe(value: Option<&[u8]>) -> String {
    let Some(value) = value else {
        return "None".to_owned();
    };
    let mut out = format!("{} bytes [", value.len());
    for byte in value.iter().take(16) {
        let _ = write!(out, "{byte:02x}");
    }
    if value.len() > 16 {
        out.push('…');
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_values_are_summarized() {
        assert_eq!(describe(None), "None");
        assert_eq!(describe(Some(b"\x00\xff")), "2 bytes [00ff]");
        assert!(describe(Some(&[7; 1000])).starts_with("1000 bytes [0707"));
    }
}
