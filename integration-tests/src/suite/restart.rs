//! A private server stopped, restarted and frozen under a cache: calls fail quickly while it
//! is down, time out while it is frozen, and work again once it is back.

use super::Backend;
use crate::support::{bytes, from_url, wait_until_answering, with_options};
use easy_cache_core::{ErrorKind, Timeout};
use std::time::{Duration, Instant};

/// The operation timeout of the cache under test.
const TIMEOUT_MS: u64 = 300;
/// What one call on a dead server may cost: the operation timeout, the connect timeout
/// (250 ms), and slack.
const DOWN_CALL: Duration = Duration::from_millis(TIMEOUT_MS + 250 + 300);
/// What one call on a frozen server may cost: the operation timeout and slack.
const FROZEN_CALL: Duration = Duration::from_millis(TIMEOUT_MS + 400);

/// Stopped: calls fail quickly (`Backend` or `Timeout`). Restarted: calls work again within
/// 5 s, on the empty server. Frozen: a call times out instead of hanging, and calls work
/// again once it thaws.
pub async fn recovers_after_a_restart_and_times_out_when_frozen(backend: &Backend) {
    let kind = backend
        .private_server
        .unwrap_or_else(|| panic!("[{}] names no private server", backend.url("")));
    let server = kind.start().await;
    let node = server.handle();
    let cache = from_url(&with_options(
        &server.url(),
        &format!("timeout_ms={TIMEOUT_MS}"),
    ));
    let name = cache.name().to_owned();
    // Concurrent writes open several connections, all of which the restart will break.
    let writes: Vec<_> = (0..8)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move {
                let key = ["a", "b", "c", "d"][i % 4];
                cache.set(key, bytes("before"), Timeout::Never).await
            })
        })
        .collect();
    for write in writes {
        write.await.unwrap().unwrap();
    }
    assert_eq!(cache.get("a").await.unwrap(), Some(bytes("before")));

    node.stop().await.unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        let call = Instant::now();
        let err = cache.get("a").await.expect_err("the server is down");
        assert!(
            matches!(err.kind(), ErrorKind::Backend | ErrorKind::Timeout),
            "[{name}] {err}"
        );
        assert!(
            call.elapsed() < DOWN_CALL,
            "[{name}] a call on a stopped server took {:?}",
            call.elapsed()
        );
        let set = cache.set("a", bytes("w"), Timeout::Never).await;
        assert!(set.is_err(), "[{name}] a set on a stopped server");
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "[{name}] {:?}",
        started.elapsed()
    );

    node.start().await.unwrap();
    wait_until_answering(&*cache, "a", Duration::from_secs(5)).await;
    // The restarted server is empty; every call works on it.
    assert_eq!(cache.get("a").await.unwrap(), None, "[{name}]");
    cache
        .set("a", bytes("after"), Timeout::Never)
        .await
        .unwrap();
    assert_eq!(cache.get("a").await.unwrap(), Some(bytes("after")));

    // A frozen server: calls time out instead of hanging, and work again once it thaws.
    node.pause().await.unwrap();
    let started = Instant::now();
    let result = cache.get("a").await;
    let took = started.elapsed();
    node.unpause().await.unwrap();
    let err = result.expect_err("the server is frozen");
    assert_eq!(err.kind(), ErrorKind::Timeout, "[{name}] {err}");
    assert!(took < FROZEN_CALL, "[{name}] a frozen call took {took:?}");
    wait_until_answering(&*cache, "a", Duration::from_secs(5)).await;
    assert_eq!(cache.get("a").await.unwrap(), Some(bytes("after")));
}
