//! `write_batch`: its ops apply in order.

use super::{Backend, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout, Write};

/// write_batch applies Set and Add in order: an Add after a Set of the same key is refused,
/// a Set after an Add overwrites, an Add on a key present before the batch changes nothing.
pub async fn write_batch(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
