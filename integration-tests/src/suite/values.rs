//! Values are opaque bytes.

use super::{Backend, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout};

/// Values are opaque bytes: every byte value, empty, and 512 KB round-trip.
pub async fn values(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
