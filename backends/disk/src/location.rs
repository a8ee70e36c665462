//! Where an on-disk backend's database lives: a path after `scheme://` (three slashes), or
//! `temporary=true`, never both, so that deleting a temporary database on drop can never hit
//! a named one.

use easy_cache_core::{BackendUrl, Error, ErrorKind, Result};
use std::path::{Path, PathBuf};

/// The path of a parsed `scheme://` URL (`None` when it names none), refusing a host or
/// user; `example` is a URL shown in the error.
///
/// ```
/// use easy_cache_core::BackendUrl;
/// use easy_cache_disk::location;
/// let url = BackendUrl::parse("redb:///srv/cache.redb")?;
/// let path = location::path_from_url(&url, "redb:///var/lib/myapp/cache.redb")?;
/// assert_eq!(path.as_deref(), Some(std::path::Path::new("/srv/cache.redb")));
/// let host = BackendUrl::parse("redb://host/cache.redb")?;
/// let err = location::path_from_url(&host, "redb:///var/lib/myapp/cache.redb").unwrap_err();
/// assert!(err.message().contains("three slashes"));
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn path_from_url(url: &BackendUrl, example: &str) -> Result<Option<PathBuf>> {
    if url.userinfo.is_some() || !url.hosts.is_empty() {
        let scheme = &url.scheme;
        return Err(Error::new(
            ErrorKind::Config,
            format!(
                "{scheme}:// URLs take an absolute path after `{scheme}://`, as in `{example}` \
                 (three slashes); got `{}`",
                url.redacted()
            ),
        ));
    }
    Ok((!url.path.is_empty()).then(|| PathBuf::from(&url.path)))
}

/// Checks that a configuration names an absolute `path` or is `temporary`, not both.
///
/// ```
/// use easy_cache_disk::location::check;
/// use std::path::Path;
/// check("sled", Some(Path::new("/srv/cache")), false, "sled:///srv/cache").unwrap();
/// check("sled", None, true, "sled:///srv/cache").unwrap();
/// assert!(check("sled", None, false, "sled:///srv/cache").is_err());
/// assert!(check("sled", Some(Path::new("/srv/cache")), true, "sled:///srv/cache").is_err());
/// assert!(check("sled", Some(Path::new("cache")), false, "sled:///srv/cache").is_err());
/// ```
pub fn check(scheme: &str, path: Option<&Path>, temporary: bool, example: &str) -> Result<()> {
    let message = match (path, temporary) {
        (None, false) => format!("{scheme}:// needs a `path` (`{example}`) or `temporary=true`"),
        (Some(_), true) => {
            format!("{scheme}:// `temporary=true` takes no `path`: it picks its own")
        }
        (Some(path), false) if !path.is_absolute() => {
            format!("{scheme}:// `path` must be absolute")
        }
        _ => return Ok(()),
    };
    Err(Error::new(ErrorKind::Config, message))
}

/// `scheme:///path` or `scheme://?temporary=true`: the instance's name in logs.
///
/// ```
/// use easy_cache_disk::location::display_url;
/// use std::path::Path;
/// assert_eq!(display_url("redb", Some(Path::new("/c.redb")), false), "redb:///c.redb");
/// assert_eq!(display_url("redb", None, true), "redb://?temporary=true");
/// ```
pub fn display_url(scheme: &str, path: Option<&Path>, temporary: bool) -> String {
    match path {
        Some(path) if !temporary => format!("{scheme}://{}", path.display()),
        _ => format!("{scheme}://?temporary=true"),
    }
}
