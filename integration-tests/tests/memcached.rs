//! The memcached backend against real servers: the URL of two or more servers comes from
//! `EASY_CACHE_TEST_MEMCACHED_URL` (set by `cargo xtask test`); fault tests start private
//! servers of their own.

use bytes::Bytes;
use easy_cache_core::{CacheInstance, ErrorKind, Result, Timeout, Write};
use easy_cache_integration_tests::{
    behaviour_suite, env,
    servers::{ServerMode, start_memcached},
    suite::{Backend, PrivateServer},
    support::{
        LocalProcess, TempDir, bytes, closed_port, from_url, namespace, wait_until_listening,
    },
};
use easy_cache_memcached::{MemcachedCache, MemcachedConfig};
use std::{
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// The shared servers' URL, or a failure telling how to get one.
fn url() -> String {
    env::require_url(env::MEMCACHED_URL)
}

/// The servers of the shared URL, as `host:port`.
fn servers() -> Vec<String> {
    let servers = MemcachedConfig::from_url(&url())
        .expect("EASY_CACHE_TEST_MEMCACHED_URL must parse")
        .servers;
    assert!(
        servers.len() >= 2,
        "EASY_CACHE_TEST_MEMCACHED_URL must list two or more servers"
    );
    servers
}

/// The shared servers (two or more); the restart topic starts a private one.
fn ring() -> Backend {
    Backend::new(url())
        .whole_seconds()
        // Enough connections that many adds are really in flight at once.
        .concurrency_options("pool_size=16")
        .network("memcache")
        .restartable(PrivateServer::Memcached)
        .near("near_capacity=100&near_ttl=60")
}

behaviour_suite!(ring = ring(), key_prefix, unreachable, restartable, near);

/// `get` that must succeed.
async fn get(cache: &dyn CacheInstance, key: &str) -> Option<Bytes> {
    cache
        .get(key)
        .await
        .unwrap_or_else(|e| panic!("get {key:?}: {e}"))
}

#[tokio::test]
async fn alias_scheme_and_key_prefix_work() {
    let plain = from_url(&url());
    let alias = url().replacen("memcache://", "memcached://", 1);
    let prefixed = from_url(&format!("{alias}?key_prefix=tenant-a:"));
    let ns = namespace("mc:prefix");
    let key = format!("{ns}k");
    prefixed
        .set(&key, bytes("a"), Timeout::Never)
        .await
        .unwrap();
    assert_eq!(get(&*prefixed, &key).await, Some(bytes("a")));
    // The prefix is really prepended on the server.
    assert_eq!(get(&*plain, &key).await, None);
    assert_eq!(
        get(&*plain, &format!("tenant-a:{key}")).await,
        Some(bytes("a"))
    );
    assert_eq!(prefixed.name(), plain.name());
}

#[tokio::test]
async fn batches_span_servers_and_keep_order() -> Result<()> {
    let cache = from_url(&url());
    let ns = namespace("mc:batch");
    let keys: Vec<String> = (0..300).map(|i| format!("{ns}{i}")).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let entries: Vec<(&str, Bytes)> = refs.iter().map(|k| (*k, bytes(k))).collect();
    cache.set_many(&entries, Timeout::Never).await?;
    let got = cache.get_many(&refs).await?;
    for (key, value) in refs.iter().zip(&got) {
        assert_eq!(value.as_deref(), Some(key.as_bytes()), "{key}");
    }
    cache.delete_many(&refs).await?;
    assert!(cache.get_many(&refs).await?.iter().all(Option::is_none));
    Ok(())
}

/// The remaining lifetime of `key` as the server holding it reports it (`mg <key> t`, on a
/// connection of its own): `Some(-1)` when it never expires, `None` when it is absent.
/// For a cache without a key prefix, whose keys memcached stores unchanged.
async fn server_ttl(cache: &MemcachedCache, key: &str) -> Option<i64> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mut socket = tokio::net::TcpStream::connect(cache.server_for(key))
        .await
        .unwrap();
    socket
        .write_all(format!("mg {key} t\r\n").as_bytes())
        .await
        .unwrap();
    let mut line = String::new();
    BufReader::new(socket).read_line(&mut line).await.unwrap();
    match line.trim_end() {
        "EN" => None,
        reply => Some(
            reply
                .strip_prefix("HD t")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected reply to mg {key} t: {reply:?}")),
        ),
    }
}

/// Seconds from now to 2038-01-19T03:14:07Z, the last absolute exptime memcached keeps.
fn secs_to_2038() -> u64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i32::MAX as u64 - now.as_secs()
}

#[tokio::test]
async fn a_lifetime_past_2038_stores_and_reads_back_on_memcached() -> Result<()> {
    let cache = MemcachedCache::new(MemcachedConfig::from_url(&url()).unwrap()).unwrap();
    let ns = namespace("mc:y2038");
    let lifetimes = [
        ("max", Duration::MAX),
        ("u64max", Duration::from_secs(u64::MAX)),
        ("century", Duration::from_secs(100 * 365 * 24 * 3600)),
        ("past2038", Duration::from_secs(secs_to_2038() + 1)),
    ];
    let mut keys = Vec::new();
    for (name, ttl) in lifetimes {
        let timeout = Timeout::After(ttl);
        let [set, add, batch, kept] =
            ["set", "add", "batch", "kept"].map(|k| format!("{ns}{name}:{k}"));
        cache.set(&set, bytes(&set), timeout).await?;
        assert!(cache.add(&add, bytes(&add), timeout).await?, "{add}");
        let ops = [Write::set(batch.clone(), bytes(&batch), timeout)];
        cache.write_batch(&ops).await?;
        // Lengthened from a minute by a keep-alive: clamped the same way.
        cache.set(&kept, bytes(&kept), Timeout::secs(60)).await?;
        cache.keep_alive(&kept, timeout).await?;
        keys.extend([set, add, batch, kept]);
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got = cache.get_many(&refs).await?;
    for (key, value) in refs.iter().zip(&got) {
        assert_eq!(value.as_deref(), Some(key.as_bytes()), "{key} reads back");
        // Clamped to 2038-01-19 (an upper bound of the lifetime asked), not "never".
        let ttl = server_ttl(&cache, key).await.unwrap();
        let to_2038 = secs_to_2038() as i64;
        assert!(
            (to_2038 - 5..=to_2038 + 5).contains(&ttl),
            "{key}: ttl {ttl}, {to_2038} s to 2038"
        );
    }
    cache.delete_many(&refs).await?;
    Ok(())
}

#[tokio::test]
async fn keys_are_spread_over_every_server() {
    let servers = servers();
    let cache = MemcachedCache::new(MemcachedConfig::from_url(&url()).unwrap()).unwrap();
    // One cache per server, to look at each server alone.
    let singles: Vec<Arc<dyn CacheInstance>> = servers
        .iter()
        .map(|s| from_url(&format!("memcache://{s}")))
        .collect();
    let ns = namespace("mc:spread");
    let keys: Vec<String> = (0..200).map(|i| format!("{ns}{i}")).collect();
    let entries: Vec<(&str, Bytes)> = keys.iter().map(|k| (k.as_str(), bytes(k))).collect();
    cache.set_many(&entries, Timeout::Never).await.unwrap();
    let mut per_server = vec![0usize; servers.len()];
    for key in &keys {
        let home = servers
            .iter()
            .position(|s| s == cache.server_for(key))
            .unwrap();
        per_server[home] += 1;
        for (i, single) in singles.iter().enumerate() {
            let found = get(&**single, key).await;
            assert_eq!(found.is_some(), i == home, "{key} on server {i}");
        }
    }
    for (server, count) in servers.iter().zip(&per_server) {
        assert!(
            *count >= 200 / servers.len() / 3,
            "{server} holds {count} of 200 keys"
        );
    }
}

#[tokio::test]
async fn keys_cannot_inject_commands() -> Result<()> {
    let cache = from_url(&url());
    let ns = namespace("mc:inject");
    let victim = format!("{ns}victim");
    cache
        .set(&victim, bytes("still here"), Timeout::Never)
        .await?;
    for evil in [
        format!("{ns}x\r\nflush_all\r\n"),
        format!("{ns}x flush_all"),
        format!("{ns}x\nflush_all 0\n"),
        "\r\nflush_all\r\n".to_owned(),
    ] {
        cache.set(&evil, bytes("evil"), Timeout::Never).await?;
        assert_eq!(cache.get(&evil).await?, Some(bytes("evil")), "{evil:?}");
        cache.get_many(&[&evil, &victim]).await?;
        cache.add(&evil, bytes("again"), Timeout::Never).await?;
        assert!(cache.delete(&evil).await?, "{evil:?}");
        cache.delete_many(&[&evil]).await?;
    }
    assert_eq!(cache.get(&victim).await?, Some(bytes("still here")));
    Ok(())
}

#[tokio::test]
async fn unsafe_keys_round_trip_and_stay_distinct() -> Result<()> {
    let cache = from_url(&format!("{}?key_prefix=app:", url()));
    let ns = namespace("mc:unsafe");
    let shared = format!("{ns}{}", "x".repeat(250));
    let keys = [
        String::new(),
        format!("{ns}with space"),
        format!("{ns}tab\there"),
        format!("{ns}nul\0byte"),
        format!("{ns}caf\u{e9} \u{1F980}"),
        format!("{ns}{}", "k".repeat(300)),
        format!("{shared}a"),
        format!("{shared}b"),
        format!("h:{ns}looks-digested"),
        // Exactly 250 bytes with the prefix: passes through unchanged.
        format!("{ns}{}", "e".repeat(250 - 4 - ns.len())),
    ];
    for key in &keys {
        cache
            .set(key, bytes(&format!("v:{key}")), Timeout::Never)
            .await?;
    }
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let got = cache.get_many(&refs).await?;
    for (key, value) in keys.iter().zip(got) {
        assert_eq!(value, Some(bytes(&format!("v:{key}"))), "{key:?}");
        assert_eq!(get(&*cache, key).await, Some(bytes(&format!("v:{key}"))));
    }
    assert!(cache.delete(&format!("{shared}a")).await?);
    assert_eq!(
        get(&*cache, &format!("{shared}b")).await,
        Some(bytes(&format!("v:{shared}b")))
    );
    cache.delete(&keys[0]).await?;
    Ok(())
}

#[tokio::test]
async fn a_value_over_the_item_size_fails_cleanly() -> Result<()> {
    // One connection per server: later calls reuse the very connection that was refused.
    let cache = from_url(&format!("{}?pool_size=1&timeout_ms=2000", url()));
    let ns = namespace("mc:huge");
    let key = format!("{ns}big");
    let huge = Bytes::from(vec![7u8; 2 * 1024 * 1024]);
    cache.set(&key, bytes("small"), Timeout::Never).await?;
    for _ in 0..2 {
        let err = cache
            .set(&key, huge.clone(), Timeout::Never)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        // memcached drops the old value rather than keep a stale one.
        assert_eq!(cache.get(&key).await?, None);
        let err = cache
            .add(&key, huge.clone(), Timeout::Never)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    }
    let other = format!("{ns}other");
    let err = cache
        .set_many(
            &[
                (key.as_str(), huge.clone()),
                (other.as_str(), bytes("fine")),
            ],
            Timeout::Never,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    // The rest of the batch was stored, and the connection still works.
    assert_eq!(cache.get(&other).await?, Some(bytes("fine")));
    let almost = Bytes::from(vec![1u8; 1000 * 1000]);
    cache.set(&key, almost.clone(), Timeout::Never).await?;
    assert_eq!(cache.get(&key).await?, Some(almost));
    Ok(())
}

/// The server's `total_connections` counter, read over a connection of its own.
async fn total_connections(address: &str) -> u64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(b"stats\r\n").await.unwrap();
    let mut reply = Vec::new();
    while !reply.ends_with(b"END\r\n") {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await.unwrap();
        assert!(n > 0, "stats reply cut short");
        reply.extend_from_slice(&chunk[..n]);
    }
    let reply = String::from_utf8(reply).unwrap();
    reply
        .lines()
        .find_map(|line| line.strip_prefix("STAT total_connections "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no total_connections in {reply}"))
}

#[tokio::test]
async fn a_refused_value_keeps_its_connection() {
    let server = start_memcached(ServerMode::from_env(), 1)
        .await
        .unwrap_or_else(|e| panic!("cannot start a private memcached: {e}"));
    let address = server.nodes()[0].address();
    let cache = from_url(&format!("{}?pool_size=1&timeout_ms=2000", server.url()));
    cache.set("k", bytes("v"), Timeout::Never).await.unwrap();
    let before = total_connections(&address).await;
    let huge = Bytes::from(vec![0u8; 2 * 1024 * 1024]);
    for _ in 0..3 {
        let err = cache
            .set("k", huge.clone(), Timeout::Never)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        cache.set("k", bytes("v"), Timeout::Never).await.unwrap();
        assert_eq!(get(&*cache, "k").await, Some(bytes("v")));
    }
    // Only the second stats connection is new: the cache never reconnected.
    assert_eq!(total_connections(&address).await, before + 1);
}

#[tokio::test]
async fn with_one_server_down_the_others_still_answer() -> Result<()> {
    let live = servers().remove(0);
    let url = format!("memcache://{live},127.0.0.1:{}", closed_port());
    let cache = MemcachedCache::new(MemcachedConfig::from_url(&url)?)?;
    let ns = namespace("mc:half");
    let keys: Vec<String> = (0..40).map(|i| format!("{ns}{i}")).collect();
    let (up, down): (Vec<&String>, Vec<&String>) =
        keys.iter().partition(|k| cache.server_for(k) == live);
    assert!(!up.is_empty() && !down.is_empty());
    for key in &up {
        cache.set(key, bytes(key), Timeout::Never).await?;
    }
    assert!(
        cache
            .set(down[0], bytes("x"), Timeout::Never)
            .await
            .is_err()
    );
    // A multi-get reads the dead server's keys as misses instead of failing everything.
    let got = cache.get_many(&[up[0], down[0]]).await?;
    assert_eq!(got, vec![Some(bytes(up[0])), None]);
    // Only dead servers touched: an error.
    assert!(cache.get_many(&[down[0]]).await.is_err());
    Ok(())
}

/// A private memcached requiring ASCII authentication (`-Y`), killed when dropped.
struct AuthServer {
    port: u16,
    _process: LocalProcess,
}

async fn start_auth_server(user: &str, password: &str) -> AuthServer {
    easy_cache_integration_tests::servers::ensure_binaries()
        .await
        .unwrap_or_else(|e| panic!("memcached is needed: {e}"));
    let program = easy_cache_integration_tests::servers::find_binary("memcached").unwrap();
    let dir = TempDir::new("mc-auth");
    std::fs::create_dir_all(dir.path()).unwrap();
    let authfile = dir.path().join("authfile");
    std::fs::write(&authfile, format!("{user}:{password}\n")).unwrap();
    let port = closed_port();
    let mut command = std::process::Command::new(program);
    command
        .args(["-p", &port.to_string(), "-U", "0", "-l", "127.0.0.1", "-Y"])
        .arg(&authfile);
    if is_root() {
        // memcached refuses to run as root without naming a user.
        command.args(["-u", "root"]);
    }
    let process = LocalProcess::spawn(command, dir);
    wait_until_listening(port, "memcached -Y").await;
    AuthServer {
        port,
        _process: process,
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[tokio::test]
async fn authenticates_with_the_url_credentials() {
    let server = start_auth_server("alice", "s3cr#t").await;
    let port = server.port;
    let cache = from_url(&format!("memcache://alice:s3cr%23t@127.0.0.1:{port}"));
    assert!(!cache.name().contains("s3cr"));
    cache.set("k", bytes("v"), Timeout::Never).await.unwrap();
    assert_eq!(get(&*cache, "k").await, Some(bytes("v")));
    assert!(cache.add("k", bytes("w"), Timeout::Never).await.is_ok());

    for url in [
        format!("memcache://alice:wrong@127.0.0.1:{port}"),
        format!("memcache://127.0.0.1:{port}"),
    ] {
        let refused = from_url(&url);
        let err = refused.get("k").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
        assert!(refused.set("k", bytes("x"), Timeout::Never).await.is_err());
    }
    assert_eq!(get(&*cache, "k").await, Some(bytes("v")));
}

static VERSIONED_RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[easy_cache::ecached(
    "{ns}:short:{n}",
    600,
    tags = ["{ns}:tag"],
    cache_alias = "version_keys_memcached"
)]
async fn versioned_for_ten_minutes(ns: &str, n: u64) -> u64 {
    VERSIONED_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    n * 2
}

#[easy_cache::ecached(
    "{ns}:long:{n}",
    3600,
    tags = ["{ns}:tag"],
    cache_alias = "version_keys_memcached"
)]
async fn versioned_for_an_hour(ns: &str, n: u64) -> u64 {
    VERSIONED_RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    n * 3
}

/// On memcached too, a tag's version key is created with the lifetime of the
/// entry that needs it, lengthened (never shortened) by longer-lived entries, and deleted
/// when the tag is invalidated, so version keys no longer pile up forever.
#[tokio::test]
async fn version_keys_live_as_long_as_their_entries_and_go_with_invalidation_memcached() {
    let cache = Arc::new(MemcachedCache::new(MemcachedConfig::from_url(&url()).unwrap()).unwrap());
    easy_cache::caches::insert("version_keys_memcached", cache.clone());
    let ns = format!("vk{:016x}", fastrand::u64(..));
    let version = easy_cache::tag_version_key(&format!("{ns}:tag"));
    let runs = || VERSIONED_RUNS.load(std::sync::atomic::Ordering::SeqCst);

    // A tagged miss creates the version key with the entry's lifetime.
    assert_eq!(versioned_for_ten_minutes(&ns, 1).await, 2);
    let ttl = server_ttl(&cache, &version)
        .await
        .expect("version key stored");
    assert!(
        (1..=600).contains(&ttl),
        "version ttl {ttl} after a 600 s entry"
    );

    // A longer-lived entry lengthens it; a shorter one after it does not shorten it.
    assert_eq!(versioned_for_an_hour(&ns, 1).await, 3);
    let ttl = server_ttl(&cache, &version)
        .await
        .expect("version key stored");
    assert!(
        (3590..=3600).contains(&ttl),
        "version ttl {ttl} after a 3600 s entry"
    );
    assert_eq!(versioned_for_ten_minutes(&ns, 2).await, 4);
    let ttl = server_ttl(&cache, &version)
        .await
        .expect("version key stored");
    assert!((3590..=3600).contains(&ttl), "version ttl {ttl}: shortened");

    // Hits, then the invalidation deletes the version key; the next calls compute again.
    let before = runs();
    versioned_for_ten_minutes(&ns, 1).await;
    versioned_for_an_hour(&ns, 1).await;
    assert_eq!(runs(), before, "hits");
    easy_cache::using_alias("version_keys_memcached")
        .invalidate_tags(format!("{ns}:tag"))
        .await
        .unwrap();
    assert_eq!(
        server_ttl(&cache, &version).await,
        None,
        "version key deleted"
    );
    versioned_for_ten_minutes(&ns, 1).await;
    versioned_for_an_hour(&ns, 1).await;
    assert_eq!(runs(), before + 2, "misses after the invalidation");
    let ttl = server_ttl(&cache, &version)
        .await
        .expect("version key recreated");
    assert!(
        (1..=3600).contains(&ttl),
        "version ttl {ttl} after re-creation"
    );
}
