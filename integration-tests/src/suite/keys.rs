//! Keys as user input makes them.

use super::{Backend, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout};

/// Keys as user input makes them (unicode, spaces, colons, punctuation, 1000 and 10 000
/// characters, NUL, CR/LF with a command after it, the empty key) round-trip and stay
/// distinct (backends may digest keys internally).
pub async fn keys(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
    let ns = namespace("keys");
    let long = format!("{ns}{}", "k".repeat(1000));
    let long_twin = format!("{ns}{}x", "k".repeat(999));
    // 10 KB keys that differ only in their last byte: no digest may truncate them.
    let huge = format!("{ns}{}a", "k".repeat(10_000));
    let huge_twin = format!("{ns}{}b", "k".repeat(10_000));
    let keys = [
        format!("{ns}ключ-ü-日本語-🎉"),
        format!("{ns}a key with spaces"),
        format!("{ns}a:b::c:"),
        format!("{ns}punctuation/?#[]@!$&'()*+,;=%"),
        long,
        long_twin,
        huge,
        huge_twin,
        // Protocol bytes: NUL, and a line break followed by a command (injection attempt).
        format!("{ns}nul\0byte"),
        format!("{ns}nul\0"),
        format!("{ns}crlf\r\nflush_all\r\nset x 0 0 1\r\n"),
        format!("{ns}tab\tand\x7fdel"),
        // The empty key (this suite runs once per instance, so no other caller uses it).
        String::new(),
    ];
    for (i, key) in keys.iter().enumerate() {
        let value = Bytes::from(format!("value-{i}"));
        check::ok(
            cache,
            &format!("set of key {key:.60}"),
            cache.set(key, value, Timeout::Never).await,
        );
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got = check::ok(
        cache,
        "get_many of unusual keys",
        cache.get_many(&refs).await,
    );
    let expected: Vec<String> = (0..keys.len()).map(|i| format!("value-{i}")).collect();
    let expected: Vec<Option<&[u8]>> = expected.iter().map(|v| Some(v.as_bytes())).collect();
    check::values(
        cache,
        "unusual keys must round-trip and stay distinct",
        &got,
        &expected,
    );
    for (key, expected) in keys.iter().zip(&expected) {
        let got = check::ok(
            cache,
            &format!("get of key {key:.60}"),
            cache.get(key).await,
        );
        check::value(
            cache,
            &format!("get of key {key:.60}"),
            got.as_ref(),
            *expected,
        );
        let deleted = check::ok(
            cache,
            &format!("delete of key {key:.60}"),
            cache.delete(key).await,
        );
        assert!(
            deleted,
            "[{}] delete of key {key:.60} must return true",
            cache.name()
        );
    }
}
