//! The stored form of a cached value: a header that ties it to its function's type and
//! codec, the versions of its tags when it was computed, then the encoded value.
//!
//! ```text
//! 0xEC | format | codec | fingerprint: u64 LE | n: u8 | n × token (8 bytes)
//!      | m: u8 | m × (len: u16 LE, tag version key, token) | value bytes
//! ```
//! The `n` tokens belong to the version keys the caller computed from the arguments (in
//! order); the `m` named ones to tags known only after the call (from the returned value).

use crate::versions::Token;

const MAGIC: u8 = 0xEC;
const FORMAT: u8 = 1;
const FIXED_HEADER: usize = 1 + 1 + 1 + 8 + 1;

/// What identifies the producer of an entry: a value of another type or codec is a miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub codec: u8,
    pub fingerprint: u64,
}

/// A decoded view of a stored entry, borrowing its bytes.
#[derive(Debug)]
pub(crate) struct EntryView<'a> {
    /// `n` tokens of 8 bytes each, in version-key order.
    pub tokens: &'a [u8],
    pub named: Vec<(&'a str, Token)>,
    pub value: &'a [u8],
}

/// Builds the stored bytes. `value` is encoded by the caller into the returned buffer
/// after the header, so the value is written once.
pub(crate) fn encode_header(
    stamp: Stamp,
    tokens: &[Token],
    named: &[(String, Token)],
    out: &mut Vec<u8>,
) {
    out.reserve(
        FIXED_HEADER
            + 1
            + tokens.len() * 8
            + named.iter().map(|(k, _)| k.len() + 10).sum::<usize>(),
    );
    out.extend_from_slice(&[MAGIC, FORMAT, stamp.codec]);
    out.extend_from_slice(&stamp.fingerprint.to_le_bytes());
    out.push(u8::try_from(tokens.len()).unwrap_or(u8::MAX));
    for token in tokens.iter().take(usize::from(u8::MAX)) {
        out.extend_from_slice(&token.0);
    }
    let named: Vec<_> = named
        .iter()
        .filter(|(k, _)| k.len() <= usize::from(u16::MAX))
        .take(usize::from(u8::MAX))
        .collect();
    out.push(named.len() as u8);
    for (key, token) in named {
        out.extend_from_slice(&(key.len() as u16).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&token.0);
    }
}

/// Why stored bytes were not usable (each is a miss; logged at debug level).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Not an easy-cache entry, a truncated one, or a future format.
    Malformed,
    /// Written by another codec or for another return type.
    ForeignStamp,
}

/// Parses stored bytes without copying; never panics, whatever the input.
pub(crate) fn decode(bytes: &[u8], expected: Stamp) -> Result<EntryView<'_>, Rejected> {
    let mut cursor = Cursor(bytes);
    let [magic, format, codec] = cursor.take_array::<3>()?;
    if magic != MAGIC || format != FORMAT {
        return Err(Rejected::Malformed);
    }
    let fingerprint = u64::from_le_bytes(cursor.take_array::<8>()?);
    if codec != expected.codec || fingerprint != expected.fingerprint {
        return Err(Rejected::ForeignStamp);
    }
    let [n] = cursor.take_array::<1>()?;
    let tokens = cursor.take(usize::from(n) * 8)?;
    let [m] = cursor.take_array::<1>()?;
    let mut named = Vec::new();
    for _ in 0..m {
        let len = u16::from_le_bytes(cursor.take_array::<2>()?);
        let key =
            std::str::from_utf8(cursor.take(usize::from(len))?).map_err(|_| Rejected::Malformed)?;
        named.push((key, Token(cursor.take_array::<8>()?)));
    }
    Ok(EntryView {
        tokens,
        named,
        value: cursor.0,
    })
}

struct Cursor<'a>(&'a [u8]);

impl EntryView<'_> {
    /// How many argument-derived versions the entry carries.
    pub(crate) fn token_count(&self) -> usize {
        self.tokens.len() / 8
    }

    /// Whether the `i`th stored token equals the current version bytes `current`.
    pub(crate) fn token_matches(&self, i: usize, current: Option<&[u8]>) -> bool {
        current.is_some_and(|c| self.tokens.get(i * 8..i * 8 + 8) == Some(c))
    }
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Rejected> {
        if self.0.len() < n {
            return Err(Rejected::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Rejected> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAMP: Stamp = Stamp {
        codec: 1,
        fingerprint: 42,
    };

    fn sample() -> Vec<u8> {
        let mut out = Vec::new();
        let named = vec![("ec:t:book:1".to_owned(), Token([9; 8]))];
        encode_header(STAMP, &[Token([1; 8]), Token([2; 8])], &named, &mut out);
        out.extend_from_slice(b"value");
        out
    }

    #[test]
    fn round_trips_tokens_named_tags_and_value() {
        let bytes = sample();
        let view = decode(&bytes, STAMP).unwrap();
        assert_eq!(view.token_count(), 2);
        assert!(view.token_matches(1, Some(&[2; 8])));
        assert!(!view.token_matches(0, Some(&[2; 8])));
        assert!(!view.token_matches(0, None));
        assert_eq!(view.named, [("ec:t:book:1", Token([9; 8]))]);
        assert_eq!(view.value, b"value");
    }

    #[test]
    fn other_codec_or_type_is_foreign() {
        let bytes = sample();
        assert_eq!(
            decode(&bytes, Stamp { codec: 2, ..STAMP }).unwrap_err(),
            Rejected::ForeignStamp
        );
        assert_eq!(
            decode(
                &bytes,
                Stamp {
                    fingerprint: 1,
                    ..STAMP
                }
            )
            .unwrap_err(),
            Rejected::ForeignStamp
        );
    }

    use proptest::prelude::*;

    fn named_tags() -> impl Strategy<Value = Vec<(String, Token)>> {
        let tag = (any::<String>(), any::<[u8; 8]>()).prop_map(|(k, t)| (k, Token(t)));
        prop::collection::vec(tag, 0..5)
    }

    proptest! {
        #[test]
        fn fuzz_decode_never_panics_on_arbitrary_bytes(
            bytes in prop::collection::vec(any::<u8>(), 0..512),
            codec in any::<u8>(),
            fingerprint in any::<u64>(),
        ) {
            let _ = decode(&bytes, Stamp { codec, fingerprint });
            // The same bytes behind a valid stamp reach the token and tag parsers.
            let mut framed = vec![MAGIC, FORMAT, codec];
            framed.extend_from_slice(&fingerprint.to_le_bytes());
            framed.extend_from_slice(&bytes);
            let _ = decode(&framed, Stamp { codec, fingerprint });
        }

        #[test]
        fn fuzz_encode_then_decode_round_trips_and_every_cut_header_is_rejected(
            tokens in prop::collection::vec(any::<[u8; 8]>().prop_map(Token), 0..6),
            named in named_tags(),
            value in prop::collection::vec(any::<u8>(), 0..64),
        ) {
            let mut bytes = Vec::new();
            encode_header(STAMP, &tokens, &named, &mut bytes);
            let header_len = bytes.len();
            bytes.extend_from_slice(&value);
            let view = decode(&bytes, STAMP).expect("a fresh entry decodes");
            prop_assert_eq!(view.token_count(), tokens.len());
            for (i, token) in tokens.iter().enumerate() {
                prop_assert!(view.token_matches(i, Some(&token.0)));
            }
            let expected: Vec<(&str, Token)> = named.iter().map(|(k, t)| (k.as_str(), *t)).collect();
            prop_assert_eq!(view.named, expected);
            prop_assert_eq!(view.value, &value[..]);
            for cut in 0..header_len {
                prop_assert!(decode(&bytes[..cut], STAMP).is_err(), "cut at {}", cut);
            }
        }
    }

    #[test]
    fn every_truncation_and_future_format_is_malformed_not_a_panic() {
        let bytes = sample();
        let header_len = bytes.len() - b"value".len();
        for cut in 0..header_len {
            assert!(decode(&bytes[..cut], STAMP).is_err(), "cut at {cut}");
        }
        let mut future = bytes.clone();
        future[1] = FORMAT + 1;
        assert_eq!(decode(&future, STAMP).unwrap_err(), Rejected::Malformed);
        for seed in 0..2000u64 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let len = rng.usize(0..64);
            let noise: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let _ = decode(&noise, STAMP);
        }
    }
}
