//! Secrets: a password given in a backend URL (userinfo or `password` option) or in a
//! `CachesConfig` option never shows in `Debug` of the configuration or the instance, in
//! `name()`, in the errors of a failing connection or configuration, or in the logs.

use easy_cache::memcached::{MemcachedCache, MemcachedConfig};
use easy_cache::redis::{RedisCache, RedisConfig};
use easy_cache::{CacheInstance, CachesConfig, Timeout, caches};
use easy_cache_integration_tests::env::{self, require_url};
use easy_cache_integration_tests::support::{closed_port, closed_ports};
use easy_cache_test_support::capture_logs_async;
use std::error::Error as _;
use std::sync::Arc;

const PASSWORD: &str = "Sup3rS3cretPw";

/// Panics when `text` shows the password.
fn assert_hidden(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "the password shows in {what}: {text}"
    );
}

/// Everything an error shows: message, `Display`, `Debug` and its whole source chain.
fn error_texts(error: &easy_cache::Error) -> String {
    let mut text = format!("{} | {error} | {error:?}", error.message());
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(" | {cause} | {cause:?}"));
        source = cause.source();
    }
    text
}

/// `instance` hides the password in `name()` and the errors of failing operations.
async fn assert_instance_hides(url: &str, instance: Arc<dyn CacheInstance>) {
    assert_hidden(&format!("name() for {url}"), instance.name());
    let Err(error) = instance.get("key").await else {
        panic!("get must fail: the server for {url} is unreachable")
    };
    assert_hidden(&format!("get's error for {url}"), &error_texts(&error));
    let set = instance.set("key", bytes::Bytes::from_static(b"v"), Timeout::Default);
    let Err(error) = set.await else {
        panic!("set must fail: the server for {url} is unreachable")
    };
    assert_hidden(&format!("set's error for {url}"), &error_texts(&error));
}

/// The URL forms with a password, each pointing at a port where nothing listens.
fn unreachable_urls() -> Vec<String> {
    let [p1, p2] = closed_ports();
    let fast = "connect_timeout_ms=200&timeout_ms=200";
    vec![
        format!("redis://app:{PASSWORD}@127.0.0.1:{p1}/0?{fast}"),
        format!("redis://:{PASSWORD}@127.0.0.1:{p1}?{fast}"),
        format!("redis://127.0.0.1:{p1}/?username=app&password={PASSWORD}&{fast}"),
        format!("redis+cluster://app:{PASSWORD}@127.0.0.1:{p1},127.0.0.1:{p2}?{fast}"),
        format!("memcache://app:{PASSWORD}@127.0.0.1:{p1},127.0.0.1:{p2}?{fast}"),
        format!("memcache://127.0.0.1:{p1}?username=app&password={PASSWORD}&{fast}"),
    ]
}

#[tokio::test]
async fn urls_with_a_password_never_show_it() {
    for url in unreachable_urls() {
        // `Debug` of the concrete instance (the registry hands out `dyn CacheInstance`).
        let debug = if url.starts_with("redis") {
            let config = RedisConfig::from_url(&url).expect("redis URL");
            format!("{:?}", RedisCache::new(config).expect("redis instance"))
        } else {
            let config = MemcachedConfig::from_url(&url).expect("memcache URL");
            format!(
                "{:?}",
                MemcachedCache::new(config).expect("memcache instance")
            )
        };
        assert_hidden(&format!("Debug of the instance for {url}"), &debug);
        let Ok(instance) = caches::from_url(&url) else {
            panic!("{url} must be a valid URL")
        };
        assert_instance_hides(&url, instance).await;
    }
}

#[test]
fn backend_configs_never_show_the_password() {
    let port = closed_port();
    let redis = RedisConfig::from_url(&format!("redis://app:{PASSWORD}@127.0.0.1:{port}/0"))
        .expect("redis URL");
    assert_eq!(redis.password.as_deref(), Some(PASSWORD));
    assert_hidden("Debug of RedisConfig", &format!("{redis:?}"));
    let memcached =
        MemcachedConfig::from_url(&format!("memcache://app:{PASSWORD}@127.0.0.1:{port}"))
            .expect("memcache URL");
    assert_eq!(memcached.password.as_deref(), Some(PASSWORD));
    assert_hidden("Debug of MemcachedConfig", &format!("{memcached:?}"));
}

#[test]
fn configuration_errors_never_show_the_password() {
    for url in [
        format!("redis://app:{PASSWORD}@127.0.0.1:1/0?timeout_ms=soon"),
        format!("redis://app:{PASSWORD}@127.0.0.1:1/0?no_such_option=1"),
        format!("memcache://app:{PASSWORD}@127.0.0.1:1?timeout_ms=soon"),
        format!("memcache://app:{PASSWORD}@127.0.0.1:1/path"),
        format!("nosuchscheme://app:{PASSWORD}@127.0.0.1:1"),
    ] {
        let Err(error) = caches::from_url(&url) else {
            panic!("{url} must be rejected")
        };
        assert_hidden(&format!("the error for {url}"), &error_texts(&error));
    }
}

/// A password holding every URL delimiter and a valid %-escape, unescaped.
const TRICKY: &str = "Tr1cky@pw:w/rd?x#y&z=%41";

/// Panics when `text` shows `TRICKY`, its tail after any delimiter, or its %-encoded form.
fn assert_tricky_hidden(what: &str, text: &str) {
    for secret in [TRICKY, "Tr1cky", "pw:w", "rd?x", "x#y&z", "z=%41"] {
        assert!(!text.contains(secret), "{what} shows `{secret}`: {text}");
    }
    let encoded = easy_cache_core::percent_encode(TRICKY);
    assert!(
        !text.contains(&encoded),
        "{what} shows the %-encoded password: {text}"
    );
}

#[test]
fn a_password_with_a_question_mark_never_reaches_a_config_error() {
    for url in [
        format!("redis://app:{TRICKY}@127.0.0.1:1/0"),
        format!("redis+cluster://app:{TRICKY}@127.0.0.1:1,127.0.0.1:2"),
        format!("memcache://app:{TRICKY}@127.0.0.1:1"),
        format!("redis://127.0.0.1:1/0?password={TRICKY}&timeout_ms=soon"),
        format!("memcache://127.0.0.1:1?username=app&password={TRICKY}&pool_size=x"),
        // The head of the password, before its `?`, where the host belongs.
        "redis://app:Tr1cky?x#y@127.0.0.1:1".to_owned(),
        "memcache://app:Tr1cky?x#y@127.0.0.1:1".to_owned(),
    ] {
        match caches::from_url(&url) {
            Ok(instance) => assert_tricky_hidden("name()", instance.name()),
            Err(error) => {
                assert_tricky_hidden(&format!("the error for {url}"), &error_texts(&error))
            }
        }
    }
}

#[test]
fn a_mistyped_scheme_does_not_echo_the_url() {
    for url in [
        format!("redis:/:{PASSWORD}@127.0.0.1:1"),
        format!("redis:{PASSWORD}@127.0.0.1:1"),
        format!("memcache:/app:{PASSWORD}@127.0.0.1:1"),
        format!("redis//:{PASSWORD}@127.0.0.1:1"),
        format!("nosuch://app:{TRICKY}@127.0.0.1:1"),
    ] {
        let Err(error) = caches::from_url(&url) else {
            panic!("{url} must be rejected")
        };
        let texts = error_texts(&error);
        assert_hidden(&format!("the error for {url}"), &texts);
        assert_tricky_hidden(&format!("the error for {url}"), &texts);
    }
    // An unknown scheme lists the available ones, OpenDAL-style.
    let error = caches::from_url(&format!("nosuch://app:{PASSWORD}@h"))
        .err()
        .unwrap();
    assert!(error.message().contains("redis"), "{error}");
}

#[test]
fn a_toml_password_reaches_the_backend_exactly() {
    // `&` would start an option, `%41` would read `A`, were the options not %-encoded.
    for base in ["redis://127.0.0.1:1/0", "memcache://127.0.0.1:1"] {
        let toml = format!(
            "[a]\nurl = \"{base}\"\noptions = {{ username = \"app\", password = \"{TRICKY}\" }}\n"
        );
        let config = CachesConfig::from_toml_str(&toml).expect("valid configuration");
        let url = config.caches["a"].backend_url().expect("a URL");
        let password = if base.starts_with("redis") {
            RedisConfig::from_backend_url(&url)
                .expect("redis URL")
                .password
        } else {
            MemcachedConfig::from_backend_url(&url)
                .expect("memcache URL")
                .password
        };
        assert_eq!(password.as_deref(), Some(TRICKY), "{base}");
        assert_tricky_hidden("Debug of CachesConfig", &format!("{config:?}"));
    }
}

#[tokio::test]
async fn caches_config_password_options_never_show() {
    let port = closed_port();
    let toml = format!(
        r#"
        [rel_secret_redis]
        url = "redis://127.0.0.1:{port}/0"
        options = {{ username = "app", password = "{PASSWORD}", connect_timeout_ms = 200 }}

        [rel_secret_memcached]
        url = "memcache://127.0.0.1:{port}"
        options = {{ username = "app", password = "{PASSWORD}", connect_timeout_ms = 200 }}

        [rel_secret_userinfo]
        url = "redis://app:{PASSWORD}@127.0.0.1:{port}/0"
        options = {{ connect_timeout_ms = 200 }}
        "#
    );
    let config = CachesConfig::from_toml_str(&toml).expect("valid configuration");
    assert_hidden("Debug of CachesConfig", &format!("{config:?}"));
    for (alias, entry) in &config.caches {
        assert_hidden(
            &format!("Debug of CacheConfig {alias}"),
            &format!("{entry:?}"),
        );
    }
    config.install().expect("install");
    for alias in config.caches.keys() {
        let Some(instance) = caches::get(alias) else {
            panic!("{alias} must be installed")
        };
        assert_instance_hides(alias, instance).await;
    }
}

#[tokio::test]
async fn a_wrong_redis_password_never_shows_in_the_error() {
    let url = require_url(env::REDIS_URL);
    let rest = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, hosts)| hosts);
    let wrong = format!("redis://nosuchuser:{PASSWORD}@{rest}");
    let Ok(instance) = caches::from_url(&wrong) else {
        panic!("{wrong} must be a valid URL")
    };
    assert_instance_hides("redis with a wrong password", instance).await;
}

#[easy_cache::ecached("secrets:{n}", tags = ["secrets"], cache_alias = "rel_secret_logs")]
async fn logged(n: u64) -> u64 {
    n + 1
}

#[test]
fn logs_never_show_the_password() {
    // Everything logged, formatted with every field. Only this thread's events are
    // captured: capture_logs_async's current-thread runtime runs everything on it.
    let ((), logs) = capture_logs_async(tracing::Level::TRACE, async {
        let mut urls = unreachable_urls();
        let server = require_url(env::REDIS_URL);
        let hosts = server
            .split_once("://")
            .map_or(server.as_str(), |(_, rest)| rest);
        urls.push(format!("redis://nosuchuser:{PASSWORD}@{hosts}"));
        for url in urls {
            let instance = caches::from_url(&url).expect("valid URL");
            caches::insert("rel_secret_logs", instance);
            // Reads, writes and invalidations all fail, and all log.
            assert_eq!(logged(1).await, 2);
            let _ = easy_cache::using_alias("rel_secret_logs")
                .invalidate_tags("secrets")
                .await;
            let _ = easy_cache::using_alias("rel_secret_logs")
                .invalidate_key("secrets:1")
                .await;
            let _ = caches::from_url(&format!("{url}&no_such_option=1"));
        }
        let _ = CachesConfig::from_toml_str(&format!("[a]\nurl = \"redis://:{PASSWORD}@h\\q\"\n"));
    });
    let text = logs.text();
    assert!(
        text.contains("easy_cache"),
        "the failing calls must have logged something: {text:?}"
    );
    assert_hidden("the logs", &text);
}
