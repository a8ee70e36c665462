//! Pieces every backend's URL configuration needs: `%`-decoding and whole-second
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
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = raw.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
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
