//! The behaviour suite every backend must pass, written once against `dyn CacheInstance`.
//!
//! [`run`] runs every topic; each topic is public too, for a backend test that wants to
//! name them separately. Every call works in its own random key namespace, so suites run
//! in parallel against one server without colliding. Failures name the backend
//! (`cache.name()`) and the check.
//!
//! ```no_run
//! # async fn demo() -> easy_cache_core::Result<()> {
//! let cache = easy_cache_registry::caches::from_url("memory://")?;
//! easy_cache_integration_tests::suite::run(cache).await;
//! # Ok(()) }
//! ```

mod check;

use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout, Write};
use std::{sync::Arc, time::Duration};

/// How long values of the expiry check live. Memcached counts expiry in whole seconds, so a
/// 1 s value may vanish at once: 2 s leaves at least one second to see it.
const SHORT_LIFE: Duration = Duration::from_secs(2);
/// How long the expiry check waits; everything with [`SHORT_LIFE`] must be gone by then.
const EXPIRY_WAIT: Duration = Duration::from_millis(3200);

/// A hung backend fails the suite instead of hanging the run.
const SUITE_LIMIT: Duration = Duration::from_secs(60);

/// Runs every topic of the suite. The expiry check sleeps, so it runs concurrently with the
/// rest to keep the suite short (about 3 s).
pub async fn run(cache: Arc<dyn CacheInstance>) {
    let cache: &dyn CacheInstance = &*cache;
    let all = async {
        tokio::join!(expiry(cache), keep_alive(cache), async {
            single_keys(cache).await;
            add(cache).await;
            batches(cache).await;
            write_batch(cache).await;
            values(cache).await;
            keys(cache).await;
            many_keys(cache).await;
        })
    };
    if tokio::time::timeout(SUITE_LIMIT, all).await.is_err() {
        panic!(
            "[{}] the suite did not finish within {SUITE_LIMIT:?}",
            cache.name()
        );
    }
}

/// A fresh key namespace.
fn namespace(topic: &str) -> String {
    format!("suite:{topic}:{:016x}:", fastrand::u64(..))
}

/// get on an absent key, set/get, overwrite, delete (true, then false).
pub async fn single_keys(cache: &dyn CacheInstance) {
    let ns = namespace("single");
    let key = format!("{ns}a");
    let got = check::ok(cache, "get of an absent key", cache.get(&key).await);
    check::value(cache, "get of an absent key", got.as_ref(), None);

    let set = cache
        .set(&key, Bytes::from_static(b"one"), Timeout::Never)
        .await;
    check::ok(cache, "set", set);
    let got = check::ok(cache, "get after set", cache.get(&key).await);
    check::value(cache, "get after set", got.as_ref(), Some(b"one"));

    let set = cache
        .set(&key, Bytes::from_static(b"two"), Timeout::Never)
        .await;
    check::ok(cache, "overwriting set", set);
    let got = check::ok(cache, "get after overwrite", cache.get(&key).await);
    check::value(cache, "get after overwrite", got.as_ref(), Some(b"two"));

    let deleted = check::ok(cache, "delete of a present key", cache.delete(&key).await);
    assert!(
        deleted,
        "[{}] delete of a present key must return true",
        cache.name()
    );
    let got = check::ok(cache, "get after delete", cache.get(&key).await);
    check::value(cache, "get after delete", got.as_ref(), None);
    let deleted = check::ok(cache, "delete of an absent key", cache.delete(&key).await);
    assert!(
        !deleted,
        "[{}] delete of an absent key must return false",
        cache.name()
    );
}

/// add: stores on an absent key (true), leaves a present key unchanged (false).
pub async fn add(cache: &dyn CacheInstance) {
    let ns = namespace("add");
    let key = format!("{ns}k");
    let added = cache
        .add(&key, Bytes::from_static(b"first"), Timeout::Never)
        .await;
    assert!(
        check::ok(cache, "add on an absent key", added),
        "[{}] add on an absent key must return true",
        cache.name()
    );
    let got = check::ok(cache, "get after add", cache.get(&key).await);
    check::value(cache, "get after add", got.as_ref(), Some(b"first"));

    let added = cache
        .add(&key, Bytes::from_static(b"second"), Timeout::Never)
        .await;
    assert!(
        !check::ok(cache, "add on a present key", added),
        "[{}] add on a present key must return false",
        cache.name()
    );
    let got = check::ok(cache, "get after a refused add", cache.get(&key).await);
    check::value(
        cache,
        "a refused add must not change the value",
        got.as_ref(),
        Some(b"first"),
    );
    check::ok(cache, "delete", cache.delete(&key).await);
}

/// get_many with present and absent keys (order kept), set_many, delete_many.
pub async fn batches(cache: &dyn CacheInstance) {
    let ns = namespace("batch");
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|k| format!("{ns}{k}"));
    let got = check::ok(cache, "get_many of nothing", cache.get_many(&[]).await);
    check::values(cache, "get_many of no keys", &got, &[]);

    let entries = [
        (a.as_str(), Bytes::from_static(b"A")),
        (c.as_str(), Bytes::from_static(b"C")),
    ];
    check::ok(
        cache,
        "set_many",
        cache.set_many(&entries, Timeout::Never).await,
    );
    let keys = [d.as_str(), a.as_str(), b.as_str(), c.as_str()];
    let got = check::ok(cache, "get_many", cache.get_many(&keys).await);
    let expected: [Option<&[u8]>; 4] = [None, Some(b"A"), None, Some(b"C")];
    check::values(cache, "get_many of absent/present keys", &got, &expected);

    // The same key twice must give the value twice.
    let keys = [c.as_str(), a.as_str(), c.as_str()];
    let got = check::ok(
        cache,
        "get_many with a repeated key",
        cache.get_many(&keys).await,
    );
    let expected: [Option<&[u8]>; 3] = [Some(b"C"), Some(b"A"), Some(b"C")];
    check::values(cache, "get_many with a repeated key", &got, &expected);

    let entries = [
        (b.as_str(), Bytes::from_static(b"B")),
        (a.as_str(), Bytes::from_static(b"A2")),
    ];
    check::ok(
        cache,
        "second set_many",
        cache.set_many(&entries, Timeout::Never).await,
    );
    let keys = [a.as_str(), b.as_str(), c.as_str()];
    let got = check::ok(
        cache,
        "get_many after set_many",
        cache.get_many(&keys).await,
    );
    let expected: [Option<&[u8]>; 3] = [Some(b"A2"), Some(b"B"), Some(b"C")];
    check::values(cache, "set_many must overwrite and add", &got, &expected);

    let deleted = cache
        .delete_many(&[a.as_str(), c.as_str(), d.as_str()])
        .await;
    check::ok(cache, "delete_many (with an absent key)", deleted);
    let got = check::ok(
        cache,
        "get_many after delete_many",
        cache.get_many(&keys).await,
    );
    let expected: [Option<&[u8]>; 3] = [None, Some(b"B"), None];
    check::values(
        cache,
        "delete_many must remove only its keys",
        &got,
        &expected,
    );
    check::ok(cache, "delete_many", cache.delete_many(&[b.as_str()]).await);
}

/// write_batch applies Set and Add in order: an Add after a Set of the same key is refused,
/// a Set after an Add overwrites, an Add on a key present before the batch changes nothing.
pub async fn write_batch(cache: &dyn CacheInstance) {
    let ns = namespace("wbatch");
    let [a, b, c, old] = ["a", "b", "c", "old"].map(|k| format!("{ns}{k}"));
    check::ok(
        cache,
        "set",
        cache
            .set(&old, Bytes::from_static(b"kept"), Timeout::Never)
            .await,
    );
    let op_set = |key: &str, value: &'static [u8]| {
        Write::set(key.to_owned(), Bytes::from_static(value), Timeout::Never)
    };
    let op_add = |key: &str, value: &'static [u8]| {
        Write::add(key.to_owned(), Bytes::from_static(value), Timeout::Never)
    };
    let ops = [
        op_set(&a, b"a-set"),
        op_add(&a, b"a-add"),
        op_add(&b, b"b-add"),
        op_set(&b, b"b-set"),
        op_add(&c, b"c-add"),
        op_add(&old, b"old-add"),
    ];
    check::ok(cache, "write_batch", cache.write_batch(&ops).await);
    let keys = [a.as_str(), b.as_str(), c.as_str(), old.as_str()];
    let got = check::ok(
        cache,
        "get_many after write_batch",
        cache.get_many(&keys).await,
    );
    let expected: [Option<&[u8]>; 4] = [
        Some(b"a-set"),
        Some(b"b-set"),
        Some(b"c-add"),
        Some(b"kept"),
    ];
    check::values(
        cache,
        "write_batch must apply its ops in order",
        &got,
        &expected,
    );
    check::ok(
        cache,
        "write_batch of nothing",
        cache.write_batch(&[]).await,
    );
    check::ok(cache, "delete_many", cache.delete_many(&keys).await);
}

/// Timeout::After expires (through set, add, set_many and write_batch); Timeout::Never
/// persists.
pub async fn expiry(cache: &dyn CacheInstance) {
    let ns = namespace("expiry");
    let [set, add, many, batch, never] =
        ["set", "add", "many", "batch", "never"].map(|k| format!("{ns}{k}"));
    let short = Timeout::After(SHORT_LIFE);
    let value = || Bytes::from_static(b"short-lived");
    check::ok(
        cache,
        "set with a timeout",
        cache.set(&set, value(), short).await,
    );
    check::ok(
        cache,
        "add with a timeout",
        cache.add(&add, value(), short).await,
    );
    let entries = [(many.as_str(), value())];
    check::ok(
        cache,
        "set_many with a timeout",
        cache.set_many(&entries, short).await,
    );
    let ops = [Write::set(batch.clone(), value(), short)];
    check::ok(
        cache,
        "write_batch with a timeout",
        cache.write_batch(&ops).await,
    );
    let forever = Bytes::from_static(b"forever");
    check::ok(
        cache,
        "set without expiry",
        cache.set(&never, forever, Timeout::Never).await,
    );

    let keys = [
        set.as_str(),
        add.as_str(),
        many.as_str(),
        batch.as_str(),
        never.as_str(),
    ];
    let got = check::ok(cache, "get_many before expiry", cache.get_many(&keys).await);
    let live: Option<&[u8]> = Some(b"short-lived");
    let expected = [live, live, live, live, Some(b"forever")];
    check::values(
        cache,
        "values must be there before they expire",
        &got,
        &expected,
    );

    tokio::time::sleep(EXPIRY_WAIT).await;
    let got = check::ok(cache, "get_many after expiry", cache.get_many(&keys).await);
    let expected: [Option<&[u8]>; 5] = [None, None, None, None, Some(b"forever")];
    check::values(
        cache,
        "Timeout::After must expire, Timeout::Never must not",
        &got,
        &expected,
    );
    let got = check::ok(cache, "get after expiry", cache.get(&set).await);
    check::value(cache, "get of an expired key", got.as_ref(), None);
    let added = cache
        .add(&add, Bytes::from_static(b"again"), Timeout::Never)
        .await;
    assert!(
        check::ok(cache, "add on an expired key", added),
        "[{}] add on an expired key must store",
        cache.name()
    );
    check::ok(cache, "delete_many", cache.delete_many(&keys).await);
}

/// `keep_alive` (alone and in a write batch) lengthens a lifetime to at least the one
/// asked, up to "never"; it never shortens one, and never creates an absent key.
pub async fn keep_alive(cache: &dyn CacheInstance) {
    let ns = namespace("keep_alive");
    let [to_never, in_batch, never, long, absent] =
        ["to_never", "in_batch", "never", "long", "absent"].map(|k| format!("{ns}{k}"));
    let value = || Bytes::from_static(b"kept");
    let short = Timeout::After(SHORT_LIFE);
    let hour = Timeout::secs(3600);
    for (key, timeout) in [
        (&to_never, short),
        (&in_batch, short),
        (&never, Timeout::Never),
        (&long, hour),
    ] {
        check::ok(cache, "set", cache.set(key, value(), timeout).await);
    }
    check::ok(
        cache,
        "keep_alive to never",
        cache.keep_alive(&to_never, Timeout::Never).await,
    );
    let ops = [Write::keep_alive(in_batch.clone(), hour)];
    check::ok(
        cache,
        "keep_alive in write_batch",
        cache.write_batch(&ops).await,
    );
    for key in [&never, &long] {
        check::ok(
            cache,
            "keep_alive shorter",
            cache.keep_alive(key, Timeout::secs(1)).await,
        );
    }
    check::ok(
        cache,
        "keep_alive of an absent key",
        cache.keep_alive(&absent, Timeout::Never).await,
    );

    tokio::time::sleep(EXPIRY_WAIT).await;
    let keys = [
        to_never.as_str(),
        in_batch.as_str(),
        never.as_str(),
        long.as_str(),
        absent.as_str(),
    ];
    let got = check::ok(
        cache,
        "get_many after keep_alive",
        cache.get_many(&keys).await,
    );
    let kept: Option<&[u8]> = Some(b"kept");
    check::values(
        cache,
        "keep_alive lengthens (alone and batched), never shortens, never creates",
        &got,
        &[kept, kept, kept, kept, None],
    );
    check::ok(cache, "delete_many", cache.delete_many(&keys).await);
}

/// Values are opaque bytes: every byte value, empty, and 512 KB round-trip.
pub async fn values(cache: &dyn CacheInstance) {
    let ns = namespace("values");
    let every_byte: Vec<u8> = (0..=255u8).collect();
    let large: Vec<u8> = (0..512 * 1024).map(|i: u32| (i % 251) as u8).collect();
    let cases: [(&str, &[u8]); 3] = [("binary", &every_byte), ("empty", b""), ("large", &large)];
    for (name, expected) in cases {
        let key = format!("{ns}{name}");
        let what = format!("{name} value");
        let stored = cache
            .set(&key, Bytes::copy_from_slice(expected), Timeout::Never)
            .await;
        check::ok(cache, &format!("set of a {what}"), stored);
        let got = check::ok(cache, &format!("get of a {what}"), cache.get(&key).await);
        check::value(
            cache,
            &format!("{what} must round-trip"),
            got.as_ref(),
            Some(expected),
        );
        let got = check::ok(
            cache,
            &format!("get_many of a {what}"),
            cache.get_many(&[&key]).await,
        );
        check::values(
            cache,
            &format!("{what} through get_many"),
            &got,
            &[Some(expected)],
        );
        check::ok(cache, "delete", cache.delete(&key).await);
    }
}

/// Keys as user input makes them (unicode, spaces, colons, punctuation, 1000 and 10 000
/// characters, NUL, CR/LF with a command after it, the empty key) round-trip and stay
/// distinct (backends may digest keys internally).
pub async fn keys(cache: &dyn CacheInstance) {
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

/// A few hundred keys through set_many and get_many, with absent keys interleaved.
pub async fn many_keys(cache: &dyn CacheInstance) {
    const COUNT: usize = 300;
    let ns = namespace("many");
    let keys: Vec<String> = (0..COUNT).map(|i| format!("{ns}{i}")).collect();
    let values: Vec<Bytes> = (0..COUNT).map(|i| Bytes::from(format!("v{i}"))).collect();
    // Store the even keys only; the odd ones stay absent.
    let entries: Vec<(&str, Bytes)> = keys
        .iter()
        .zip(&values)
        .step_by(2)
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    check::ok(
        cache,
        "set_many of many keys",
        cache.set_many(&entries, Timeout::Never).await,
    );
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got = check::ok(cache, "get_many of many keys", cache.get_many(&refs).await);
    let expected: Vec<Option<&[u8]>> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i % 2 == 0).then_some(v.as_ref()))
        .collect();
    check::values(cache, "get_many of many keys", &got, &expected);
    check::ok(
        cache,
        "delete_many of many keys",
        cache.delete_many(&refs).await,
    );
    let got = check::ok(
        cache,
        "get_many after delete_many",
        cache.get_many(&refs).await,
    );
    assert!(
        got.iter().all(Option::is_none),
        "[{}] delete_many of many keys must remove them all",
        cache.name()
    );
}
