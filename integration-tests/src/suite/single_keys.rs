//! Single keys: get, set, overwrite and delete.

use super::{Backend, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout};

/// get on an absent key, set/get, overwrite, delete (true, then false).
pub async fn single_keys(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
