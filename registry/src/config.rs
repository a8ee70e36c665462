//! `CachesConfig`: aliases to URLs and options, like Django's `CACHES`, from a TOML file or
//! environment variables.

use crate::caches::{CACHES, from_backend_url};
use easy_cache_core::{BackendUrl, Error, ErrorKind, Result, is_secret, redact_url};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One alias: a backend URL and options merged into its query's.
///
/// ```
/// use easy_cache_registry::{CacheConfig, OptionValue};
/// let config = CacheConfig {
///     url: "redis://app:hunter2@cache:6379/0".into(),
///     options: [("timeout_ms".to_string(), OptionValue::Integer(100))].into(),
/// };
/// let mut options = config.backend_url()?.options;
/// assert_eq!(options.millis("timeout_ms")?, Some(100));
/// // `Debug` never shows the password.
/// assert!(!format!("{config:?}").contains("hunter2"));
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// The backend URL, e.g. `redis://127.0.0.1:6379/0`.
    pub url: String,
    /// Backend options (`timeout_ms = 100`, `key_prefix = "app"`), taken like the URL's
    /// query parameters (and over them).
    #[serde(default)]
    pub options: BTreeMap<String, OptionValue>,
}

/// An option's value.
///
/// ```
/// use easy_cache_registry::{CachesConfig, OptionValue};
/// let config = CachesConfig::from_toml_str(r#"
///     [default]
///     url = "memory://"
///     options = { max_capacity = 500, key_prefix = "app" }
/// "#).unwrap();
/// let options = &config.caches["default"].options;
/// assert_eq!(options["max_capacity"], OptionValue::Integer(500));
/// assert_eq!(options["key_prefix"].to_string(), "app");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OptionValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A float.
    Float(f64),
    /// A string.
    Text(String),
}

impl std::fmt::Display for OptionValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionValue::Bool(b) => write!(f, "{b}"),
            OptionValue::Integer(i) => write!(f, "{i}"),
            OptionValue::Float(x) => write!(f, "{x}"),
            OptionValue::Text(s) => f.write_str(s),
        }
    }
}

impl std::fmt::Debug for CacheConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let options: BTreeMap<&String, String> = self
            .options
            .iter()
            .map(|(k, v)| {
                (
                    k,
                    if is_secret(k) {
                        "***".to_owned()
                    } else {
                        v.to_string()
                    },
                )
            })
            .collect();
        f.debug_struct("CacheConfig")
            .field("url", &redact_url(&self.url))
            .field("options", &options)
            .finish()
    }
}

impl CacheConfig {
    /// The URL parsed, with the options merged into its own (an option given in both
    /// takes the table's value). Each value reaches the backend exactly as written in the
    /// table: a password `p%41&x=1` stays that, its `&` starts no option and its `%41` is
    /// no `A`.
    ///
    /// ```
    /// use easy_cache_registry::{CacheConfig, OptionValue};
    /// let config = CacheConfig {
    ///     url: "redis://cache:6379/0?timeout_ms=5".into(),
    ///     options: [
    ///         ("password".to_string(), OptionValue::Text("p%41&x=1".into())),
    ///         ("timeout_ms".to_string(), OptionValue::Integer(60)),
    ///     ]
    ///     .into(),
    /// };
    /// let mut options = config.backend_url()?.options;
    /// assert_eq!(options.string("password")?.as_deref(), Some("p%41&x=1"));
    /// assert_eq!(options.millis("timeout_ms")?, Some(60));
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn backend_url(&self) -> Result<BackendUrl> {
        let mut url = BackendUrl::parse(&self.url)?;
        for (name, value) in &self.options {
            url.options.insert(name.clone(), value.to_string());
        }
        Ok(url)
    }
}

/// Every configured alias.
///
/// ```
/// use easy_cache_registry::CachesConfig;
/// let config = CachesConfig::from_toml_str(r#"
///     [default]
///     url = "memory://"
///     options = { max_capacity = 10000 }
///
///     [sessions]
///     url = "memory://?default_timeout=600"
/// "#).unwrap();
/// let mut options = config.caches["default"].backend_url()?.options;
/// assert_eq!(options.u64("max_capacity")?, Some(10000));
/// # Ok::<(), easy_cache_core::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CachesConfig {
    /// Alias → configuration.
    pub caches: BTreeMap<String, CacheConfig>,
}

/// Environment variables `EASY_CACHE_<ALIAS>_URL` configure `<alias>` (lowercased).
const ENV_PREFIX: &str = "EASY_CACHE_";
const ENV_SUFFIX: &str = "_URL";

impl CachesConfig {
    /// Parses TOML: one table per alias with `url` and optional `options`.
    ///
    /// ```
    /// use easy_cache_registry::CachesConfig;
    /// let config = CachesConfig::from_toml_str("[default]\nurl = \"memory://\"\n").unwrap();
    /// assert_eq!(config.caches["default"].url, "memory://");
    /// // Errors name the alias and the field.
    /// let err = CachesConfig::from_toml_str("[sessions]\nurll = \"memory://\"\n").unwrap_err();
    /// assert!(err.message().contains("sessions") && err.message().contains("urll"));
    /// ```
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let config_error = |message: String| Error::new(ErrorKind::Config, message);
        // The message and position only: toml's own Display quotes the offending line,
        // which may hold a password.
        let tables: BTreeMap<String, toml::Value> = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or_else(String::new, |span| {
                let before = text.get(..span.start).unwrap_or_default();
                let line = before.matches('\n').count() + 1;
                let column = before
                    .rsplit('\n')
                    .next()
                    .unwrap_or_default()
                    .chars()
                    .count()
                    + 1;
                format!(" at line {line}, column {column}")
            });
            config_error(format!("invalid caches configuration{at}: {}", e.message()))
        })?;
        // One alias at a time, so an error names the alias as well as the field.
        let caches = tables
            .into_iter()
            .map(|(alias, table)| {
                let config = table
                    .try_into::<CacheConfig>()
                    .map_err(|e| config_error(format!("cache `{alias}`: {}", e.message())))?;
                Ok((alias, config))
            })
            .collect::<Result<_>>()?;
        Ok(CachesConfig { caches })
    }

    /// Reads and parses a TOML file.
    ///
    /// ```
    /// use easy_cache_core::ErrorKind;
    /// use easy_cache_registry::CachesConfig;
    /// let path = std::env::temp_dir().join(format!("easy-cache-doc-{}.toml", std::process::id()));
    /// std::fs::write(&path, "[default]\nurl = \"memory://\"\n").unwrap();
    /// let config = CachesConfig::from_toml_file(&path).unwrap();
    /// assert_eq!(config.caches["default"].url, "memory://");
    /// # std::fs::remove_file(&path).unwrap();
    /// let missing = CachesConfig::from_toml_file("/nonexistent/caches.toml").unwrap_err();
    /// assert_eq!(missing.kind(), ErrorKind::Config);
    /// ```
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("cannot read caches configuration {}", path.display()),
            )
            .with_source(e)
        })?;
        Self::from_toml_str(&text).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("{}: {}", path.display(), e.message()),
            )
        })
    }

    /// Aliases from `EASY_CACHE_DEFAULT_URL`, `EASY_CACHE_<ALIAS>_URL` in the environment.
    ///
    /// ```
    /// use easy_cache_registry::CachesConfig;
    /// let config = CachesConfig::from_env();
    /// // Every alias found comes from its own `EASY_CACHE_<ALIAS>_URL` variable.
    /// for (alias, cache) in &config.caches {
    ///     let var = format!("EASY_CACHE_{}_URL", alias.to_ascii_uppercase());
    ///     assert_eq!(std::env::var(var).ok(), Some(cache.url.clone()));
    /// }
    /// ```
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Aliases from `(name, value)` pairs, as [`from_env`](Self::from_env) reads them.
    ///
    /// ```
    /// use easy_cache_registry::CachesConfig;
    /// let config = CachesConfig::from_vars([
    ///     ("EASY_CACHE_USER_SESSIONS_URL".to_string(), "redis://cache:6379/1".to_string()),
    ///     ("HOME".to_string(), "/root".to_string()),
    /// ]);
    /// assert_eq!(config.caches["user_sessions"].url, "redis://cache:6379/1");
    /// assert_eq!(config.caches.len(), 1);
    /// ```
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let caches = vars
            .into_iter()
            .filter_map(|(name, value)| {
                let alias = name.strip_prefix(ENV_PREFIX)?.strip_suffix(ENV_SUFFIX)?;
                (!alias.is_empty()).then(|| {
                    (
                        alias.to_ascii_lowercase(),
                        CacheConfig {
                            url: value,
                            options: BTreeMap::new(),
                        },
                    )
                })
            })
            .collect();
        CachesConfig { caches }
    }

    /// `self` with `other`'s aliases added or replacing (e.g. environment over file).
    ///
    /// ```
    /// use easy_cache_registry::CachesConfig;
    /// let file = CachesConfig::from_toml_str(
    ///     "[default]\nurl = \"memory://\"\n[sessions]\nurl = \"memory://\"\n",
    /// ).unwrap();
    /// let env = CachesConfig::from_vars([("EASY_CACHE_DEFAULT_URL".into(), "redis://cache:6379".into())]);
    /// let config = file.merged_with(env);
    /// assert_eq!(config.caches["default"].url, "redis://cache:6379");
    /// assert_eq!(config.caches["sessions"].url, "memory://");
    /// ```
    pub fn merged_with(mut self, other: CachesConfig) -> Self {
        self.caches.extend(other.caches);
        self
    }

    /// Builds every alias and registers it; nothing is registered if any fails. The error
    /// names the alias.
    ///
    /// ```
    /// # use easy_cache_memory as _; // links the memory:// backend
    /// use easy_cache_registry::{CachesConfig, caches};
    /// let config = CachesConfig::from_toml_str(r#"
    ///     [doc_install_sessions]
    ///     url = "memory://"
    ///     options = { default_timeout = 600 }
    /// "#)?;
    /// config.install()?;
    /// assert_eq!(caches::get("doc_install_sessions").unwrap().name(), "memory");
    /// // One bad alias: nothing is registered.
    /// let bad = "[doc_install_a]\nurl = \"memory://\"\n[doc_install_b]\nurl = \"nosuch://x\"\n";
    /// assert!(CachesConfig::from_toml_str(bad)?.install().is_err());
    /// assert!(caches::get("doc_install_a").is_none());
    /// # Ok::<(), easy_cache_core::Error>(())
    /// ```
    pub fn install(&self) -> Result<()> {
        let mut built = Vec::with_capacity(self.caches.len());
        for (alias, config) in &self.caches {
            let instance = config.backend_url().and_then(|url| from_backend_url(&url));
            let instance = instance.map_err(|e| {
                Error::new(
                    e.kind(),
                    format!(
                        "cache `{alias}` ({}): {}",
                        redact_url(&config.url),
                        e.message()
                    ),
                )
            })?;
            built.push((alias, instance));
        }
        for (alias, instance) in built {
            CACHES.insert(alias, instance);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_syntax_errors_give_the_position_not_the_line() {
        let err =
            CachesConfig::from_toml_str("[a]\nurl = \"redis://:hunter2@h\\q\"\n").unwrap_err();
        assert!(err.message().contains("line 2"), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn errors_name_the_alias_and_the_field() {
        let err = CachesConfig::from_toml_str("[sessions]\nurll = \"memory://\"\n").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("urll"), "{err}");
        assert!(err.message().contains("sessions"), "{err}");
        let config = CachesConfig::from_toml_str("[broken]\nurl = \"nosuch://x\"\n").unwrap();
        let err = config.install().unwrap_err();
        assert!(err.message().contains("`broken`"), "{err}");
        assert_eq!(err.kind(), ErrorKind::UnknownScheme);
    }

    #[test]
    fn environment_variables_name_aliases() {
        let config = CachesConfig::from_vars([
            ("EASY_CACHE_DEFAULT_URL".to_owned(), "memory://".to_owned()),
            (
                "EASY_CACHE_USER_SESSIONS_URL".to_owned(),
                "redis://h".to_owned(),
            ),
            ("EASY_CACHE_URL".to_owned(), "ignored".to_owned()),
            ("OTHER".to_owned(), "ignored".to_owned()),
        ]);
        assert_eq!(
            config.caches.keys().collect::<Vec<_>>(),
            ["default", "user_sessions"]
        );
        let file =
            CachesConfig::from_toml_str("[default]\nurl = \"memory://?max_capacity=5\"\n").unwrap();
        assert_eq!(file.merged_with(config).caches["default"].url, "memory://");
    }

    #[test]
    fn debug_never_shows_secrets() {
        let config = CachesConfig::from_toml_str(
            "[r]\nurl = \"redis://u:hunter2@h:6379\"\noptions = { password = \"hunter3\", timeout_ms = 5 }\n",
        )
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("hunter3"),
            "{shown}"
        );
        assert!(shown.contains("timeout_ms"), "{shown}");
    }

    /// The options of `config` as a backend takes them, in name order.
    fn taken_options(config: &CacheConfig, names: &[&str]) -> Vec<(String, String)> {
        let mut options = config.backend_url().unwrap().options;
        let read = names
            .iter()
            .filter_map(|name| Some((name.to_string(), options.string(name).unwrap()?)))
            .collect();
        options.finish(&[]).unwrap();
        read
    }

    #[test]
    fn options_are_merged_exactly_without_a_url_round_trip() {
        let config = CacheConfig {
            url: "redis://cache:6379/0?timeout_ms=5&db=1".into(),
            options: [
                ("password".to_owned(), OptionValue::Text("p%41&x=1".into())),
                (
                    "key_prefix".to_owned(),
                    OptionValue::Text("a b+c#d?e/f@g:h".into()),
                ),
                ("timeout_ms".to_owned(), OptionValue::Integer(100)),
                ("client_tracking".to_owned(), OptionValue::Bool(false)),
            ]
            .into(),
        };
        assert_eq!(
            taken_options(
                &config,
                &[
                    "client_tracking",
                    "db",
                    "key_prefix",
                    "password",
                    "timeout_ms"
                ]
            ),
            [
                ("client_tracking".to_owned(), "false".to_owned()),
                ("db".to_owned(), "1".to_owned()),
                ("key_prefix".to_owned(), "a b+c#d?e/f@g:h".to_owned()),
                ("password".to_owned(), "p%41&x=1".to_owned()),
                ("timeout_ms".to_owned(), "100".to_owned()),
            ]
        );
        // Nor does the password show where the parsed URL is printed.
        let shown = format!("{:?}", config.backend_url().unwrap());
        assert!(!shown.contains("p%41") && !shown.contains("x=1"), "{shown}");
    }

    /// A backend that takes `size` and fails after reading it, to see what reaches it.
    fn toy(url: &BackendUrl) -> Result<std::sync::Arc<dyn easy_cache_core::CacheInstance>> {
        let mut options = url.options.clone();
        let size = options.u64("size")?;
        options.finish(&["size", "colourless"])?;
        Err(Error::new(ErrorKind::Backend, format!("size {size:?}")))
    }
    crate::register_backend!("config-unit-toy", toy);

    #[test]
    fn table_options_reach_the_backend_and_leftovers_are_refused() {
        let install = |options: &str| {
            let toml = format!("[m]\nurl = \"config-unit-toy://?size=1\"\noptions = {options}\n");
            CachesConfig::from_toml_str(&toml)
                .unwrap()
                .install()
                .unwrap_err()
        };
        assert!(install("{ size = 7 }").message().ends_with("size Some(7)"));
        let err = install("{ colour = \"red\" }");
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("`m`"), "{err}");
        assert!(
            err.message()
                .ends_with("unknown config-unit-toy:// option `colour` (known: size, colourless)"),
            "{err}"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn any_option_value_is_merged_exactly(
            base in proptest::sample::select(vec!["redis://h:1/0", "memcache://a,b", "memory://", "memory://?max_capacity=5"]),
            options in proptest::collection::btree_map("[a-z_]{1,12}", proptest::prelude::any::<String>(), 0..5),
        ) {
            let config = CacheConfig {
                url: base.to_owned(),
                options: options
                    .iter()
                    .map(|(name, value)| (name.clone(), OptionValue::Text(value.clone())))
                    .collect(),
            };
            let mut merged = config.backend_url().unwrap().options;
            for (name, value) in &options {
                let taken = merged.string(name).unwrap();
                proptest::prop_assert_eq!(taken.as_ref(), Some(value));
            }
        }
    }
}
