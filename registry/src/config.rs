//! `CachesConfig`: aliases to URLs and options, like Django's `CACHES`, from a TOML file or
//! environment variables.

use crate::registry::{CACHES, from_url};
use easy_cache_core::{Error, ErrorKind, Result, redact_url};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One alias: a backend URL and options appended to its query string.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// The backend URL, e.g. `redis://127.0.0.1:6379/0`.
    pub url: String,
    /// Backend options (`timeout_ms = 100`, `key_prefix = "app"`), as URL query parameters.
    #[serde(default)]
    pub options: BTreeMap<String, OptionValue>,
}

/// An option's value.
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

fn is_secret(option: &str) -> bool {
    matches!(
        option.to_ascii_lowercase().as_str(),
        "password" | "pass" | "token"
    )
}

impl CacheConfig {
    /// The URL with the options appended as query parameters.
    pub fn full_url(&self) -> String {
        if self.options.is_empty() {
            return self.url.clone();
        }
        let query: Vec<String> = self
            .options
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let separator = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{separator}{}", self.url, query.join("&"))
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
/// assert_eq!(config.caches["default"].full_url(), "memory://?max_capacity=10000");
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
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let config_error = |message: String| Error::new(ErrorKind::Config, message);
        let tables: BTreeMap<String, toml::Value> = toml::from_str(text)
            .map_err(|e| config_error(format!("invalid caches configuration: {e}")))?;
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
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Aliases from `(name, value)` pairs, as [`from_env`](Self::from_env) reads them.
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
    pub fn merged_with(mut self, other: CachesConfig) -> Self {
        self.caches.extend(other.caches);
        self
    }

    /// Builds every alias and registers it; nothing is registered if any fails. The error
    /// names the alias.
    pub fn install(&self) -> Result<()> {
        let mut built = Vec::with_capacity(self.caches.len());
        for (alias, config) in &self.caches {
            let instance = from_url(&config.full_url()).map_err(|e| {
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
}
