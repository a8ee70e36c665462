//! `get_many`, `set_many` and `delete_many`.

use super::{Backend, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout};

/// get_many with present and absent keys (order kept), set_many, delete_many.
pub async fn batches(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
