//! Lifetimes through every write: `Timeout::After` expires, `Timeout::Never` persists.

use super::{Backend, EXPIRY_WAIT, SHORT_LIFE, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout, Write};

/// Timeout::After expires (through set, add, set_many and write_batch); Timeout::Never
/// persists.
pub async fn expiry(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
