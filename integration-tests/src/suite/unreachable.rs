//! A server that is not there: every call fails quickly with a backend or timeout error,
//! and nothing panics. Building the cache needs no server.

use super::Backend;
use crate::support::{bytes, closed_port, from_url};
use easy_cache_core::{ErrorKind, Timeout, Write};
use std::time::{Duration, Instant};

/// Every call on a cache whose server is a loopback port nothing listens on fails with
/// `Backend` or `Timeout`, the eight within 3 s, a single one within the operation timeout
/// plus the connect timeout.
pub async fn an_unreachable_server_errors_quickly(backend: &Backend) {
    let scheme = backend
        .network_scheme
        .unwrap_or_else(|| panic!("[{}] is not a network backend", backend.url("")));
    let url = format!("{scheme}://127.0.0.1:{}?timeout_ms=200", closed_port());
    // Building succeeds while nothing listens: the connection opens on first use.
    let cache = from_url(&url);
    let key = "unreachable:k";
    let started = Instant::now();
    let batch = [Write::set(key, bytes("v"), Timeout::Never)];
    let results = [
        ("get", cache.get(key).await.map(drop)),
        ("get_many", cache.get_many(&[key, "b"]).await.map(drop)),
        ("set", cache.set(key, bytes("v"), Timeout::Never).await),
        (
            "set_many",
            cache.set_many(&[(key, bytes("v"))], Timeout::Never).await,
        ),
        (
            "add",
            cache.add(key, bytes("v"), Timeout::Never).await.map(drop),
        ),
        ("delete", cache.delete(key).await.map(drop)),
        ("delete_many", cache.delete_many(&[key]).await),
        ("write_batch", cache.write_batch(&batch).await),
    ];
    for (call, result) in results {
        let err = result.expect_err("nothing listens there");
        assert!(
            matches!(err.kind(), ErrorKind::Backend | ErrorKind::Timeout),
            "{url}: {call}: {err}"
        );
    }
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "{url}: {elapsed:?}");
    // One call: the operation timeout (200 ms), the connect timeout (250 ms), and slack.
    let started = Instant::now();
    let _ = cache.get(key).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(200 + 250 + 300),
        "{url}: one get took {:?}",
        started.elapsed()
    );
}
