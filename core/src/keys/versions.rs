//! Tag and prefix versions: invalidating a tag writes one new random token; an entry is
//! valid while every token it was stored with is still current.

use bytes::Bytes;

/// The version of one tag or prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token(pub [u8; 8]);

impl Token {
    /// A new random token (64 bits: collisions are not a practical concern).
    pub(crate) fn fresh() -> Self {
        Token(fastrand::u64(..).to_le_bytes())
    }

    /// Reads a token stored in the backend; anything but 8 bytes is no token.
    pub(crate) fn from_stored(bytes: &[u8]) -> Option<Self> {
        bytes.try_into().ok().map(Token)
    }

    pub(crate) fn to_bytes(self) -> Bytes {
        Bytes::copy_from_slice(&self.0)
    }
}

/// Namespace of tag version keys.
///
/// ```
/// use easy_cache_core::{TAG_VERSION_PREFIX, tag_version_key};
/// assert_eq!(tag_version_key("users").strip_prefix(TAG_VERSION_PREFIX), Some("users"));
/// ```
pub const TAG_VERSION_PREFIX: &str = "ec:t:";
/// Namespace of prefix version keys.
///
/// ```
/// use easy_cache_core::{PREFIX_VERSION_PREFIX, TAG_VERSION_PREFIX, prefix_version_key};
/// assert_eq!(prefix_version_key("shop:1").strip_prefix(PREFIX_VERSION_PREFIX), Some("shop:1"));
/// assert_ne!(PREFIX_VERSION_PREFIX, TAG_VERSION_PREFIX); // a tag and a prefix never share a key
/// ```
pub const PREFIX_VERSION_PREFIX: &str = "ec:p:";

/// The storage key holding the version of `tag`.
///
/// ```
/// assert_eq!(easy_cache_core::tag_version_key("users"), "ec:t:users");
/// ```
pub fn tag_version_key(tag: &str) -> String {
    let mut key = String::with_capacity(TAG_VERSION_PREFIX.len() + tag.len());
    key.push_str(TAG_VERSION_PREFIX);
    key.push_str(tag);
    key
}

/// The storage key holding the version of `prefix`.
///
/// ```
/// assert_eq!(easy_cache_core::prefix_version_key("shop:1"), "ec:p:shop:1");
/// ```
pub fn prefix_version_key(prefix: &str) -> String {
    let mut key = String::with_capacity(PREFIX_VERSION_PREFIX.len() + prefix.len());
    key.push_str(PREFIX_VERSION_PREFIX);
    key.push_str(prefix);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_tokens_differ_and_round_trip() {
        let a = Token::fresh();
        assert_ne!(a, Token::fresh());
        assert_eq!(Token::from_stored(&a.to_bytes()), Some(a));
        assert_eq!(Token::from_stored(b"short"), None);
    }

    #[test]
    fn tag_and_prefix_namespaces_do_not_collide() {
        assert_ne!(tag_version_key("x"), prefix_version_key("x"));
    }

    /// The derive cannot depend on this crate, so it writes fixed tags' version keys with
    /// a copy of [`TAG_VERSION_PREFIX`] and sizes prefix keys with the length of
    /// [`PREFIX_VERSION_PREFIX`]; this test pins the copies to the originals.
    #[test]
    fn the_derive_writes_the_same_version_prefixes() {
        let read = |file: &str| {
            let path = format!(
                "{}/../derive/src/ecached/emit/{file}",
                env!("CARGO_MANIFEST_DIR")
            );
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
        };
        let tag = format!("const TAG_VERSION_PREFIX: &str = {TAG_VERSION_PREFIX:?};");
        assert!(
            read("version_keys.rs").contains(&tag),
            "version_keys.rs must say `{tag}`"
        );
        let len = format!(
            "const PREFIX_VERSION_PREFIX_LEN: usize = {};",
            PREFIX_VERSION_PREFIX.len()
        );
        assert!(
            read("mod.rs").contains(&len),
            "emit/mod.rs must say `{len}`"
        );
    }
}
