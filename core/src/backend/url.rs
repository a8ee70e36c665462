//! A backend URL, parsed once: `scheme://[user[:password]@]host[:port][,host[:port]…][/path][?options]`.
//!
//! Backends read the parts and take their options with typed takers; a TOML `options`
//! table is merged into the same [`Options`], so nothing is turned back into a string to be
//! split again.

use super::redact::{is_secret, redact_url, shown_by_length, shown_from_url, shown_in_error};
use crate::error::{Error, ErrorKind, Result};
use std::time::Duration;

/// A backend URL split into its parts; every error it gives quotes no secret.
///
/// The userinfo and the path are %-decoded (`+` stays a `+`); hosts are kept as written.
/// Option values are %-decoded when a backend takes them, so an error can name the option.
///
/// ```
/// use easy_cache_core::BackendUrl;
/// let url = BackendUrl::parse("redis+cluster://app:p%40ss+w@a:7000,b:7001/?timeout_ms=50")?;
/// assert_eq!(url.scheme, "redis+cluster");
/// let userinfo = url.userinfo.as_ref().unwrap();
/// assert_eq!((userinfo.user.as_str(), userinfo.password.as_deref()), ("app", Some("p@ss+w")));
/// assert_eq!(url.hosts, ["a:7000", "b:7001"]);
/// assert_eq!(url.path, "/");
/// let mut options = url.options.clone();
/// assert_eq!(options.millis("timeout_ms")?, Some(50));
/// options.finish(&["timeout_ms"])?;
/// // `Debug` and errors never show the password.
/// assert!(!format!("{url:?}").contains("p%40ss"));
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct BackendUrl {
    /// The scheme, without `://` (`redis`, `memcache`, `sled`, …).
    pub scheme: String,
    /// `user[:password]` before the last `@` of the authority, %-decoded.
    pub userinfo: Option<Userinfo>,
    /// The authority's `host[:port]` list, split at `,` and kept as written; empty when the
    /// URL names no host (`sled:///dir`, `memory://`).
    pub hosts: Vec<String>,
    /// Everything from the `/` after the authority up to `?`, %-decoded (`/3`,
    /// `/run/redis.sock`), or empty.
    pub path: String,
    /// The query's `name=value` pairs, and any options merged in later.
    pub options: Options,
    /// The URL as written: what may be quoted from it is decided against it.
    raw: String,
}

/// The userinfo of a [`BackendUrl`]: a user name and an optional password, %-decoded.
///
/// ```
/// use easy_cache_core::BackendUrl;
/// let url = BackendUrl::parse("memcache://:only-a-password@h")?;
/// let userinfo = url.userinfo.unwrap();
/// assert_eq!((userinfo.user.as_str(), userinfo.password.as_deref()), ("", Some("only-a-password")));
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Userinfo {
    /// The user name (may be empty).
    pub user: String,
    /// The password, when a `:` follows the user name (may be empty).
    pub password: Option<String>,
}

impl BackendUrl {
    /// Splits `url` into its parts. A text without `scheme://` and a malformed %-escape
    /// are [`ErrorKind::Config`] errors.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let url = BackendUrl::parse("sled:///srv/my%20cache?tree=pages")?;
    /// assert_eq!((url.scheme.as_str(), url.path.as_str()), ("sled", "/srv/my cache"));
    /// assert!(url.hosts.is_empty() && url.userinfo.is_none());
    /// assert!(BackendUrl::parse("redis:/:hunter2@h").is_err());
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn parse(url: &str) -> Result<Self> {
        let (scheme, rest) = url.split_once("://").ok_or_else(|| {
            config_error(format!(
                "`{}` is not a URL: it must start with `scheme://`",
                redact_url(url)
            ))
        })?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        // A fragment carries nothing for a backend; a password's unescaped `#` ends up here
        // and is refused where the rest of it lands.
        let rest = rest.split_once('#').map_or(rest, |(rest, _)| rest);
        let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
        let (userinfo, hosts) = match authority.rsplit_once('@') {
            Some((userinfo, hosts)) => {
                let (user, password) = match userinfo.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (userinfo, None),
                };
                let userinfo = Userinfo {
                    user: percent_decode(user, scheme, "username")?,
                    password: password
                        .map(|p| percent_decode(p, scheme, "password"))
                        .transpose()?,
                };
                (Some(userinfo), hosts)
            }
            None => (None, authority),
        };
        let hosts = if hosts.is_empty() {
            Vec::new()
        } else {
            hosts.split(',').map(str::to_owned).collect()
        };
        let entries = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name.to_owned(), Text::Escaped(value.to_owned()))
            })
            .collect();
        Ok(BackendUrl {
            scheme: scheme.to_owned(),
            userinfo,
            hosts,
            path: percent_decode(path, scheme, "path")?,
            options: Options {
                scheme: scheme.to_owned(),
                raw: url.to_owned(),
                entries,
            },
            raw: url.to_owned(),
        })
    }

    /// [`parse`](Self::parse), then [`expect_scheme`](Self::expect_scheme): the entry
    /// point of a backend's `from_url(&str)`. A text without `scheme://` is refused as
    /// "not a `schemes[0]`:// URL".
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let err = BackendUrl::parse_as("no scheme", &["sled"]).unwrap_err();
    /// assert!(err.message().contains("not a sled:// URL"));
    /// ```
    pub fn parse_as(url: &str, schemes: &[&str]) -> Result<Self> {
        if !url.contains("://") {
            return Err(not_one_of(url, schemes));
        }
        let parsed = Self::parse(url)?;
        parsed.expect_scheme(schemes)?;
        Ok(parsed)
    }

    /// An [`ErrorKind::Config`] error unless the scheme is one of `schemes` (the first
    /// names the backend in the message).
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let url = BackendUrl::parse("redis://u:hunter2@h")?;
    /// url.expect_scheme(&["redis", "rediss"])?;
    /// let err = url.expect_scheme(&["memcache"]).unwrap_err();
    /// assert!(err.message().contains("not a memcache:// URL"));
    /// assert!(!err.message().contains("hunter2"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn expect_scheme(&self, schemes: &[&str]) -> Result<()> {
        if schemes.contains(&self.scheme.as_str()) {
            Ok(())
        } else {
            Err(not_one_of(&self.raw, schemes))
        }
    }

    /// `piece` of this URL as an error message may quote it: itself when it is plain and
    /// no part of a secret, else only its length (see [`shown_from_url`]).
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let url = BackendUrl::parse("redis://app:hunter2@h:port")?;
    /// assert_eq!(url.show("h:port"), "`h:port`");
    /// assert_eq!(url.show("hunter2"), "a text of 7 characters");
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn show(&self, piece: &str) -> String {
        shown_from_url(piece, &self.raw)
    }

    /// The URL as written, its secrets replaced by `***` (see [`redact_url`]).
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let url = BackendUrl::parse("redis://u:hunter2@h/0")?;
    /// assert_eq!(url.redacted(), "redis://u:***@h/0");
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn redacted(&self) -> String {
        redact_url(&self.raw)
    }
}

impl std::fmt::Debug for BackendUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendUrl")
            .field("url", &self.redacted())
            .field("options", &self.options)
            .finish()
    }
}

/// The error of a URL whose scheme is not one of `schemes`.
fn not_one_of(url: &str, schemes: &[&str]) -> Error {
    let main = schemes.first().copied().unwrap_or_default();
    let also = if schemes.len() > 1 {
        format!(" (schemes: {})", schemes.join(", "))
    } else {
        String::new()
    };
    config_error(format!(
        "`{}` is not a {main}:// URL{also}",
        redact_url(url)
    ))
}

fn config_error(message: String) -> Error {
    Error::new(ErrorKind::Config, message)
}

/// A value as it was written: `%`-escaped in a URL's query, plain in a TOML table.
#[derive(Clone, PartialEq, Eq)]
enum Text {
    Escaped(String),
    Plain(String),
}

/// A backend's options: the query of its URL, plus any merged in (a TOML `options` table).
///
/// A backend takes each option it knows with a typed taker, then calls
/// [`finish`](Self::finish), which refuses whatever is left. A name given twice keeps its
/// last value. Errors are [`ErrorKind::Config`], name the option and never quote a
/// secret's value.
///
/// ```
/// use easy_cache_core::BackendUrl;
/// use std::time::Duration;
/// let url = BackendUrl::parse("memory://?default_timeout=60&max_capacity=10&colour=red")?;
/// let mut options = url.options.clone();
/// assert_eq!(options.seconds("default_timeout")?, Some(Duration::from_secs(60)));
/// assert_eq!(options.u64("max_capacity")?, Some(10));
/// assert_eq!(options.u64("max_bytes")?, None);
/// let err = options.finish(&["default_timeout", "max_capacity", "max_bytes"]).unwrap_err();
/// assert_eq!(
///     err.message(),
///     "unknown memory:// option `colour` (known: default_timeout, max_capacity, max_bytes)"
/// );
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Options {
    scheme: String,
    /// The URL the options came with, to decide what an error may quote.
    raw: String,
    entries: Vec<(String, Text)>,
}

impl Options {
    /// Adds (or, since the last value wins, overrides) an option with a plain value, as a
    /// TOML `options` table gives it: `value` is taken exactly, `%` and `&` included.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut url = BackendUrl::parse("redis://h?password=old")?;
    /// url.options.insert("password", "p%41&x=1");
    /// assert_eq!(url.options.clone().string("password")?.as_deref(), Some("p%41&x=1"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.entries.push((name.into(), Text::Plain(value.into())));
    }

    /// Whether no option is left.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// assert!(BackendUrl::parse("memory://")?.options.is_empty());
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Of `names`, the one given last (for options that replace each other).
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let url = BackendUrl::parse("memory://?max_bytes=1&max_capacity=2")?;
    /// assert_eq!(url.options.last_of(&["max_capacity", "max_bytes"]), Some("max_capacity"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn last_of<'a>(&self, names: &[&'a str]) -> Option<&'a str> {
        let (name, _) = self
            .entries
            .iter()
            .rev()
            .find(|(name, _)| names.contains(&name.as_str()))?;
        names.iter().copied().find(|n| n == name)
    }

    /// Takes the option `name` as text, %-decoded.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut options = BackendUrl::parse("redis://h?key_prefix=app%3A")?.options;
    /// assert_eq!(options.string("key_prefix")?.as_deref(), Some("app:"));
    /// assert_eq!(options.string("key_prefix")?, None); // taken
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn string(&mut self, name: &str) -> Result<Option<String>> {
        let mut taken = None;
        self.entries.retain(|(n, text)| {
            let found = n == name;
            if found {
                taken = Some(text.clone());
            }
            !found
        });
        taken
            .map(|text| match text {
                Text::Plain(value) => Ok(value),
                Text::Escaped(value) => percent_decode(&value, &self.scheme, name),
            })
            .transpose()
    }

    /// Takes the option `name` as a whole number.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut options = BackendUrl::parse("sled:///d?cache_capacity_bytes=1GB")?.options;
    /// let err = options.u64("cache_capacity_bytes").unwrap_err();
    /// assert_eq!(err.message(), "sled:// option `cache_capacity_bytes` must be a whole number, got `1GB`");
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn u64(&mut self, name: &str) -> Result<Option<u64>> {
        self.parsed(name, "a whole number", |v| v.parse().ok())
    }

    /// Takes the option `name` as a whole number up to `u32::MAX`.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut options = BackendUrl::parse("redis://h?wait_replicas=4294967296")?.options;
    /// assert!(options.u32("wait_replicas").unwrap_err().message().contains("wait_replicas"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn u32(&mut self, name: &str) -> Result<Option<u32>> {
        self.parsed(name, "a whole number up to 4294967295", |v| v.parse().ok())
    }

    /// Takes the option `name` as a whole number; one above `usize::MAX` reads as
    /// `usize::MAX`, for the backend's range check to refuse.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut options = BackendUrl::parse("memcache://h?pool_size=8")?.options;
    /// assert_eq!(options.usize("pool_size")?, Some(8));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn usize(&mut self, name: &str) -> Result<Option<usize>> {
        Ok(self
            .u64(name)?
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX)))
    }

    /// Takes the option `name` as whole milliseconds.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut options = BackendUrl::parse("redis://h?timeout_ms=100")?.options;
    /// assert_eq!(options.millis("timeout_ms")?, Some(100));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn millis(&mut self, name: &str) -> Result<Option<u64>> {
        self.u64(name)
    }

    /// Takes the option `name` as whole seconds.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// use std::time::Duration;
    /// let mut options = BackendUrl::parse("memory://?default_timeout=600")?.options;
    /// assert_eq!(options.seconds("default_timeout")?, Some(Duration::from_secs(600)));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn seconds(&mut self, name: &str) -> Result<Option<Duration>> {
        Ok(self.u64(name)?.map(Duration::from_secs))
    }

    /// Takes the option `name` as seconds, whole or decimal (`0.25`), to the microsecond.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// use std::time::Duration;
    /// let mut options = BackendUrl::parse("memory://?hard_timeout=0.25&x=-1")?.options;
    /// assert_eq!(options.duration("hard_timeout")?, Some(Duration::from_millis(250)));
    /// assert!(options.duration("x").unwrap_err().message().contains("seconds"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn duration(&mut self, name: &str) -> Result<Option<Duration>> {
        self.parsed(name, "a number of seconds (like `30` or `0.25`)", seconds)
    }

    /// Takes the option `name` as a boolean: `true`, `1`, `on` or `false`, `0`, `off`.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut options = BackendUrl::parse("redis://h?client_tracking=off&x=yes")?.options;
    /// assert_eq!(options.bool("client_tracking")?, Some(false));
    /// assert!(options.bool("x").unwrap_err().message().contains("true or false"));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn bool(&mut self, name: &str) -> Result<Option<bool>> {
        self.parsed(name, "true or false", |v| match v {
            "true" | "1" | "on" => Some(true),
            "false" | "0" | "off" => Some(false),
            _ => None,
        })
    }

    /// Refuses any option left: the error names one and lists `known`, the options the
    /// backend takes.
    ///
    /// ```
    /// use easy_cache_core::BackendUrl;
    /// let mut options = BackendUrl::parse("redis://h?db=1")?.options;
    /// assert!(options.clone().finish(&["timeout_ms"]).is_err());
    /// options.u64("db")?;
    /// options.finish(&["db"])?;
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn finish(&self, known: &[&str]) -> Result<()> {
        match self.entries.first() {
            None => Ok(()),
            Some((name, _)) => Err(config_error(format!(
                "unknown {}:// option {} (known: {})",
                self.scheme,
                shown_from_url(name, &self.raw),
                known.join(", ")
            ))),
        }
    }

    /// Takes `name` and reads it with `read`; the error says it must be `expected`.
    pub(crate) fn parsed<T>(
        &mut self,
        name: &str,
        expected: &str,
        read: impl FnOnce(&str) -> Option<T>,
    ) -> Result<Option<T>> {
        let Some(value) = self.string(name)? else {
            return Ok(None);
        };
        read(&value).map(Some).ok_or_else(|| {
            let shown = if is_secret(name) {
                shown_by_length(&value)
            } else {
                shown_from_url(&value, &self.raw)
            };
            config_error(format!(
                "{}:// option {} must be {expected}, got {shown}",
                self.scheme,
                shown_in_error(name)
            ))
        })
    }
}

/// `text` as seconds: a whole or decimal number of zero or more (`None` otherwise).
pub(crate) fn seconds(text: &str) -> Option<Duration> {
    if let Ok(whole) = text.parse::<u64>() {
        return Some(Duration::from_secs(whole));
    }
    let secs: f64 = text.parse().ok()?;
    // Digits only (no `inf`, `NaN`, exponent or sign): what a person writes for seconds.
    let plain = text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    (plain && secs.is_finite()).then(|| Duration::from_micros((secs * 1e6).round() as u64))
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut map = f.debug_map();
        for (name, text) in &self.entries {
            let (Text::Escaped(value) | Text::Plain(value)) = text;
            let shown = if is_secret(name) {
                "***".to_owned()
            } else {
                shown_from_url(value, &self.raw)
            };
            map.entry(&shown_from_url(name, &self.raw), &shown);
        }
        map.finish()
    }
}

/// Decodes `%XX` escapes in one part of a backend URL; `+` stays a `+` (this is no form
/// encoding). Errors are [`ErrorKind::Config`] naming the scheme and the field.
fn percent_decode(raw: &str, scheme: &str, field: &str) -> Result<String> {
    let bad = || {
        config_error(format!(
            "{scheme}:// {} has an invalid %-escape or is not UTF-8",
            shown_in_error(field)
        ))
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
/// field): [`BackendUrl::parse`] gives `text` back exactly, whatever it holds.
///
/// ```
/// use easy_cache_core::{BackendUrl, percent_encode};
/// assert_eq!(percent_encode("p%41&x=1"), "p%2541%26x%3D1");
/// let url = BackendUrl::parse(&format!("redis://:{}@h", percent_encode("p%41&x=1")))?;
/// assert_eq!(url.userinfo.unwrap().password.as_deref(), Some("p%41&x=1"));
/// assert_eq!(percent_encode("timeout_ms"), "timeout_ms");
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
pub fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, COMPONENT).to_string()
}

/// The host (without brackets) and port of one of a [`BackendUrl`]'s hosts:
/// `host[:port]`, or `[v6][:port]` for IPv6; `default_port` when none is given. `None`
/// for an empty or malformed host, or a port that is not 1 to 65535.
///
/// ```
/// use easy_cache_core::split_host_port;
/// assert_eq!(split_host_port("cache-1:7000", 6379), Some(("cache-1", 7000)));
/// assert_eq!(split_host_port("[::1]", 11211), Some(("::1", 11211)));
/// assert_eq!(split_host_port("h:0", 6379), None);
/// assert_eq!(split_host_port("app:hunter2", 6379), None);
/// ```
pub fn split_host_port(node: &str, default_port: u16) -> Option<(&str, u16)> {
    let (host, port) = if let Some(v6) = node.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after {
            "" => (host, None),
            _ => (host, Some(after.strip_prefix(':')?)),
        }
    } else {
        match node.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (node, None),
        }
    };
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:%".contains(&b));
    if !valid_host {
        return None;
    }
    let port = match port {
        None => default_port,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0)?,
    };
    Some((host, port))
}

/// Whole milliseconds of `d`, at least 1 (a zero bound would fail every call): what a
/// backend's `timeout(Duration)` setter stores.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(easy_cache_core::whole_millis(Duration::from_micros(10)), 1);
/// assert_eq!(easy_cache_core::whole_millis(Duration::from_secs(2)), 2000);
/// ```
pub fn whole_millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Inside a network backend config's `impl`: the builder setters it shares with the
/// others, over its fields `timeout_ms`, `connect_timeout_ms`, `default_timeout` and
/// `key_prefix`.
///
/// ```
/// use std::time::Duration;
/// #[derive(Default)]
/// pub struct ToyConfig {
///     timeout_ms: u64,
///     connect_timeout_ms: u64,
///     default_timeout: Option<Duration>,
///     key_prefix: String,
/// }
/// impl ToyConfig {
///     easy_cache_core::network_setters!();
/// }
/// let config = ToyConfig::default()
///     .timeout(Duration::from_micros(10))
///     .connect_timeout(Duration::from_secs(2))
///     .default_timeout(Duration::from_secs(60))
///     .key_prefix("shop:");
/// assert_eq!((config.timeout_ms, config.connect_timeout_ms), (1, 2000));
/// assert_eq!((config.default_timeout, config.key_prefix.as_str()), (Some(Duration::from_secs(60)), "shop:"));
/// ```
#[macro_export]
macro_rules! network_setters {
    () => {
        /// Bounds each operation (whole milliseconds, at least 1).
        pub fn timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.timeout_ms = $crate::whole_millis(timeout);
            self
        }

        /// Bounds getting a connection (whole milliseconds, at least 1).
        pub fn connect_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.connect_timeout_ms = $crate::whole_millis(timeout);
            self
        }

        /// Sets the lifetime of values stored with `Timeout::Default`.
        pub fn default_timeout(mut self, timeout: ::std::time::Duration) -> Self {
            self.default_timeout = Some(timeout);
            self
        }

        /// Sets the prefix prepended to every key.
        pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
            self.key_prefix = prefix.into();
            self
        }
    };
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

    fn password_of(url: &str) -> Option<String> {
        BackendUrl::parse(url).unwrap().userinfo?.password
    }

    #[test]
    fn malformed_escapes_are_errors() {
        for raw in ["%", "%4", "%zz", "a%g1", "%C3%28"] {
            assert!(percent_decode(raw, "redis", "password").is_err(), "{raw}");
        }
        assert_eq!(
            percent_decode("a+b%20c", "redis", "key_prefix").unwrap(),
            "a+b c"
        );
        let err = percent_decode("bad%2", "sled", "path").unwrap_err();
        assert!(err.message().contains("sled:// `path`"), "{err}");
        assert!(BackendUrl::parse("redis://:p%zz@h").is_err());
        assert!(BackendUrl::parse("sled:///d%zz").is_err());
        // An option's value is decoded when taken, so the error names a known option.
        let mut options = BackendUrl::parse("redis://h?key_prefix=%zz")
            .unwrap()
            .options;
        let err = options.string("key_prefix").unwrap_err();
        assert!(err.message().contains("key_prefix"), "{err}");
    }

    #[test]
    fn passwords_decode_as_before() {
        // `+` is no space (this is no form encoding); `%2B` is a `+`; `@` and `:` escaped.
        assert_eq!(password_of("redis://u:a+b@h").as_deref(), Some("a+b"));
        assert_eq!(password_of("redis://u:a%2Bb@h").as_deref(), Some("a+b"));
        assert_eq!(password_of("redis://u:p%40ss@h").as_deref(), Some("p@ss"));
        assert_eq!(password_of("redis://u:p%3Ass@h").as_deref(), Some("p:ss"));
        // An unescaped `:` after the first belongs to the password; the last `@` ends it.
        assert_eq!(password_of("redis://u:p:ss@h").as_deref(), Some("p:ss"));
        assert_eq!(password_of("redis://u:p@ss@h").as_deref(), Some("p@ss"));
        assert_eq!(password_of("redis://u@h"), None);
        assert_eq!(password_of("redis://u:@h").as_deref(), Some(""));
        let mut options = BackendUrl::parse("redis://h?password=a+b%2Bc%26d")
            .unwrap()
            .options;
        assert_eq!(
            options.string("password").unwrap().as_deref(),
            Some("a+b+c&d")
        );
    }

    #[test]
    fn splits_hosts_paths_and_options() {
        let url = BackendUrl::parse("memcache://a:1,b,[::1]:3/?pool_size=2").unwrap();
        assert_eq!(url.hosts, ["a:1", "b", "[::1]:3"]);
        assert_eq!(url.path, "/");
        let url = BackendUrl::parse("redis+cluster://u:p@h1:7000,h2:7001").unwrap();
        assert_eq!(url.hosts, ["h1:7000", "h2:7001"]);
        assert_eq!(url.path, "");
        let url = BackendUrl::parse("redis+unix://:pw@/run/redis%20x.sock?db=2").unwrap();
        assert!(url.hosts.is_empty());
        assert_eq!(url.path, "/run/redis x.sock");
        let url = BackendUrl::parse("memcache://a:1,,b:2").unwrap();
        assert_eq!(url.hosts, ["a:1", "", "b:2"]);
        let url = BackendUrl::parse("redis://h:1/0#fragment").unwrap();
        assert_eq!(url.path, "/0");
        let url = BackendUrl::parse("memory://").unwrap();
        assert!(url.hosts.is_empty() && url.path.is_empty() && url.options.is_empty());
    }

    #[test]
    fn the_last_value_of_an_option_wins_and_merged_ones_are_taken_exactly() {
        let mut url = BackendUrl::parse("redis://h?timeout_ms=1&timeout_ms=2").unwrap();
        url.options.insert("key_prefix", "a b+c#d?e/f@g:h%41");
        url.options.insert("timeout_ms", "3");
        let mut options = url.options.clone();
        assert_eq!(options.millis("timeout_ms").unwrap(), Some(3));
        assert_eq!(
            options.string("key_prefix").unwrap().as_deref(),
            Some("a b+c#d?e/f@g:h%41")
        );
        options.finish(&[]).unwrap();
    }

    #[test]
    fn leftover_options_are_refused_listing_the_known_ones() {
        let mut options = BackendUrl::parse("sled:///d?tree=t&colour=red")
            .unwrap()
            .options;
        options.string("tree").unwrap();
        let err = options.finish(&["tree", "key_prefix"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert_eq!(
            err.message(),
            "unknown sled:// option `colour` (known: tree, key_prefix)"
        );
    }

    #[test]
    fn no_error_or_debug_shows_a_secret() {
        let url = BackendUrl::parse("redis://app:hunter2@h?password=hunter3&timeout_ms=hunter4x")
            .unwrap();
        let shown = format!("{url:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
        let mut options = url.options.clone();
        let err = options.u64("password").unwrap_err();
        assert!(!err.to_string().contains("hunter3"), "{err}");
        // A value in the userinfo's range is never quoted.
        let url = BackendUrl::parse("redis://app:6380?timeout_ms=hunter2&x@h").unwrap();
        let err = url.options.clone().u64("timeout_ms").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = url.expect_scheme(&["memcache"]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = BackendUrl::parse("redis:/app:hunter2@h").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let err = BackendUrl::parse_as("redis:/app:hunter2@h", &["redis"]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        // A mangled option name after an empty password is part of it.
        let url = BackendUrl::parse("redis://h?password=&hunter2=1").unwrap();
        let mut options = url.options.clone();
        options.string("password").unwrap();
        let err = options.finish(&["password"]).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn percent_encode_round_trips_any_text(text in any::<String>()) {
            let encoded = percent_encode(&text);
            prop_assert!(!encoded.contains(['&', '=', '?', '#', '/', '@', ':', ' ']));
            prop_assert_eq!(percent_decode(&encoded, "redis", "password").unwrap(), text);
        }

        #[test]
        fn any_userinfo_and_option_round_trips(user in any::<String>(), password in any::<String>(), value in any::<String>()) {
            let url = format!(
                "redis://{}:{}@h?key_prefix={}",
                percent_encode(&user),
                percent_encode(&password),
                percent_encode(&value)
            );
            let parsed = BackendUrl::parse(&url).unwrap();
            let userinfo = parsed.userinfo.clone().unwrap();
            prop_assert_eq!(userinfo.user, user);
            prop_assert_eq!(userinfo.password, Some(password));
            prop_assert_eq!(parsed.options.clone().string("key_prefix").unwrap(), Some(value));
        }
    }
}
