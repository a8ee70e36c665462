//! Pieces every backend's URL configuration needs: `%`-decoding and -encoding, and whole-second
//! timeouts in serde.

use crate::{Error, ErrorKind, Result};

/// Decodes `%XX` escapes in one part of a backend URL. Errors are
/// [`ErrorKind::Config`] naming the scheme and the field.
///
/// ```
/// use easy_cache_core::percent_decode;
/// assert_eq!(percent_decode("p%40ss%3Aword", "redis", "password").unwrap(), "p@ss:word");
/// let err = percent_decode("bad%2", "sled", "path").unwrap_err();
/// assert!(err.message().contains("sled:// `path`"));
/// ```
pub fn percent_decode(raw: &str, scheme: &str, field: &str) -> Result<String> {
    let bad = || {
        Error::new(
            ErrorKind::Config,
            format!(
                "{scheme}:// {} has an invalid %-escape or is not UTF-8",
                crate::shown_in_error(field)
            ),
        )
    };
    // `percent_encoding` keeps a malformed escape as it is; a configuration should say so
    // instead, so every `%` must start two hex digits.
    let bytes = raw.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err(bad());
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| bad())
}

/// What [`percent_encode`] escapes: everything but RFC 3986's unreserved characters, so
/// no delimiter of any URL part (`& = ? # / @ : %`, blanks) survives.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `text` escaped to stand as one part of a URL (an option's name or value, a userinfo
/// field): [`percent_decode`] gives `text` back exactly, whatever it holds.
///
/// ```
/// use easy_cache_core::{percent_decode, percent_encode};
/// assert_eq!(percent_encode("p%41&x=1"), "p%2541%26x%3D1");
/// assert_eq!(percent_decode(&percent_encode("p%41&x=1"), "redis", "password").unwrap(), "p%41&x=1");
/// assert_eq!(percent_encode("timeout_ms"), "timeout_ms");
/// ```
pub fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, COMPONENT).to_string()
}

/// `#[serde(with = "easy_cache_core::optional_seconds")]`: an `Option<Duration>` as whole
/// seconds (`None` = absent), as backend configs write default timeouts.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use std::time::Duration;
/// #[derive(Serialize, Deserialize)]
/// struct Config {
///     #[serde(with = "easy_cache_core::optional_seconds", default)]
///     default_timeout: Option<Duration>,
/// }
/// let config: Config = serde_json::from_str(r#"{"default_timeout": 60}"#).unwrap();
/// assert_eq!(config.default_timeout, Some(Duration::from_secs(60)));
/// # let _ = serde_json::to_string(&config).unwrap();
/// ```
pub mod optional_seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    /// Writes whole seconds, or none.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut out = Vec::new();
    /// let mut json = serde_json::Serializer::new(&mut out);
    /// easy_cache_core::optional_seconds::serialize(&Some(Duration::from_millis(90_500)), &mut json).unwrap();
    /// assert_eq!(out, b"90");
    /// ```
    pub fn serialize<S: Serializer>(value: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_some(&d.as_secs()),
            None => s.serialize_none(),
        }
    }

    /// Reads whole seconds, or none.
    ///
    /// ```
    /// use std::time::Duration;
    /// let mut json = serde_json::Deserializer::from_str("600");
    /// let read = easy_cache_core::optional_seconds::deserialize(&mut json).unwrap();
    /// assert_eq!(read, Some(Duration::from_secs(600)));
    /// ```
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn malformed_escapes_are_errors() {
        for raw in ["%", "%4", "%zz", "a%g1", "%C3%28"] {
            assert!(percent_decode(raw, "redis", "password").is_err(), "{raw}");
        }
        assert_eq!(
            percent_decode("a+b%20c", "redis", "key_prefix").unwrap(),
            "a+b c"
        );
    }

    proptest! {
        #[test]
        fn percent_encode_round_trips_any_text(text in any::<String>()) {
            let encoded = percent_encode(&text);
            prop_assert!(!encoded.contains(['&', '=', '?', '#', '/', '@', ':', ' ']));
            prop_assert_eq!(percent_decode(&encoded, "redis", "password").unwrap(), text);
        }
    }
}
