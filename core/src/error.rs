//! The one error type of easy-cache, with a kind callers can match on.

use std::fmt;

/// What went wrong, coarse enough to match on.
///
/// ```
/// use easy_cache_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::Timeout, "redis://cache:6379 took over 250 ms");
/// // Timeouts and backend failures may pass; configuration errors will not.
/// assert!(matches!(err.kind(), ErrorKind::Timeout | ErrorKind::Backend));
/// assert_eq!(ErrorKind::Config.to_string(), "configuration error");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The backend could not be reached or failed the request (I/O, protocol, server error).
    Backend,
    /// The backend did not answer within its operation timeout.
    Timeout,
    /// A value could not be encoded for storage.
    Encode,
    /// Stored bytes could not be decoded (corrupt, foreign, or an older layout).
    Decode,
    /// A URL or configuration value is invalid.
    Config,
    /// A URL names a scheme no linked backend registered.
    UnknownScheme,
    /// No cache instance is registered under the requested alias.
    UnknownAlias,
    /// A key or value the backend cannot hold (too large, forbidden bytes).
    Unsupported,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::Backend => "backend error",
            ErrorKind::Timeout => "backend timeout",
            ErrorKind::Encode => "encode error",
            ErrorKind::Decode => "decode error",
            ErrorKind::Config => "configuration error",
            ErrorKind::UnknownScheme => "unknown URL scheme",
            ErrorKind::UnknownAlias => "unknown cache alias",
            ErrorKind::Unsupported => "unsupported key or value",
        })
    }
}

/// An easy-cache error: a [`ErrorKind`], a message, and optionally its source.
///
/// ```
/// use easy_cache_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::UnknownAlias, "no cache named `sessions`");
/// assert_eq!(err.kind(), ErrorKind::UnknownAlias);
/// assert_eq!(err.to_string(), "unknown cache alias: no cache named `sessions`");
/// ```
#[derive(Debug, thiserror::Error)]
#[error("{kind}: {message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// A new error of `kind` with a message.
    ///
    /// ```
    /// use easy_cache_core::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::Config, format!("unknown option `{}`", "colour"));
    /// assert_eq!(err.to_string(), "configuration error: unknown option `colour`");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the underlying error.
    ///
    /// ```
    /// use easy_cache_core::{Error, ErrorKind};
    /// use std::error::Error as _;
    /// let parse = "soon".parse::<u64>().unwrap_err();
    /// let err = Error::new(ErrorKind::Config, "`timeout_ms` must be a number").with_source(parse);
    /// assert_eq!(err.source().unwrap().to_string(), "invalid digit found in string");
    /// ```
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What kind of failure this is.
    ///
    /// ```
    /// use easy_cache_core::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::Decode, "truncated entry");
    /// assert_eq!(err.kind(), ErrorKind::Decode);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind.
    ///
    /// ```
    /// use easy_cache_core::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::UnknownAlias, "no cache named `users`");
    /// assert_eq!(err.message(), "no cache named `users`");
    /// assert_eq!(err.to_string(), "unknown cache alias: no cache named `users`");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Shorthand for a [`ErrorKind::Backend`] error wrapping `source`.
    ///
    /// ```
    /// use easy_cache_core::{Error, ErrorKind};
    /// let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    /// let err = Error::backend("connect to 127.0.0.1:6379", io);
    /// assert_eq!(err.kind(), ErrorKind::Backend);
    /// assert!(std::error::Error::source(&err).is_some());
    /// ```
    pub fn backend(
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::new(ErrorKind::Backend, message).with_source(source)
    }
}

/// `Result` with easy-cache's [`Error`].
///
/// ```
/// use easy_cache_core::{Error, ErrorKind, Result};
/// fn port(s: &str) -> Result<u16> {
///     s.parse().map_err(|e| Error::new(ErrorKind::Config, "bad port").with_source(e))
/// }
/// assert_eq!(port("6379").unwrap(), 6379);
/// assert_eq!(port("x").unwrap_err().kind(), ErrorKind::Config);
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_is_kept_and_kind_matches() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let err = Error::backend("connect to cache", io);
        assert_eq!(err.kind(), ErrorKind::Backend);
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(err.to_string(), "backend error: connect to cache");
    }
}
