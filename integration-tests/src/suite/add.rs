//! `add`: stores only where nothing is.

use super::{Backend, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout};

/// add: stores on an absent key (true), leaves a present key unchanged (false).
pub async fn add(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
