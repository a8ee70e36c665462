//! Fuzzing (bounded, proptest) of what parses configuration: every backend's URL parser,
//! the registry's `caches::from_url` (scheme dispatch plus the backend), and TOML cache
//! configs. Whatever the input: no panic, an error of kind `Config` or a config; and a
//! password in the input never shows in a config's `Debug`, an instance's name, or an
//! error's `Display` / `Debug`.
//!
//! `cargo xtask fuzz` runs these (and the other `fuzz_` tests) with many more cases.

use easy_cache::{CachesConfig, ErrorKind, caches};
use easy_cache_memcached::MemcachedConfig;
use easy_cache_memory::MemoryConfig;
use easy_cache_redb::RedbConfig;
use easy_cache_redis::RedisConfig;
use easy_cache_sled::SledConfig;
use proptest::prelude::*;

const SCHEMES: &[&str] = &[
    "memory",
    "redis",
    "rediss",
    "redis+unix",
    "redis+cluster",
    "rediss+cluster",
    "memcache",
    "memcached",
    "sled",
    "redb",
    "example-map",
    "nosuch",
    "",
];

const OPTIONS: &[&str] = &[
    "timeout_ms",
    "connect_timeout_ms",
    "key_prefix",
    "max_capacity",
    "max_bytes",
    "default_timeout",
    "db",
    "password",
    "username",
    "pool_size",
    "tls_ca_file",
    "temporary",
    "flush_every_ms",
    "purge_interval_secs",
    "cache_capacity_bytes",
    "tree",
    "table",
    "max_entries",
    "cache_size_bytes",
];

/// Text that tends to break parsers: separators, percent escapes (valid and not),
/// numbers at and past their limits, unicode.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{0,6}",
        "[-0-9]{1,25}",
        "(%[0-9a-fA-F]{2}|%[g-z]?|[:@/?&=#,\\[\\]])+",
        any::<String>(),
    ]
}

/// A password of any printable characters, delimiters (`@ : / ? # &`) and `%` included,
/// long enough that finding it in output is no coincidence.
fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{6,16}",
        "[%@:/?#&=,]{1,3}[ -~]{5,10}[%@:/?#&=]{0,2}",
        "[^\\p{C}]{6,12}",
    ]
    .prop_filter("recognisable", |p| {
        p.chars().filter(|c| !c.is_whitespace()).count() >= 4
    })
}

/// URLs shaped like real ones (so parsing goes deep), with a password in them.
fn url_with_password() -> impl Strategy<Value = (String, String)> {
    let option = (prop::sample::select(OPTIONS), fragment());
    (
        prop::sample::select(SCHEMES),
        // A `/` in the user would turn the "userinfo" into a path, where a `:` and an `@`
        // are just characters (sled keeps such a path): any other mangling stays in.
        prop::option::of(fragment().prop_map(|user| user.replace('/', ""))),
        password(),
        prop::collection::vec((fragment(), prop::option::of(fragment())), 0..3),
        fragment(),
        prop::collection::vec(option, 0..4),
        prop::bool::ANY,
        prop::bool::ANY,
    )
        .prop_map(
            |(scheme, user, password, hosts, path, options, password_in_query, escaped)| {
                // As written in the URL: escaped, or not (then the URL may be malformed).
                let written = if escaped {
                    easy_cache_core::percent_encode(&password)
                } else {
                    password.clone()
                };
                let hosts: Vec<String> = hosts
                    .into_iter()
                    .map(|(host, port)| match port {
                        Some(port) => format!("{host}:{port}"),
                        None => host,
                    })
                    .collect();
                let mut query: Vec<String> =
                    options.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let userinfo = if password_in_query {
                    query.push(format!("password={written}"));
                    String::new()
                } else {
                    format!("{}:{written}@", user.unwrap_or_default())
                };
                let url = format!(
                    "{scheme}://{userinfo}{}/{path}?{}",
                    hosts.join(","),
                    query.join("&")
                );
                (url, password, written)
            },
        )
        // A password the rest of the URL spells out cannot be told apart.
        .prop_filter(
            "the password is not spelled elsewhere",
            |(url, password, written)| {
                !url.replacen(written.as_str(), "", 1)
                    .contains(password.as_str())
            },
        )
        .prop_map(|(url, password, _)| (url, password))
}

/// `text` as a TOML basic string.
fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Fails when `text` shows the password, as it is or %-encoded.
fn assert_hidden(what: &str, text: &str, password: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !text.contains(password),
        "{} shows the password: {}",
        what,
        text
    );
    let encoded = easy_cache_core::percent_encode(password);
    prop_assert!(
        !text.contains(&encoded),
        "{} shows the %-encoded password: {}",
        what,
        text
    );
    Ok(())
}

/// Checks one parser's outcome: a config error or a value, never showing the password.
fn check<T: std::fmt::Debug>(
    parser: &str,
    parsed: easy_cache::Result<T>,
    password: &str,
) -> Result<(), TestCaseError> {
    match parsed {
        Ok(config) => assert_hidden(&format!("{parser} Debug"), &format!("{config:?}"), password),
        Err(e) => {
            prop_assert_eq!(e.kind(), ErrorKind::Config, "{}: {}", parser, e);
            assert_hidden(&format!("{parser} error"), &e.to_string(), password)?;
            assert_hidden(
                &format!("{parser} error Debug"),
                &format!("{e:?}"),
                password,
            )
        }
    }
}

fn parse_everywhere(url: &str, password: &str) -> Result<(), TestCaseError> {
    check("MemoryConfig", MemoryConfig::from_url(url), password)?;
    check("RedisConfig", RedisConfig::from_url(url), password)?;
    check("MemcachedConfig", MemcachedConfig::from_url(url), password)?;
    check("SledConfig", SledConfig::from_url(url), password)?;
    check("RedbConfig", RedbConfig::from_url(url), password)?;
    // Building an instance connects nothing; sled and redb would open a directory or file,
    // so their URLs stop at the parsers above.
    if !url.starts_with("sled:") && !url.starts_with("redb:") {
        match caches::from_url(url) {
            Ok(instance) => assert_hidden("instance name", instance.name(), password)?,
            Err(e) => {
                assert_hidden("from_url error", &e.to_string(), password)?;
                assert_hidden("from_url error Debug", &format!("{e:?}"), password)?;
            }
        }
    }
    Ok(())
}

proptest! {
    // Cases from PROPTEST_CASES (256 by default); `cargo xtask fuzz` raises it.
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_url_parsers_never_panic_or_show_passwords((url, password) in url_with_password()) {
        parse_everywhere(&url, &password)?;
    }

    #[test]
    fn fuzz_url_parsers_take_any_text(text in any::<String>()) {
        // No password to hide here: only that nothing panics and errors are `Config`.
        parse_everywhere(&text, "\u{0}never\u{0}")?;
    }

    #[test]
    fn fuzz_toml_configs_never_panic_or_show_passwords(
        (url, password) in url_with_password(),
        alias in "[a-z]{1,8}",
        extra in prop::collection::vec((prop::sample::select(OPTIONS), fragment()), 0..3),
    ) {
        let mut text = format!("[{alias}]\nurl = {}\n", toml_string(&url));
        for (name, value) in &extra {
            text.push_str(&format!("{name} = {}\n", toml_string(value)));
        }
        match CachesConfig::from_toml_str(&text) {
            Ok(config) => assert_hidden("CachesConfig Debug", &format!("{config:?}"), &password)?,
            Err(e) => {
                prop_assert_eq!(e.kind(), ErrorKind::Config, "{}", e);
                assert_hidden("CachesConfig error", &e.to_string(), &password)?;
            }
        }
        // Arbitrary bytes as TOML: errors only.
        let _ = CachesConfig::from_toml_str(&url);
    }

    #[test]
    fn fuzz_toml_password_options_reach_the_backend_exactly(
        password in password(),
        base in prop::sample::select(vec!["redis://127.0.0.1:1/0", "memcache://127.0.0.1:1"]),
        option in prop::sample::select(vec!["", "timeout_ms = 5", "timeout_ms = \"soon\"", "colour = 1"]),
    ) {
        let text = format!(
            "[a]\nurl = \"{base}\"\noptions = {{ username = \"app\", password = {}{}{option} }}\n",
            toml_string(&password),
            if option.is_empty() { "" } else { ", " },
        );
        let config = CachesConfig::from_toml_str(&text).expect("valid TOML");
        assert_hidden("CachesConfig Debug", &format!("{config:?}"), &password)?;
        let url = config.caches["a"].backend_url().expect("a URL");
        let read = if base.starts_with("redis") {
            RedisConfig::from_backend_url(&url).map(|c| (format!("{c:?}"), c.password))
        } else {
            MemcachedConfig::from_backend_url(&url).map(|c| (format!("{c:?}"), c.password))
        };
        match read {
            Ok((debug, read)) => {
                assert_hidden("backend config Debug", &debug, &password)?;
                // Exactly the TOML's value: no `&` cut it, no `%41` became `A`.
                prop_assert_eq!(read.as_deref(), Some(password.as_str()));
            }
            Err(e) => {
                assert_hidden("backend config error", &format!("{} | {e:?}", e), &password)?;
            }
        }
        if let Err(e) = config.install() {
            assert_hidden("install error", &format!("{} | {e:?}", e), &password)?;
        }
    }
}
