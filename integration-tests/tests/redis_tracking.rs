//! Client tracking of tag and prefix versions on a standalone Redis (each test on a private
//! server, so the server's command counts are its own): a tagged hit reads only its entry;
//! a version changed by another connection is seen by the very next read; a lost
//! connection forgets what it kept; a server that refuses tracking still serves; a server that
//! cannot turn tracking on for a while gets asked again.

mod reliability;

use bytes::Bytes;
use easy_cache::{caches, ecached};
use easy_cache_core::{CacheInstance, Timeout};
use easy_cache_integration_tests::redis_stats::command_calls;
use easy_cache_integration_tests::servers::{RedisServer, ServerMode, start_redis};
use easy_cache_redis::{RedisCache, RedisConfig};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

async fn private_redis() -> RedisServer {
    start_redis(ServerMode::from_env())
        .await
        .unwrap_or_else(|e| panic!("cannot start a private redis: {e}"))
}

fn cache(url: &str, options: &str) -> RedisCache {
    let url = format!("{url}?timeout_ms=1000&connect_timeout_ms=1000{options}");
    RedisCache::new(RedisConfig::from_url(&url).expect("redis URL")).expect("a redis cache")
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn reset_stats(conn: &mut redis::aio::MultiplexedConnection) {
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async::<()>(conn)
        .await
        .unwrap();
}

/// `SET key value` through `conn`, as another process would write it.
async fn raw_set(conn: &mut redis::aio::MultiplexedConnection, key: &str, value: &[u8]) {
    redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query_async::<()>(conn)
        .await
        .unwrap();
}

/// The server's `GET` and `MGET` counts.
async fn gets_and_mgets(conn: &mut redis::aio::MultiplexedConnection) -> (u64, u64) {
    (
        command_calls(conn, "get").await,
        command_calls(conn, "mget").await,
    )
}

/// Stores the entry `entry` = `e` and the version `version_key` = `version` through `cache`.
async fn store_entry_and_version(cache: &RedisCache, version_key: &str, version: &'static [u8]) {
    let entries = [
        ("entry", Bytes::from_static(b"e")),
        (version_key, Bytes::from_static(version)),
    ];
    cache.set_many(&entries, Timeout::Never).await.unwrap();
}

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("track:{n}", 600, tags = ["books", "book:{n}"], prefix = "shelf", cache_alias = "tracking_hits")]
async fn tracked_book(n: u64) -> u64 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    n * 10
}

static PLAIN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("plain:{n}", 600, tags = ["books", "book:{n}"], prefix = "shelf", cache_alias = "tracking_off")]
async fn untracked_book(n: u64) -> u64 {
    PLAIN_RUNS.fetch_add(1, Ordering::SeqCst);
    n * 10
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tagged_hit_reads_only_its_entry_and_invalidations_still_count() {
    let server = private_redis().await;
    let url = server.url();
    caches::insert("tracking_hits", std::sync::Arc::new(cache(&url, "")));
    caches::insert(
        "tracking_off",
        std::sync::Arc::new(cache(&url, "&client_tracking=false")),
    );
    let mut admin = raw(&url).await;

    // The untracked function first: its store keeps the shared version alive (a write
    // the tracked connection is told about).
    assert_eq!(untracked_book(1).await, 10);
    assert_eq!(untracked_book(1).await, 10);
    // Cold: computes and creates the versions. The server's pushes for those writes may
    // reach a later call while its read is out, and that call does not keep what it read;
    // warm up until a call is one GET (bounded: pushes of the cold writes are finite).
    assert_eq!(tracked_book(1).await, 10);
    let mut warm = false;
    for _ in 0..50 {
        reset_stats(&mut admin).await;
        assert_eq!(tracked_book(1).await, 10);
        if gets_and_mgets(&mut admin).await == (1, 0) {
            warm = true;
            break;
        }
    }
    assert!(warm, "a tracked hit never came down to one GET");
    let (runs, plain_runs) = (
        RUNS.load(Ordering::SeqCst),
        PLAIN_RUNS.load(Ordering::SeqCst),
    );

    reset_stats(&mut admin).await;
    for _ in 0..100 {
        assert_eq!(tracked_book(1).await, 10);
    }
    let (gets, mgets) = gets_and_mgets(&mut admin).await;
    assert_eq!((gets, mgets), (100, 0), "tracked hits: one GET each");

    reset_stats(&mut admin).await;
    for _ in 0..100 {
        assert_eq!(untracked_book(1).await, 10);
    }
    let (gets, mgets) = gets_and_mgets(&mut admin).await;
    assert_eq!((gets, mgets), (0, 100), "untracked hits: one MGET each");
    assert_eq!(
        RUNS.load(Ordering::SeqCst),
        runs,
        "every tracked call was a hit"
    );
    assert_eq!(PLAIN_RUNS.load(Ordering::SeqCst), plain_runs);

    // An invalidation through the same cache, then through another process's connection.
    easy_cache::using_alias("tracking_hits")
        .invalidate_tags("book:1")
        .await
        .unwrap();
    assert_eq!(tracked_book(1).await, 10);
    assert_eq!(
        RUNS.load(Ordering::SeqCst),
        runs + 1,
        "invalidated: computed again"
    );
    raw_set(&mut admin, "ec:p:shelf", b"elsewhere").await;
    assert_eq!(tracked_book(1).await, 10);
    assert_eq!(
        RUNS.load(Ordering::SeqCst),
        runs + 2,
        "prefix changed elsewhere"
    );
    server.into_handle().remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_written_by_another_connection_is_seen_by_the_next_read() {
    let server = private_redis().await;
    let url = server.url();
    let reader = cache(&url, "");
    let writer = cache(&url, "");
    let mut other_process = raw(&url).await;
    let keys = ["entry", "ec:t:race", "ec:p:race"];
    writer
        .set("entry", Bytes::from_static(b"e"), Timeout::Never)
        .await
        .unwrap();
    let mut stale = 0;
    for round in 0u64..2000 {
        let version = Bytes::from(round.to_le_bytes().to_vec());
        // Alternate the writer: another cache of this process, or a raw connection.
        if round % 2 == 0 {
            writer
                .set("ec:t:race", version.clone(), Timeout::Never)
                .await
                .unwrap();
        } else {
            raw_set(&mut other_process, "ec:t:race", &version).await;
        }
        // The write has returned: the next read must see it (and keep it for the one after).
        for _ in 0..2 {
            let values = reader.get_many(&keys).await.unwrap();
            assert_eq!(values[0].as_deref(), Some(&b"e"[..]));
            if values[1].as_ref() != Some(&version) {
                stale += 1;
            }
        }
    }
    assert_eq!(stale, 0, "reads that missed a version written before them");
    server.into_handle().remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_forgets_the_versions_it_kept() {
    let server = private_redis().await;
    let url = server.url();
    let reader = cache(&url, "");
    let keys = ["entry", "ec:t:restart"];
    store_entry_and_version(&reader, "ec:t:restart", b"before").await;
    for _ in 0..2 {
        let values = reader.get_many(&keys).await.unwrap();
        assert_eq!(values[1].as_deref(), Some(&b"before"[..]));
    }
    server.stop().await.unwrap();
    server.start().await.unwrap();
    // The restarted server may or may not have kept its data; either way, once it answers,
    // it is the only source of the version.
    let mut admin = raw(&url).await;
    raw_set(&mut admin, "ec:t:restart", b"after").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut answered = 0;
    while answered < 3 {
        match reader.get_many(&keys).await {
            Ok(values) => {
                assert_eq!(
                    values[1].as_deref(),
                    Some(&b"after"[..]),
                    "a version kept across a restart"
                );
                answered += 1;
            }
            Err(_) => assert!(Instant::now() < deadline, "no connection after the restart"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.into_handle().remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_tracking_still_serves_every_read() {
    let server = private_redis().await;
    let url = server.url();
    let mut admin = raw(&url).await;
    // A user allowed everything but CLIENT: the tracking command is refused.
    redis::cmd("ACL")
        .arg(
            &[
                "SETUSER", "notrack", "on", ">pw", "~*", "&*", "+@all", "-client",
            ][..],
        )
        .query_async::<()>(&mut admin)
        .await
        .unwrap();
    let authed = url.replacen("redis://", "redis://notrack:pw@", 1);
    let refused = cache(&authed, "");
    let keys = ["entry", "ec:t:acl"];
    store_entry_and_version(&refused, "ec:t:acl", b"1").await;
    reset_stats(&mut admin).await;
    for round in 0u64..20 {
        let version = Bytes::from(round.to_le_bytes().to_vec());
        raw_set(&mut admin, "ec:t:acl", &version).await;
        let values = refused.get_many(&keys).await.unwrap();
        assert_eq!(values[1].as_ref(), Some(&version));
    }
    assert_eq!(
        command_calls(&mut admin, "mget").await,
        20,
        "versions read with each entry"
    );
    server.into_handle().remove().await.unwrap();
}

/// A server answering `CLIENT TRACKING` with a transient error (`-LOADING` while it loads its
/// data, `-BUSY` while a script runs) must not turn tracking off for good: reads are served
/// by the MGET fallback meanwhile, and tracking is asked for again with a backoff (100 ms,
/// doubling), so tagged hits become one `GET` again once the server accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_loading_error_does_not_turn_client_tracking_off_for_good() {
    const REFUSALS: usize = 3;
    let server = private_redis().await;
    let url = server.url();
    let mut admin = raw(&url).await;
    let upstream = reliability::first_server(&url, 6379);
    for reply in [
        "-LOADING Redis is loading the dataset in memory\r\n",
        "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSCRIPT.\r\n",
    ] {
        let proxy = reliability::Proxy::start(upstream).await;
        proxy.refuse_tracking(reply, REFUSALS);
        let cache = cache(&format!("redis://127.0.0.1:{}", proxy.port()), "");
        let keys = ["entry", "ec:t:loading"];
        store_entry_and_version(&cache, "ec:t:loading", b"1").await;
        // Backoffs of 100, 200 and 400 ms: tracking is back well within 10 s.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut reads = 0;
        loop {
            reset_stats(&mut admin).await;
            let values = cache.get_many(&keys).await.expect("every read is served");
            assert_eq!(values[0].as_deref(), Some(&b"e"[..]));
            assert_eq!(values[1].as_deref(), Some(&b"1"[..]));
            reads += 1;
            if gets_and_mgets(&mut admin).await == (1, 0) {
                break; // the version came from memory: tracking is on
            }
            assert!(
                Instant::now() < deadline,
                "{reply:?}: client tracking did not come back within 10 s ({} refusals left)",
                proxy.tracking_refusals_left()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            proxy.tracking_refusals_left(),
            0,
            "{reply:?}: the refusals reached the cache"
        );
        eprintln!(
            "{}: tracking back after {reads} reads",
            reply.split(' ').next().unwrap_or(reply)
        );
    }
    server.into_handle().remove().await.unwrap();
}
