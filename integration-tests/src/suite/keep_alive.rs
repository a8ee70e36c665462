//! `keep_alive`: lengthens lifetimes, never shortens them, never creates keys.

use super::{Backend, EXPIRY_WAIT, SHORT_LIFE, check};
use crate::support::namespace;
use bytes::Bytes;
use easy_cache_core::{CacheInstance, Timeout, Write};

/// `keep_alive` (alone and in a write batch) lengthens a lifetime to at least the one
/// asked, up to "never"; it never shortens one, and never creates an absent key.
pub async fn keep_alive(backend: &Backend) {
    let cache = backend.open("");
    let cache: &dyn CacheInstance = &*cache;
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
