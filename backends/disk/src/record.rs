//! The stored record of the on-disk backends: an 8-byte big-endian expiry (Unix
//! milliseconds, 0 = never) followed by the value bytes.
//!
//! ```
//! use easy_cache_disk::record::{self, State};
//! use std::time::Duration;
//! let record = record::encode(record::expiry_at(1_000, Some(Duration::from_secs(2))), b"v");
//! assert_eq!(record::state(&record, || 2_999), State::Live(b"v"));
//! assert_eq!(record::state(&record, || 3_000), State::Expired);
//! ```

use std::{
    borrow::Cow,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Bytes of the expiry header.
pub const HEADER_LEN: usize = 8;

/// The expiry value meaning "never expires".
pub const NEVER: u64 = 0;

/// What a stored record says about its key.
#[derive(Debug, PartialEq, Eq)]
pub enum State<'a> {
    /// A live value: the record's bytes after the header.
    Live(&'a [u8]),
    /// Expired at or before `now`: reads as absent.
    Expired,
    /// Shorter than the header: not written by this backend, reads as absent.
    Corrupt,
}

/// The stored key of a cache key: `prefix` then the key's bytes (borrowed when there is
/// no prefix).
///
/// ```
/// use easy_cache_disk::record::prefixed;
/// assert_eq!(prefixed(b"app:", "k").as_ref(), b"app:k");
/// assert!(matches!(prefixed(b"", "k"), std::borrow::Cow::Borrowed(b"k")));
/// ```
#[inline]
pub fn prefixed<'a>(prefix: &[u8], key: &'a str) -> Cow<'a, [u8]> {
    if prefix.is_empty() {
        Cow::Borrowed(key.as_bytes())
    } else {
        let mut full = Vec::with_capacity(prefix.len() + key.len());
        full.extend_from_slice(prefix);
        full.extend_from_slice(key.as_bytes());
        Cow::Owned(full)
    }
}

/// The current time in Unix milliseconds (0 if the clock is before 1970).
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The expiry of a value stored at `now` for `ttl` (`None` = never), rounded up to the
/// next millisecond so a sub-millisecond lifetime still stores.
pub fn expiry_at(now: u64, ttl: Option<Duration>) -> u64 {
    match ttl {
        None => NEVER,
        Some(ttl) => {
            let millis = u64::try_from(ttl.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX);
            now.saturating_add(millis.max(1))
        }
    }
}

/// A record of `value` expiring at `expiry`.
pub fn encode(expiry: u64, value: &[u8]) -> Vec<u8> {
    let mut record = Vec::with_capacity(HEADER_LEN + value.len());
    record.extend_from_slice(&expiry.to_be_bytes());
    record.extend_from_slice(value);
    record
}

/// The expiry of `record`, or `None` when it is corrupt.
pub fn expiry(record: &[u8]) -> Option<u64> {
    record
        .first_chunk::<HEADER_LEN>()
        .map(|h| u64::from_be_bytes(*h))
}

/// The state of `record` at the time `now` gives, which is asked only for a record that
/// can expire: a record stored without a lifetime is read without a clock read.
pub fn state(record: &[u8], now: impl FnOnce() -> u64) -> State<'_> {
    let Some((header, value)) = record.split_first_chunk::<HEADER_LEN>() else {
        return State::Corrupt;
    };
    let expiry = u64::from_be_bytes(*header);
    if expiry != NEVER && expiry <= now() {
        return State::Expired;
    }
    State::Live(value)
}

/// `record` with its expiry moved to `wanted` when that is later (0 = never is latest), or
/// `None` when the record is not live at `now` or already lives long enough.
pub fn lengthened(record: &[u8], wanted: u64, now: u64) -> Option<Vec<u8>> {
    let (header, value) = record.split_first_chunk::<HEADER_LEN>()?;
    let expiry = u64::from_be_bytes(*header);
    let live = expiry == NEVER || expiry > now;
    let later = expiry != NEVER && (wanted == NEVER || wanted > expiry);
    (live && later).then(|| encode(wanted, value))
}

/// Whether `record` holds a live value at `now` (false for expired and corrupt records).
pub fn is_live(record: &[u8], now: u64) -> bool {
    expiry(record).is_some_and(|expiry| expiry == NEVER || expiry > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_expires() {
        let record = encode(expiry_at(1_000, Some(Duration::from_secs(2))), b"value");
        assert_eq!(&record[..HEADER_LEN], &3_000u64.to_be_bytes());
        assert_eq!(expiry(&record), Some(3_000));
        assert_eq!(state(&record, || 2_999), State::Live(b"value"));
        assert_eq!(state(&record, || 3_000), State::Expired);
        assert!(!is_live(&record, 3_001));
    }

    #[test]
    fn never_expires_and_empty_values_are_live() {
        let record = encode(expiry_at(5, None), b"");
        assert_eq!(&record[..], &[0u8; HEADER_LEN]);
        let never = || -> u64 { panic!("a record that never expires needs no clock") };
        assert_eq!(state(&record, never), State::Live(b""));
        assert!(is_live(&record, u64::MAX));
    }

    #[test]
    fn lengthening_only_moves_a_live_expiry_later() {
        let record = encode(1_000, b"v");
        let longer = lengthened(&record, 5_000, 500).unwrap();
        assert_eq!(state(&longer, || 4_000), State::Live(b"v"));
        assert_eq!(lengthened(&record, 800, 500), None, "never shortened");
        assert_eq!(
            lengthened(&record, 5_000, 1_000),
            None,
            "expired stays expired"
        );
        let forever = lengthened(&record, NEVER, 500).unwrap();
        assert_eq!(
            lengthened(&forever, 9_000, 500),
            None,
            "never is the longest"
        );
    }

    #[test]
    fn short_records_are_corrupt() {
        assert_eq!(state(b"1234567", || 0), State::Corrupt);
        assert_eq!(state(b"", || 0), State::Corrupt);
        assert_eq!(expiry(b"1234567"), None);
        assert!(!is_live(b"", 0));
    }

    #[test]
    fn sub_millisecond_lifetimes_round_up_and_huge_ones_saturate() {
        assert_eq!(expiry_at(10, Some(Duration::from_micros(1))), 11);
        assert_eq!(expiry_at(10, Some(Duration::from_micros(1_500))), 12);
        assert_eq!(expiry_at(10, Some(Duration::MAX)), u64::MAX);
    }
}
