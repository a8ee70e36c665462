//! Mapping easy-cache keys to keys memcached can hold.
//!
//! memcached keys are at most 250 bytes of printable ASCII without spaces; a key with a
//! space or a line break would also split the protocol line and could smuggle a command.
//! Keys that are already safe pass through unchanged (readable in `stats cachedump`);
//! any other key becomes `prefix + "h:" + hex(sha256(prefix + key))`. Keys that start with
//! `h:` are digested too, so a pass-through key can never equal another key's digest.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// memcached's key length limit, in bytes.
///
/// ```
/// use easy_cache_memcached::{MAX_KEY_LEN, MAX_PREFIX_LEN};
/// assert_eq!(MAX_KEY_LEN, 250);
/// assert!(MAX_PREFIX_LEN < MAX_KEY_LEN);
/// ```
pub const MAX_KEY_LEN: usize = 250;
/// Marks a digested key (after the prefix).
const DIGEST_MARK: &str = "h:";
/// Length of the hex digest.
const DIGEST_HEX_LEN: usize = 64;
/// The longest `key_prefix` that still leaves room for a digested key.
///
/// ```
/// use easy_cache_memcached::{MAX_PREFIX_LEN, MemcachedConfig};
/// let fits = MemcachedConfig::new(["h:11211"]).key_prefix("p".repeat(MAX_PREFIX_LEN));
/// fits.validate().unwrap();
/// let too_long = MemcachedConfig::new(["h:11211"]).key_prefix("p".repeat(MAX_PREFIX_LEN + 1));
/// assert!(too_long.validate().unwrap_err().message().contains("key_prefix"));
/// ```
pub const MAX_PREFIX_LEN: usize = MAX_KEY_LEN - DIGEST_MARK.len() - DIGEST_HEX_LEN;

/// Turns caller keys into memcached keys under a fixed prefix.
#[derive(Debug, Clone)]
pub(crate) struct KeyMapper {
    prefix: String,
}

impl KeyMapper {
    /// A mapper for `prefix`, which the config has checked to be safe and short enough.
    pub(crate) fn new(prefix: &str) -> Self {
        KeyMapper {
            prefix: prefix.to_owned(),
        }
    }

    /// The memcached key for `key`: always 1..=250 printable ASCII bytes.
    pub(crate) fn map(&self, key: &str) -> String {
        let passes = !key.is_empty()
            && !key.starts_with(DIGEST_MARK)
            && self.prefix.len() + key.len() <= MAX_KEY_LEN
            && key.bytes().all(|b| b.is_ascii_graphic());
        if passes {
            return format!("{}{key}", self.prefix);
        }
        let mut hasher = Sha256::new();
        hasher.update(self.prefix.as_bytes());
        hasher.update(key.as_bytes());
        let mut out = String::with_capacity(self.prefix.len() + DIGEST_MARK.len() + DIGEST_HEX_LEN);
        out.push_str(&self.prefix);
        out.push_str(DIGEST_MARK);
        for byte in hasher.finalize() {
            // Writing to a String cannot fail.
            let _ = write!(out, "{byte:02x}");
        }
        out
    }
}

/// True when memcached accepts `key` as is (what [`KeyMapper::map`] guarantees).
#[cfg(test)]
fn is_valid_memcached_key(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn safe_keys_pass_through_with_the_prefix() {
        let m = KeyMapper::new("app:");
        assert_eq!(m.map("user:42"), "app:user:42");
        assert_eq!(KeyMapper::new("").map("a"), "a");
        let longest = "k".repeat(MAX_KEY_LEN - 4);
        assert_eq!(m.map(&longest), format!("app:{longest}"));
    }

    #[test]
    fn unsafe_keys_are_digested_into_valid_keys() {
        let m = KeyMapper::new("app:");
        let too_long = "k".repeat(MAX_KEY_LEN - 3);
        let cases = [
            "",
            "with space",
            "line\r\nbreak",
            "tab\t",
            "nul\0",
            "del\x7f",
            "caf\u{e9}",
            "\u{1F980}",
            "h:looks-digested",
            too_long.as_str(),
        ];
        for key in cases {
            let mapped = m.map(key);
            assert!(mapped.starts_with("app:h:"), "{key:?} -> {mapped}");
            assert_eq!(mapped.len(), 4 + 2 + 64);
            assert!(is_valid_memcached_key(&mapped), "{mapped}");
        }
        // The longest allowed prefix still leaves a valid digested key.
        let m = KeyMapper::new(&"p".repeat(MAX_PREFIX_LEN));
        assert_eq!(m.map(" ").len(), MAX_KEY_LEN);
    }

    #[test]
    fn injection_cannot_reach_the_protocol_line() {
        let mapped = KeyMapper::new("").map("a\r\nflush_all\r\n");
        assert!(!mapped.contains(['\r', '\n', ' ']), "{mapped}");
    }

    #[test]
    fn distinct_keys_stay_distinct() {
        let m = KeyMapper::new("");
        let shared = "x".repeat(MAX_KEY_LEN);
        let a = m.map(&format!("{shared}a"));
        let b = m.map(&format!("{shared}b"));
        assert_ne!(a, b);
        // Prefixes are part of the digest, so two apps never share a digested key.
        assert_ne!(KeyMapper::new("a:").map(" "), KeyMapper::new("b:").map(" "));
        // A pass-through key can never look like a digest.
        let digest = m.map(" ");
        assert_ne!(m.map(&digest), digest);
        let mut seen = HashSet::new();
        for i in 0..2000 {
            assert!(seen.insert(m.map(&format!("k {i}"))));
            assert!(seen.insert(m.map(&format!("k{i}"))));
        }
    }

    use proptest::prelude::*;

    /// Keys as users build them from input: any unicode, protocol bytes (NUL, CR, LF,
    /// space), lookalikes of digests, and lengths around and far past the limit.
    fn user_key() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-z:]{0,8}[ \\r\\n\\x00\\t]?[a-z:]{0,8}",
            "h:[0-9a-f]{0,64}",
            (0usize..12_000, any::<char>()).prop_map(|(n, c)| format!("{}{c}", "k".repeat(n))),
        ]
    }

    proptest! {
        #[test]
        fn fuzz_key_digest_is_valid_and_injective(
            prefix in "[a-z]{0,6}:?",
            a in user_key(),
            b in user_key(),
        ) {
            let mapper = KeyMapper::new(&prefix);
            let (mapped_a, mapped_b) = (mapper.map(&a), mapper.map(&b));
            prop_assert!(is_valid_memcached_key(&mapped_a), "{:?} -> {:?}", a, mapped_a);
            prop_assert!(mapped_a.starts_with(&prefix));
            prop_assert_eq!(a == b, mapped_a == mapped_b, "{:?} / {:?}", a, b);
            // Keys differing only past the length limit stay apart (no truncation).
            let (long_a, long_b) = (format!("{}{a}", "x".repeat(300)), format!("{}{b}", "x".repeat(300)));
            prop_assert_eq!(a == b, mapper.map(&long_a) == mapper.map(&long_b));
        }
    }

    #[test]
    fn mapping_is_stable() {
        // Digests must never change between releases: stored data would be orphaned.
        assert_eq!(
            KeyMapper::new("").map(""),
            "h:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
