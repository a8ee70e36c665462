//! A few hundred keys in one batch.

use super::{Backend, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout};

/// A few hundred keys through set_many and get_many, with absent keys interleaved.
pub async fn many_keys(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
