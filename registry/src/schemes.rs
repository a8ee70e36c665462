//! Backend factories by URL scheme, collected through `inventory`.

use easy_cache_core::{
    BackendUrl, CacheInstance, Error, ErrorKind, ResilientInstance, Result, shown_from_url,
};
use std::sync::Arc;

/// Builds a cache instance from a parsed URL of one scheme. Submitted by backend crates
/// with [`register_backend!`](crate::register_backend).
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_core::{BackendUrl, CacheInstance, Error, ErrorKind, Result};
/// use easy_cache_registry::{BackendFactory, caches};
/// use std::sync::Arc;
/// // `toy://` URLs open an in-memory cache with the same options.
/// fn build(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
///     if !url.hosts.is_empty() {
///         return Err(Error::new(ErrorKind::Config, "toy:// takes no host"));
///     }
///     let mut memory = BackendUrl::parse("memory://")?;
///     memory.options = url.options.clone();
///     caches::from_backend_url(&memory)
/// }
/// static TOY: BackendFactory = BackendFactory::new("toy", build);
/// assert_eq!(TOY.scheme(), "toy");
/// assert_eq!(TOY.build(&BackendUrl::parse("toy://?max_capacity=10")?)?.name(), "memory");
/// let err = TOY.build(&BackendUrl::parse("toy://x")?).err().unwrap();
/// assert_eq!(err.kind(), ErrorKind::Config);
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub struct BackendFactory {
    scheme: &'static str,
    build: fn(&BackendUrl) -> Result<Arc<dyn CacheInstance>>,
}

impl BackendFactory {
    /// A factory for `scheme` (without `://`), calling `build` with the parsed URL.
    pub const fn new(
        scheme: &'static str,
        build: fn(&BackendUrl) -> Result<Arc<dyn CacheInstance>>,
    ) -> Self {
        BackendFactory { scheme, build }
    }

    /// The URL scheme this factory handles.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// Builds an instance from `url`.
    pub fn build(&self, url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
        (self.build)(url)
    }
}

inventory::collect!(BackendFactory);

/// Every registered factory.
fn factories() -> impl Iterator<Item = &'static BackendFactory> {
    inventory::iter::<BackendFactory>.into_iter()
}

/// The scheme of a URL: the part before `://` (or before the first `:`).
///
/// ```
/// assert_eq!(easy_cache_registry::scheme_of("redis+cluster://a:1,b:2"), "redis+cluster");
/// assert_eq!(easy_cache_registry::scheme_of("memory://"), "memory");
/// ```
pub fn scheme_of(url: &str) -> &str {
    url.split_once(':').map_or(url, |(scheme, _)| scheme)
}

/// The URL schemes of every linked backend, sorted.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// let schemes = caches::schemes();
/// assert!(schemes.contains(&"memory"));
/// assert!(schemes.is_sorted());
/// ```
pub fn schemes() -> Vec<&'static str> {
    let mut schemes: Vec<&'static str> = factories().map(|f| f.scheme()).collect();
    schemes.sort_unstable();
    schemes.dedup();
    schemes
}

/// Builds an instance from a URL such as `memory://?max_capacity=10000`. Any backend also
/// takes the fail-safe, refresh, jitter and timeout defaults of the functions caching in
/// it (`fail_safe=3600&refresh_ahead=0.8&hard_timeout=2`: seconds, or a fraction of the
/// lifetime with a decimal point; see `easy_cache_core::RESILIENCE_OPTIONS`).
///
/// An unknown scheme is an [`ErrorKind::UnknownScheme`] error listing the available ones.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_registry::caches;
/// use easy_cache_core::ErrorKind;
/// assert_eq!(caches::from_url("memory://?max_capacity=10000")?.name(), "memory");
/// let resilient = caches::from_url("memory://?fail_safe=3600&refresh_ahead=0.8")?;
/// assert!(resilient.resilience().is_some());
/// let err = caches::from_url("nosuch://user:hunter2@host").err().unwrap();
/// assert_eq!(err.kind(), ErrorKind::UnknownScheme);
/// assert!(err.message().contains("memory")); // lists the available schemes
/// assert!(!err.to_string().contains("hunter2")); // passwords never reach messages
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn from_url(url: &str) -> Result<Arc<dyn CacheInstance>> {
    let scheme = scheme_of(url);
    // The scheme is looked up before the URL is parsed: a text that is no URL at all still
    // gets the list of available schemes.
    let factory = factory_for(scheme, url)?;
    build(factory, &BackendUrl::parse_as(url, &[factory.scheme()])?)
}

/// Builds an instance from a parsed URL, e.g. one whose options came from a TOML table.
///
/// ```
/// # use easy_cache_memory as _; // links the memory:// backend
/// use easy_cache_core::BackendUrl;
/// use easy_cache_registry::caches;
/// let mut url = BackendUrl::parse("memory://")?;
/// url.options.insert("default_timeout", "600");
/// assert_eq!(caches::from_backend_url(&url)?.name(), "memory");
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn from_backend_url(url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    build(factory_for(&url.scheme, &url.redacted())?, url)
}

/// Builds with `factory`; the fail-safe, refresh, jitter and timeout options of any backend
/// (`RESILIENCE_OPTIONS`) become the instance's defaults (see `ResilientInstance`).
fn build(factory: &BackendFactory, url: &BackendUrl) -> Result<Arc<dyn CacheInstance>> {
    ResilientInstance::from_url(url, |url| factory.build(url))
}

/// The factory of `scheme`, or an [`ErrorKind::UnknownScheme`] error listing the
/// available schemes; `url` (the text `scheme` came from) decides what may be quoted.
fn factory_for(scheme: &str, url: &str) -> Result<&'static BackendFactory> {
    if let Some(factory) = factories().find(|f| f.scheme() == scheme) {
        return Ok(factory);
    }
    // Like OpenDAL: the scheme and the available ones, never the URL. A text with no
    // `:` is all "scheme", so it is quoted only when it is one.
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let shown = if valid {
        shown_from_url(scheme, url)
    } else {
        "that is no scheme (a URL starts with `scheme://`)".to_owned()
    };
    Err(Error::new(
        ErrorKind::UnknownScheme,
        format!(
            "no backend for the URL's scheme {shown}; available: {}",
            schemes().join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_scheme_error_lists_schemes() {
        let err = from_url("nosuch://x").err().unwrap();
        assert_eq!(err.kind(), ErrorKind::UnknownScheme);
        assert!(err.message().contains("nosuch"), "{err}");
        assert!(err.message().contains("available:"), "{err}");
        let err = from_backend_url(&BackendUrl::parse("nosuch://u:hunter2@x").unwrap())
            .err()
            .unwrap();
        assert_eq!(err.kind(), ErrorKind::UnknownScheme);
        assert!(err.message().contains("available:"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn an_unknown_scheme_lists_the_available_ones_without_echoing_the_url() {
        for url in [
            "nosuch://app:hunter2@h",
            "redis//:hunter2@h",
            "hunter2@h",
            "://app:hunter2@h",
            "red is://app:hunter2@h",
        ] {
            let err = from_url(url).err().unwrap();
            assert_eq!(err.kind(), ErrorKind::UnknownScheme, "{url}");
            let texts = format!("{} | {err} | {err:?}", err.message());
            assert!(!texts.contains("hunter2"), "{url}: {texts}");
            assert!(!texts.contains("@h"), "the URL is not echoed: {texts}");
            assert!(texts.contains("available: "), "{texts}");
        }
    }

    #[test]
    fn passwords_are_redacted_in_errors() {
        assert!(
            !from_url("nosuch://u:hunter2@h")
                .err()
                .unwrap()
                .to_string()
                .contains("hunter2")
        );
    }
}
