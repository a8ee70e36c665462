//! What the Redis backend stores, on real servers: lifetimes past any horizon, version keys
//! kept alive as long as their longest-lived entry (and how a server before 7.0 is
//! handled), version keys that never outlive their entries, and invalidations acknowledged
//! by replicas (`wait_replicas`). The shared server comes from `EASY_CACHE_TEST_REDIS_URL`;
//! tests that need a renamed command or a replica start private `redis-server` processes.

use bytes::Bytes;
use easy_cache::{CacheInstance, ErrorKind, Timeout, Write, caches, ecached};
use easy_cache_integration_tests::{
    env,
    redis_stats::command_calls,
    servers::{ensure_binaries, find_binary},
    support::{LocalProcess, TempDir, closed_port},
};
use easy_cache_redis::{RedisCache, RedisConfig};
use redis::aio::MultiplexedConnection;
use std::{
    process::Command,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

/// 100 years in milliseconds: the longest lifetime the backend sends.
const HORIZON_MS: i64 = 36_525 * 24 * 3_600 * 1_000;
const YEAR: Duration = Duration::from_secs(31_557_600);

/// The shared standalone server's URL, or a failure telling how to get one.
fn url() -> String {
    env::require_url(env::REDIS_URL)
}

/// A fresh key namespace, so tests run in parallel on shared servers.
fn namespace(topic: &str) -> String {
    format!("rdata:{topic}:{:016x}", fastrand::u64(..))
}

fn bytes(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// A plain connection to the server of `url`, to look at what the cache stored.
async fn raw(url: &str) -> MultiplexedConnection {
    let node = RedisConfig::from_url(url).unwrap().nodes[0].clone();
    redis::Client::open(format!("redis://{node}"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("connect to {node}: {e}"))
}

async fn pttl(conn: &mut MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(conn).await.unwrap()
}

/// A `redis-server` process of our own on a free loopback port; killed on drop.
struct LocalRedis {
    /// Runs in a directory of its own (a replica's first sync writes an RDB file there).
    _process: LocalProcess,
    port: u16,
}

impl LocalRedis {
    async fn start(extra: &[&str]) -> Self {
        // These servers run as local processes even when the run uses containers.
        ensure_binaries()
            .await
            .unwrap_or_else(|e| panic!("redis-server is needed: {e}"));
        let program = find_binary("redis-server").expect("redis-server is not installed");
        let port = closed_port();
        let mut command = Command::new(program);
        command
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(extra);
        let server = LocalRedis {
            _process: LocalProcess::spawn(command, TempDir::new("redis-data")),
            port,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let client = redis::Client::open(server.url()).unwrap();
            if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
                if redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .is_ok()
                {
                    return server;
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server on {port} did not start"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

// Lifetimes past any horizon: `Duration::MAX` once failed every store (`invalid expire time`).

#[tokio::test]
async fn a_lifetime_past_any_horizon_stores_and_reads_back_on_redis() {
    let url = url();
    let cache = RedisCache::new(RedisConfig::from_url(&url).unwrap()).unwrap();
    let mut conn = raw(&url).await;
    let ns = namespace("horizon");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    // A day past 2038-01-19 03:14:07 UTC, the end of 32-bit seconds.
    let past_2038 = Duration::from_secs(i32::MAX as u64 + 86_400) - now;
    let lifetimes = [
        ("max", Duration::MAX, HORIZON_MS),
        ("secs_max", Duration::from_secs(u64::MAX), HORIZON_MS),
        ("200_years", YEAR * 200, HORIZON_MS),
        ("past_2038", past_2038, past_2038.as_millis() as i64),
    ];
    for (name, life, want_ms) in lifetimes {
        let timeout = Timeout::After(life);
        let k = |what: &str| format!("{ns}:{name}:{what}");
        cache.set(&k("set"), bytes("s"), timeout).await.unwrap();
        assert!(cache.add(&k("add"), bytes("a"), timeout).await.unwrap());
        cache
            .set_many(&[(k("many").as_str(), bytes("m"))], timeout)
            .await
            .unwrap();
        // A version key of a short life, lengthened by an entry of this lifetime.
        cache
            .set(&k("version"), bytes("v"), Timeout::secs(60))
            .await
            .unwrap();
        let ops = [
            Write::keep_alive(k("version"), timeout),
            Write::add(k("batch_add"), bytes("ba"), timeout),
            Write::set(k("batch_set"), bytes("bs"), timeout),
        ];
        cache.write_batch(&ops).await.unwrap();
        let keys = ["set", "add", "many", "version", "batch_add", "batch_set"].map(k);
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let got = cache.get_many(&refs).await.unwrap();
        let want = ["s", "a", "m", "v", "ba", "bs"].map(|v| Some(bytes(v)));
        assert_eq!(got, want, "{name}");
        for key in &keys {
            let ttl = pttl(&mut conn, key).await;
            // Stored with the lifetime (or the 100-year horizon), less the time since.
            assert!(
                ttl <= want_ms && ttl > want_ms - 10_000,
                "{name} {key}: PTTL {ttl}, want about {want_ms}"
            );
        }
    }
    cache.delete_many(&[]).await.unwrap();
}

// Keep-alive: `PEXPIRE ... GT` on Redis 7, a script before it, nothing when both are refused.

/// `keep_alive` lengthens a version key's lifetime, never shortens it, makes it persistent
/// for `Timeout::Never`, and leaves an absent key absent.
async fn keep_alive_lengthens_never_shortens(cache: &RedisCache, url: &str, topic: &str) {
    let mut conn = raw(url).await;
    let ns = namespace(topic);
    let v = format!("{ns}:version");
    cache.set(&v, bytes("v"), Timeout::secs(10)).await.unwrap();
    cache.keep_alive(&v, Timeout::secs(60)).await.unwrap();
    let ttl = pttl(&mut conn, &v).await;
    assert!(ttl > 50_000 && ttl <= 60_000, "lengthened: {ttl}");
    cache.keep_alive(&v, Timeout::secs(5)).await.unwrap();
    let ttl = pttl(&mut conn, &v).await;
    assert!(ttl > 50_000, "never shortened: {ttl}");
    // Inside a write pipeline, beside the entry.
    let ops = [
        Write::keep_alive(v.clone(), Timeout::secs(600)),
        Write::set(format!("{ns}:entry"), bytes("e"), Timeout::secs(600)),
    ];
    cache.write_batch(&ops).await.unwrap();
    let ttl = pttl(&mut conn, &v).await;
    assert!(
        ttl > 590_000 && ttl <= 600_000,
        "lengthened in a batch: {ttl}"
    );
    cache.keep_alive(&v, Timeout::Never).await.unwrap();
    assert_eq!(pttl(&mut conn, &v).await, -1, "PERSIST for never");
    cache.keep_alive(&v, Timeout::secs(60)).await.unwrap();
    assert_eq!(pttl(&mut conn, &v).await, -1, "no expiry is the longest");
    let absent = format!("{ns}:absent");
    cache.keep_alive(&absent, Timeout::secs(60)).await.unwrap();
    cache.keep_alive(&absent, Timeout::Never).await.unwrap();
    assert_eq!(
        pttl(&mut conn, &absent).await,
        -2,
        "an absent key stays absent"
    );
}

#[tokio::test]
async fn keep_alive_lengthens_never_shortens_and_persists_on_redis_7() {
    // A private server, so its command counts are this test's alone.
    let server = LocalRedis::start(&[]).await;
    let cache = RedisCache::new(RedisConfig::from_url(&server.url()).unwrap()).unwrap();
    keep_alive_lengthens_never_shortens(&cache, &server.url(), "gt").await;
    let mut conn = raw(&server.url()).await;
    assert_eq!(
        command_calls(&mut conn, "eval").await,
        0,
        "no script on Redis 7"
    );
    assert_eq!(
        command_calls(&mut conn, "pexpire").await,
        5,
        "PEXPIRE ... GT each time"
    );
}

#[tokio::test]
async fn keep_alive_by_script_does_the_same_as_before_redis_7() {
    let server = LocalRedis::start(&[]).await;
    let cache = RedisCache::new(RedisConfig::from_url(&server.url()).unwrap()).unwrap();
    cache.keep_alive_as_before_redis_7();
    keep_alive_lengthens_never_shortens(&cache, &server.url(), "script").await;
    let mut conn = raw(&server.url()).await;
    assert_eq!(command_calls(&mut conn, "eval").await, 5);
    // Run by the script only when it lengthens: to 60 s, then to 600 s.
    assert_eq!(command_calls(&mut conn, "pexpire").await, 2);
}

#[tokio::test]
async fn keep_alive_refused_by_the_server_never_fails_a_store() {
    // PEXPIRE renamed away: `PEXPIRE ... GT` is an unknown command, and so is the
    // script's PEXPIRE. Both refusals must leave the entries stored and the calls Ok.
    let server = LocalRedis::start(&["--rename-command", "PEXPIRE", "PEXPIRE_RENAMED"]).await;
    let url = server.url();
    let cache = RedisCache::new(RedisConfig::from_url(&url).unwrap()).unwrap();
    let mut conn = raw(&url).await;
    let (v, e1, e2) = ("version", "entry1", "entry2");
    cache.set(v, bytes("v"), Timeout::secs(10)).await.unwrap();
    for entry in [e1, e2] {
        let ops = [
            Write::keep_alive(v.to_owned(), Timeout::secs(600)),
            Write::set(entry.to_owned(), bytes(entry), Timeout::secs(600)),
        ];
        cache.write_batch(&ops).await.unwrap();
        assert_eq!(cache.get(entry).await.unwrap(), Some(bytes(entry)));
    }
    cache.keep_alive(v, Timeout::secs(600)).await.unwrap();
    // The version keeps its first lifetime: correct, only more misses.
    let ttl = pttl(&mut conn, v).await;
    assert!(ttl > 0 && ttl <= 10_000, "{ttl}");
    // Found out once: one script tried, then nothing sent for keep-alives.
    assert_eq!(command_calls(&mut conn, "eval").await, 1);
    // PERSIST still works.
    cache.keep_alive(v, Timeout::Never).await.unwrap();
    assert_eq!(pttl(&mut conn, v).await, -1);
}

// Version keys expire: they once never did (1 M tags, 1 M keys with TTL -1).

const VERSIONS_ALIAS: &str = "redis_data_versions";

#[ecached("{ns}:short:{n}", 60, tags = ["{ns}:tag"], cache_alias = "redis_data_versions")]
async fn short_lived(ns: &str, n: u32) -> u32 {
    let _ = ns;
    n
}

#[ecached("{ns}:long:{n}", 600, tags = ["{ns}:tag"], cache_alias = "redis_data_versions")]
async fn long_lived(ns: &str, n: u32) -> u32 {
    let _ = ns;
    n
}

#[ecached("{ns}:forever:{n}", Timeout::Never, tags = ["{ns}:tag"], cache_alias = "redis_data_versions")]
async fn immortal(ns: &str, n: u32) -> u32 {
    let _ = ns;
    n
}

#[ecached("{ns}:brief:{n}", 2, tags = ["{ns}:many:{n}"], cache_alias = "redis_data_versions")]
async fn brief(ns: &str, n: u32) -> u32 {
    let _ = ns;
    n
}

/// The functions above on the shared server, and a raw connection to it.
async fn versions_cache() -> MultiplexedConnection {
    let url = url();
    if caches::get(VERSIONS_ALIAS).is_none() {
        caches::insert(VERSIONS_ALIAS, caches::from_url(&url).unwrap());
    }
    raw(&url).await
}

#[tokio::test]
async fn version_keys_live_as_long_as_their_longest_entry_on_redis() {
    let mut conn = versions_cache().await;
    let ns = namespace("versions");
    // The tag template writes `ns` as a key part (escaped), as the handle would.
    let version = easy_cache::tag_version_key(&easy_cache::create_tag_cache_key!(ns, "tag"));

    short_lived(&ns, 1).await;
    let ttl = pttl(&mut conn, &version).await;
    assert!(
        ttl > 0 && ttl <= 60_000,
        "created with the entry's lifetime: {ttl}"
    );

    long_lived(&ns, 1).await;
    let ttl = pttl(&mut conn, &version).await;
    assert!(
        ttl > 60_000 && ttl <= 600_000,
        "lengthened by a longer entry: {ttl}"
    );
    short_lived(&ns, 2).await;
    let ttl = pttl(&mut conn, &version).await;
    assert!(ttl > 60_000, "never shortened by a shorter one: {ttl}");

    immortal(&ns, 1).await;
    assert_eq!(
        pttl(&mut conn, &version).await,
        -1,
        "persistent for a Never entry"
    );
    short_lived(&ns, 3).await;
    assert_eq!(pttl(&mut conn, &version).await, -1);

    easy_cache::using_alias(VERSIONS_ALIAS)
        .invalidate_tags(easy_cache::create_tag_cache_key!(ns, "tag"))
        .await
        .unwrap();
    assert_eq!(
        pttl(&mut conn, &version).await,
        -2,
        "deleted by the invalidation"
    );
    short_lived(&ns, 1).await;
    let ttl = pttl(&mut conn, &version).await;
    assert!(
        ttl > 0 && ttl <= 60_000,
        "created again, mortal again: {ttl}"
    );
}

#[tokio::test]
async fn version_keys_of_expired_entries_leave_nothing_behind_on_redis() {
    let mut conn = versions_cache().await;
    let ns = namespace("many");
    for n in 0..1000 {
        assert_eq!(brief(&ns, n).await, n);
    }
    // `ns` as the tag template writes it: an escaped key part.
    let pattern = format!(
        "{}:many:*",
        easy_cache::tag_version_key(&easy_cache::create_tag_cache_key!(ns))
    );
    let scan = |conn: &mut MultiplexedConnection| {
        let mut conn = conn.clone();
        let pattern = pattern.clone();
        async move {
            let mut keys = Vec::new();
            let mut cursor = 0_u64;
            loop {
                let (next, page): (u64, Vec<String>) = redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(&pattern)
                    .arg("COUNT")
                    .arg(1000)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                keys.extend(page);
                if next == 0 {
                    return keys;
                }
                cursor = next;
            }
        }
    };
    let keys = scan(&mut conn).await;
    // On a loaded machine the first ones may have expired already (Redis keeps wall-clock
    // time), so the check that the scan sees them is the newest one, written just now.
    let newest = format!(
        "{}:many:999",
        easy_cache::tag_version_key(&easy_cache::create_tag_cache_key!(ns))
    );
    assert!(
        keys.contains(&newest),
        "{newest} not among {} keys",
        keys.len()
    );
    // None may be immortal or outlive its entry.
    for key in &keys {
        let ttl = pttl(&mut conn, key).await;
        assert!(ttl == -2 || (ttl > 0 && ttl <= 2_000), "{key}: PTTL {ttl}");
    }
    // Once the entries have expired, so have their versions.
    tokio::time::sleep(Duration::from_millis(2_200)).await;
    let left = scan(&mut conn).await;
    assert!(left.is_empty(), "{} version keys left behind", left.len());
}

// Failover: an acknowledged invalidation must not be lost with the primary (async replication).

/// A primary and one replica, the replica in sync.
async fn replicated() -> (LocalRedis, LocalRedis) {
    let primary = LocalRedis::start(&[]).await;
    let port = primary.port.to_string();
    let replica = LocalRedis::start(&["--replicaof", "127.0.0.1", &port]).await;
    let mut conn = raw(&primary.url()).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let info: String = redis::cmd("INFO")
            .arg("replication")
            .query_async(&mut conn)
            .await
            .unwrap();
        // A replica listed `online` has finished its first sync.
        if info.contains("connected_slaves:1") && info.contains("state=online") {
            return (primary, replica);
        }
        assert!(
            Instant::now() < deadline,
            "the replica never synced: {info}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn wait_replicas_acknowledge_every_invalidation_on_a_replicated_redis() {
    let (primary, replica) = replicated().await;
    let url = format!("{}?wait_replicas=1&wait_timeout_ms=5000", primary.url());
    let cache: Arc<dyn CacheInstance> = caches::from_url(&url).unwrap();
    let mut on_replica = raw(&replica.url()).await;
    for key in ["a", "b", "c", "ec:t:tag"] {
        cache.set(key, bytes(key), Timeout::Never).await.unwrap();
    }
    let started = Instant::now();
    assert!(cache.delete("a").await.unwrap());
    assert!(!cache.delete("a").await.unwrap());
    cache.delete_many(&["b", "c"]).await.unwrap();
    caches::insert("redis_data_wait_one", cache.clone());
    easy_cache::using_alias("redis_data_wait_one")
        .invalidate_tags("tag")
        .await
        .unwrap();
    // Acknowledged means on the replica already, with no wait of ours.
    for key in ["a", "b", "c", "ec:t:tag"] {
        let exists: i64 = redis::cmd("EXISTS")
            .arg(key)
            .query_async(&mut on_replica)
            .await
            .unwrap();
        assert_eq!(exists, 0, "{key} still on the replica");
    }
    // No WAIT ran into its 5 s timeout: each replica acknowledged.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let mut on_primary = raw(&primary.url()).await;
    assert_eq!(command_calls(&mut on_primary, "wait").await, 4);
}

#[tokio::test]
async fn wait_for_more_replicas_than_answer_fails_the_invalidation_within_the_wait() {
    let (primary, _replica) = replicated().await;
    let url = format!("{}?wait_replicas=2&wait_timeout_ms=300", primary.url());
    let cache: Arc<dyn CacheInstance> = caches::from_url(&url).unwrap();
    cache.set("k", bytes("v"), Timeout::Never).await.unwrap();
    caches::insert("redis_data_wait_two", cache.clone());
    let invalidations = [
        cache.delete("k").await.map(drop),
        cache.delete_many(&["k", "l"]).await,
        easy_cache::using_alias("redis_data_wait_two")
            .invalidate_tags("tag")
            .await,
    ];
    for outcome in invalidations {
        let err = outcome.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
        // The one replica acknowledges, unless a loaded machine keeps it past the wait.
        let reached = ["1 of 2 replicas", "0 of 2 replicas"];
        assert!(reached.iter().any(|r| err.message().contains(r)), "{err}");
    }
    // Each after the wait (300 ms), not the operation timeout alone, and without hanging.
    for _ in 0..2 {
        let started = Instant::now();
        let err = cache.delete("k").await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
        assert!(
            took >= Duration::from_millis(290) && took < Duration::from_secs(5),
            "{took:?}"
        );
    }
    // The delete itself was applied: only the acknowledgement is missing.
    assert_eq!(cache.get("k").await.unwrap(), None);
}
