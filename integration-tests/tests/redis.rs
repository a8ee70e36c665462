//! The Redis backend against real servers: a standalone server from
//! `EASY_CACHE_TEST_REDIS_URL` and a cluster from `EASY_CACHE_TEST_REDIS_CLUSTER_URL` (both
//! set by `cargo xtask test`); fault tests start private servers of their own.

use bytes::Bytes;
use easy_cache_core::{CacheInstance, ErrorKind, Result, Timeout, Write};
use easy_cache_integration_tests::{
    env,
    redis_stats::command_calls,
    servers::{ServerMode, ensure_binaries, find_binary, start_redis, start_redis_cluster},
    suite,
};
use easy_cache_redis::{RedisCache, RedisConfig};
use redis::{AsyncCommands, cluster_routing::Slot};
use std::{
    collections::HashSet,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

/// The shared standalone server's URL, or a failure telling how to get one.
fn url() -> String {
    env::require_url(env::REDIS_URL)
}

/// The shared cluster's URL, or a failure telling how to get one.
fn cluster_url() -> String {
    env::require_url(env::REDIS_CLUSTER_URL)
}

/// A cache built through the registry, as applications do.
fn from_url(url: &str) -> Arc<dyn CacheInstance> {
    easy_cache_registry::caches::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// `url` with `options` appended as a query.
fn with(url: &str, options: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{options}")
}

/// A fresh key namespace, so tests run in parallel on shared servers.
fn namespace(topic: &str) -> String {
    format!("rd:{topic}:{:016x}:", fastrand::u64(..))
}

fn bytes(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// A plain connection to one node (`host:port`), to look at the server behind the cache.
async fn raw(node: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://{node}"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("connect to {node}: {e}"))
}

/// The single node of a standalone URL.
fn node_of(url: &str) -> String {
    RedisConfig::from_url(url).unwrap().nodes[0].clone()
}

#[tokio::test]
async fn standalone_passes_the_behaviour_suite() {
    suite::run(from_url(&url())).await;
}

#[tokio::test]
async fn cluster_passes_the_behaviour_suite() {
    suite::run(from_url(&cluster_url())).await;
}

/// Every trait method, with its edge cases, on `cache`.
async fn every_trait_method(cache: &dyn CacheInstance) -> Result<()> {
    let ns = namespace("methods");
    let k = |name: &str| format!("{ns}{name}");
    let (a, b, c, d) = (k("a"), k("b"), k("c"), k("d"));

    assert_eq!(cache.get(&a).await?, None);
    cache.set(&a, bytes("1"), Timeout::Never).await?;
    cache.set(&a, bytes("2"), Timeout::secs(600)).await?;
    assert_eq!(cache.get(&a).await?, Some(bytes("2")));

    cache
        .set_many(
            &[(b.as_str(), bytes("B")), (c.as_str(), bytes("C"))],
            Timeout::Default,
        )
        .await?;
    let got = cache.get_many(&[&a, &d, &b, &c, &a]).await?;
    let want = [Some("2"), None, Some("B"), Some("C"), Some("2")].map(|v| v.map(bytes));
    assert_eq!(got, want);
    assert_eq!(cache.get_many(&[]).await?, vec![]);
    cache.set_many(&[], Timeout::Never).await?;

    assert!(cache.add(&d, bytes("D"), Timeout::Never).await?);
    assert!(!cache.add(&d, bytes("X"), Timeout::Never).await?);
    assert_eq!(cache.get(&d).await?, Some(bytes("D")));
    assert!(!cache.add(&k("zero"), bytes("Z"), Timeout::secs(0)).await?);
    assert_eq!(cache.get(&k("zero")).await?, None);

    assert!(cache.delete(&d).await?);
    assert!(!cache.delete(&d).await?);

    // A set with a zero lifetime leaves nothing behind, not the old value.
    cache.set(&c, bytes("gone"), Timeout::secs(0)).await?;
    assert_eq!(cache.get(&c).await?, None);

    cache.delete_many(&[&a, &b, &k("never-set")]).await?;
    assert_eq!(cache.get_many(&[&a, &b]).await?, vec![None, None]);
    cache.delete_many(&[]).await?;

    cache.set(&a, bytes("old"), Timeout::Never).await?;
    cache.set(&d, bytes("doomed"), Timeout::Never).await?;
    let set = |key: &str, value: &str| Write::set(key.to_owned(), bytes(value), Timeout::Never);
    let add = |key: &str, value: &str| Write::add(key.to_owned(), bytes(value), Timeout::Never);
    let ops = [
        set(&b, "B2"),
        // Present already: not an error, and the value stays.
        add(&a, "new"),
        add(&c, "C2"),
        // Later ops on a key see earlier ones: the set wins over the add above.
        set(&c, "C3"),
        // A zero-lifetime set in a batch removes the key; a zero-lifetime add does nothing.
        Write::set(d.clone(), bytes("x"), Timeout::secs(0)),
        Write::add(k("e"), bytes("x"), Timeout::secs(0)),
    ];
    cache.write_batch(&ops).await?;
    let got = cache.get_many(&[&a, &b, &c, &d, &k("e")]).await?;
    let want = [Some("old"), Some("B2"), Some("C3"), None, None].map(|v| v.map(bytes));
    assert_eq!(got, want);
    cache.write_batch(&[]).await?;
    cache.delete_many(&[&a, &b, &c]).await?;
    Ok(())
}

#[tokio::test]
async fn every_trait_method_behaves_standalone() -> Result<()> {
    every_trait_method(&*from_url(&url())).await
}

#[tokio::test]
async fn every_trait_method_behaves_on_a_cluster() -> Result<()> {
    every_trait_method(&*from_url(&cluster_url())).await
}

/// TTLs: `Timeout::After` (milliseconds, through `PX`), the URL's `default_timeout`, and
/// `Timeout::Never`.
async fn values_expire(url: &str) -> Result<()> {
    let cache = from_url(&with(url, "default_timeout=1"));
    let ns = namespace("expiry");
    let [short, default, never, added, batched] =
        ["short", "default", "never", "added", "batched"].map(|k| format!("{ns}{k}"));
    let life = Timeout::After(Duration::from_millis(700));
    cache.set(&short, bytes("s"), life).await?;
    cache.set(&default, bytes("d"), Timeout::Default).await?;
    cache.set(&never, bytes("n"), Timeout::Never).await?;
    assert!(cache.add(&added, bytes("a"), life).await?);
    let op = Write::add(batched.clone(), bytes("b"), life);
    cache.write_batch(&[op]).await?;
    let keys = [&short, &default, &never, &added, &batched].map(String::as_str);
    let live = cache.get_many(&keys).await?;
    assert!(live.iter().all(Option::is_some), "{live:?}");
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let got = cache.get_many(&keys).await?;
    assert_eq!(got, [None, None, Some(bytes("n")), None, None]);
    // An expired key can be added again.
    assert!(cache.add(&short, bytes("again"), Timeout::Never).await?);
    cache.delete_many(&[&short, &never]).await?;
    Ok(())
}

#[tokio::test]
async fn values_expire_standalone() -> Result<()> {
    values_expire(&url()).await
}

#[tokio::test]
async fn values_expire_on_a_cluster() -> Result<()> {
    values_expire(&cluster_url()).await
}

#[tokio::test]
async fn lifetimes_are_sent_in_milliseconds() -> Result<()> {
    let cache = from_url(&url());
    let key = format!("{}pttl", namespace("pttl"));
    cache
        .set(
            &key,
            bytes("v"),
            Timeout::After(Duration::from_millis(4321)),
        )
        .await?;
    let mut conn = raw(&node_of(&url())).await;
    let pttl: i64 = conn.pttl(&key).await.unwrap();
    assert!((4000..=4321).contains(&pttl), "PTTL {pttl}");
    cache.set(&key, bytes("v"), Timeout::Never).await?;
    let pttl: i64 = conn.pttl(&key).await.unwrap();
    assert_eq!(pttl, -1, "Timeout::Never must not set a TTL");
    cache.delete(&key).await?;
    Ok(())
}

/// 50 tasks `add` one key at once: exactly one stores.
async fn add_is_atomic(url: &str) {
    let cache = from_url(url);
    let key = format!("{}race", namespace("add"));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (cache, key) = (cache.clone(), key.clone());
            tokio::spawn(async move {
                let won = cache
                    .add(&key, Bytes::from(format!("task-{i}")), Timeout::Never)
                    .await
                    .unwrap_or_else(|e| panic!("add of task {i}: {e}"));
                won.then_some(i)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.unwrap());
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let stored = cache.get(&key).await.unwrap();
    assert_eq!(stored, Some(Bytes::from(format!("task-{}", winners[0]))));
    cache.delete(&key).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn add_is_atomic_under_50_concurrent_tasks_standalone() {
    add_is_atomic(&url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn add_is_atomic_under_50_concurrent_tasks_on_a_cluster() {
    add_is_atomic(&cluster_url()).await;
}

#[tokio::test]
async fn batches_span_cluster_slots_and_keep_order() -> Result<()> {
    let cache = from_url(&cluster_url());
    let ns = namespace("slots");
    let keys: Vec<String> = (0..300).map(|i| format!("{ns}{i}")).collect();
    let slots: HashSet<Slot> = keys.iter().map(Slot::for_key).collect();
    assert!(slots.len() > 250, "the keys must spread over many slots");
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    // Even keys through set_many, odd ones through write_batch (as adds); every third absent.
    let entries: Vec<(&str, Bytes)> = refs
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0 && i % 3 != 0)
        .map(|(_, k)| (*k, bytes(k)))
        .collect();
    cache.set_many(&entries, Timeout::Never).await?;
    let ops: Vec<Write> = refs
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 1 && i % 3 != 0)
        .map(|(_, k)| Write::add((*k).to_owned(), bytes(k), Timeout::Never))
        .collect();
    cache.write_batch(&ops).await?;
    let got = cache.get_many(&refs).await?;
    for (i, (key, value)) in refs.iter().zip(&got).enumerate() {
        let want = (i % 3 != 0).then_some(key.as_bytes());
        assert_eq!(value.as_deref(), want, "{key}");
    }
    cache.delete_many(&refs).await?;
    assert!(cache.get_many(&refs).await?.iter().all(Option::is_none));
    Ok(())
}

#[tokio::test]
async fn cluster_get_many_sends_one_mget_per_slot_and_no_single_gets() -> Result<()> {
    // A private cluster: command counts on the shared one include other tests' commands.
    let cluster = start_redis_cluster(ServerMode::from_env(), 3, 0)
        .await
        .unwrap_or_else(|e| panic!("cannot start a private cluster: {e}"));
    let cache = from_url(&cluster.url());
    let ns = namespace("mget");
    // Keys of a few hash tags: several keys per slot, the slots on different nodes.
    let keys: Vec<String> = (0..60).map(|i| format!("{{{ns}{}}}k{i}", i % 6)).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let slots: HashSet<Slot> = keys.iter().map(Slot::for_key).collect();
    let entries: Vec<(&str, Bytes)> = refs.iter().map(|k| (*k, bytes(k))).collect();
    cache.set_many(&entries, Timeout::Never).await?;
    let mut nodes = Vec::new();
    for node in cluster.nodes() {
        let mut conn = raw(&node.address()).await;
        redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .exec_async(&mut conn)
            .await
            .unwrap();
        nodes.push(conn);
    }
    let got = cache.get_many(&refs).await?;
    for (key, value) in refs.iter().zip(&got) {
        assert_eq!(value.as_deref(), Some(key.as_bytes()), "{key}");
    }
    let (mut mgets, mut gets, mut busy_nodes) = (0, 0, 0);
    for conn in &mut nodes {
        let node_mgets = command_calls(conn, "mget").await;
        mgets += node_mgets;
        gets += command_calls(conn, "get").await;
        busy_nodes += usize::from(node_mgets > 0);
    }
    assert_eq!(mgets, slots.len() as u64, "one MGET per slot");
    assert_eq!(gets, 0, "no key may fall back to a single GET");
    assert!(busy_nodes >= 2, "the keys must span nodes");
    Ok(())
}

#[tokio::test]
async fn key_prefix_isolates_caches() -> Result<()> {
    let plain = from_url(&url());
    let tenant_a = from_url(&with(&url(), "key_prefix=tenant-a:"));
    let tenant_b = from_url(&with(&url(), "key_prefix=tenant-b:"));
    let key = format!("{}k", namespace("prefix"));
    tenant_a.set(&key, bytes("a"), Timeout::Never).await?;
    tenant_b.set(&key, bytes("b"), Timeout::Never).await?;
    assert_eq!(tenant_a.get(&key).await?, Some(bytes("a")));
    assert_eq!(tenant_b.get(&key).await?, Some(bytes("b")));
    // The prefix is really prepended on the server.
    assert_eq!(plain.get(&key).await?, None);
    let stored = plain
        .get_many(&[&format!("tenant-a:{key}"), &format!("tenant-b:{key}")])
        .await?;
    assert_eq!(stored, [Some(bytes("a")), Some(bytes("b"))]);
    assert!(
        tenant_a
            .add(&key, bytes("x"), Timeout::Never)
            .await
            .map(|a| !a)?
    );
    assert!(tenant_a.delete(&key).await?);
    assert_eq!(tenant_b.get(&key).await?, Some(bytes("b")));
    assert!(tenant_b.delete(&key).await?);
    Ok(())
}

#[tokio::test]
async fn cluster_key_prefix_isolates_caches() -> Result<()> {
    let plain = from_url(&cluster_url());
    let prefixed = from_url(&with(&cluster_url(), "key_prefix=tenant-c:"));
    let keys: Vec<String> = (0..20).map(|i| format!("{}{i}", namespace("cp"))).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let entries: Vec<(&str, Bytes)> = refs.iter().map(|k| (*k, bytes(k))).collect();
    prefixed.set_many(&entries, Timeout::Never).await?;
    assert!(plain.get_many(&refs).await?.iter().all(Option::is_none));
    let stored: Vec<String> = keys.iter().map(|k| format!("tenant-c:{k}")).collect();
    let stored: Vec<&str> = stored.iter().map(String::as_str).collect();
    assert!(plain.get_many(&stored).await?.iter().all(Option::is_some));
    prefixed.delete_many(&refs).await?;
    assert!(plain.get_many(&stored).await?.iter().all(Option::is_none));
    Ok(())
}

#[tokio::test]
async fn the_db_number_selects_a_database() -> Result<()> {
    let base = url();
    let db0 = from_url(&base);
    let db5 = from_url(&format!("{}/5", base.trim_end_matches('/')));
    let key = format!("{}k", namespace("db"));
    db5.set(&key, bytes("five"), Timeout::Never).await?;
    assert_eq!(db0.get(&key).await?, None);
    assert_eq!(db5.get(&key).await?, Some(bytes("five")));
    assert!(db5.delete(&key).await?);
    assert!(db5.name().ends_with("/5"), "{}", db5.name());
    Ok(())
}

#[tokio::test]
async fn credentials_authenticate_and_are_never_shown() -> Result<()> {
    let node = node_of(&url());
    let mut admin = raw(&node).await;
    let user = format!("ec-{:08x}", fastrand::u32(..));
    let password = format!("hunter2-{:08x}", fastrand::u32(..));
    redis::cmd("ACL")
        .arg(vec![
            "SETUSER",
            &user,
            "on",
            &format!(">{password}"),
            "~*",
            "+@all",
        ])
        .exec_async(&mut admin)
        .await
        .unwrap();
    let good = format!("redis://{user}:{password}@{node}");
    let cache = from_url(&good);
    assert!(!cache.name().contains(&password), "{}", cache.name());
    let debug = format!("{:?}", RedisCache::new(RedisConfig::from_url(&good)?)?);
    assert!(!debug.contains(&password), "{debug}");
    let config = format!("{:?}", RedisConfig::from_url(&good)?);
    assert!(
        !config.contains(&password) && config.contains("***"),
        "{config}"
    );
    let key = format!("{}k", namespace("auth"));
    cache.set(&key, bytes("v"), Timeout::Never).await?;
    assert_eq!(cache.get(&key).await?, Some(bytes("v")));
    assert!(cache.delete(&key).await?);

    let wrong = from_url(&format!("redis://{user}:not-{password}@{node}"));
    let err = wrong.get(&key).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert!(!err.to_string().contains(&password), "{err}");
    redis::cmd("ACL")
        .arg(vec!["DELUSER", &user])
        .exec_async(&mut admin)
        .await
        .unwrap();
    Ok(())
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_server_errors_quickly_and_never_panics() {
    let port = closed_port();
    for url in [
        format!("redis://127.0.0.1:{port}?timeout_ms=200"),
        format!("redis+cluster://127.0.0.1:{port}?timeout_ms=200"),
    ] {
        // Building succeeds while nothing listens: the connection opens on first use.
        let cache = from_url(&url);
        let key = "rd:unreachable:k";
        let started = Instant::now();
        let results = [
            cache.get(key).await.map(drop),
            cache.get_many(&[key, "b"]).await.map(drop),
            cache.set(key, bytes("v"), Timeout::Never).await,
            cache.set_many(&[(key, bytes("v"))], Timeout::Never).await,
            cache.add(key, bytes("v"), Timeout::Never).await.map(drop),
            cache.delete(key).await.map(drop),
            cache.delete_many(&[key]).await,
            cache
                .write_batch(&[Write::set(key, bytes("v"), Timeout::Never)])
                .await,
        ];
        for result in results {
            let err = result.expect_err("nothing listens there");
            assert!(
                matches!(err.kind(), ErrorKind::Backend | ErrorKind::Timeout),
                "{url}: {err}"
            );
        }
        // 8 calls, each bounded by the connect timeout (250 ms) plus timeout_ms.
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(8 * 450 / 1000 + 1),
            "{url}: {elapsed:?}"
        );
        let started = Instant::now();
        let _ = cache.get(key).await.unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(200 + 250 + 300),
            "{url}: one get took {:?}",
            started.elapsed()
        );
    }
}

/// Polls `cache.get` until it succeeds; how long that took.
async fn wait_until_answering(cache: &dyn CacheInstance, key: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        match cache.get(key).await {
            Ok(_) => return started.elapsed(),
            Err(e) if started.elapsed() > limit => panic!("still failing after {limit:?}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

#[tokio::test]
async fn reconnects_after_a_restart_and_times_out_when_frozen() {
    let server = start_redis(ServerMode::from_env())
        .await
        .unwrap_or_else(|e| panic!("cannot start a private redis: {e}"));
    let cache = from_url(&with(&server.url(), "timeout_ms=300"));
    let key = "rd:restart:k";
    cache
        .set(key, bytes("before"), Timeout::Never)
        .await
        .unwrap();
    assert_eq!(cache.get(key).await.unwrap(), Some(bytes("before")));

    server.stop().await.unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let err = cache.get(key).await.expect_err("the server is down");
        assert!(
            matches!(err.kind(), ErrorKind::Backend | ErrorKind::Timeout),
            "{err}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(300 + 250 + 300),
            "a call on a stopped server took {:?}",
            started.elapsed()
        );
    }

    server.start().await.unwrap();
    let took = wait_until_answering(&*cache, key, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(5), "reconnected after {took:?}");
    // The restarted server is empty; the cache works on it.
    assert_eq!(cache.get(key).await.unwrap(), None);
    cache
        .set(key, bytes("after"), Timeout::Never)
        .await
        .unwrap();
    assert_eq!(cache.get(key).await.unwrap(), Some(bytes("after")));

    // A frozen server: calls time out instead of hanging, and work again once it thaws.
    server.pause().await.unwrap();
    let started = Instant::now();
    let err = cache.get(key).await.expect_err("the server is frozen");
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_millis(300 + 400));
    server.unpause().await.unwrap();
    wait_until_answering(&*cache, key, Duration::from_secs(5)).await;
    assert_eq!(cache.get(key).await.unwrap(), Some(bytes("after")));
}

/// A `redis-server` listening only on a unix socket; killed on drop.
struct UnixServer {
    child: Child,
    dir: PathBuf,
}

impl UnixServer {
    async fn start() -> (Self, PathBuf) {
        // These servers run as local processes even when the run uses containers.
        ensure_binaries()
            .await
            .unwrap_or_else(|e| panic!("redis-server is needed: {e}"));
        let program = find_binary("redis-server").expect("redis-server is not installed");
        let dir = std::env::temp_dir().join(format!("ec-redis-unix-{:08x}", fastrand::u32(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("redis.sock");
        let child = Command::new(program)
            .args([
                "--port",
                "0",
                "--save",
                "",
                "--appendonly",
                "no",
                "--unixsocket",
            ])
            .arg(&socket)
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = UnixServer { child, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !socket.exists() {
            assert!(
                Instant::now() < deadline,
                "no socket at {}",
                socket.display()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        (server, socket)
    }
}

impl Drop for UnixServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn a_unix_socket_server_works() {
    let (_server, socket) = UnixServer::start().await;
    let url = format!("redis+unix://{}?db=2&key_prefix=u:", socket.display());
    let cache = from_url(&url);
    assert!(
        cache.name().starts_with("redis+unix:///"),
        "{}",
        cache.name()
    );
    suite::run(cache.clone()).await;
    every_trait_method(&*cache).await.unwrap();
}

#[test]
fn one_cache_serves_runtimes_one_after_another() {
    // As in an application's tests: a cache in a global, each test with its own runtime.
    let cache = from_url(&url());
    let key = format!("{}k", namespace("runtimes"));
    for round in 0..3 {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let value = Bytes::from(format!("round-{round}"));
            cache
                .set(&key, value.clone(), Timeout::Never)
                .await
                .unwrap();
            assert_eq!(cache.get(&key).await.unwrap(), Some(value));
        });
        // Dropping the runtime ends the tasks that drove its connection.
        drop(runtime);
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    assert!(runtime.block_on(cache.delete(&key)).unwrap());
}

/// Runs `openssl args` in `dir`, failing the test with its output if it fails.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl must be installed for the TLS test");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A `redis-server` speaking only TLS, with a certificate for 127.0.0.1 from a private CA;
/// killed on drop.
struct TlsServer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl TlsServer {
    async fn start() -> Self {
        // These servers run as local processes even when the run uses containers.
        ensure_binaries()
            .await
            .unwrap_or_else(|e| panic!("redis-server is needed: {e}"));
        let program = find_binary("redis-server").expect("redis-server is not installed");
        let dir = std::env::temp_dir().join(format!("ec-redis-tls-{:08x}", fastrand::u32(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        let mut ca = vec![
            "req",
            "-x509",
            "-days",
            "1",
            "-subj",
            "/CN=easy-cache test CA",
        ];
        ca.extend(ec);
        ca.extend(["-keyout", "ca.key", "-out", "ca.pem"]);
        ca.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
        ca.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(&dir, &ca);
        let mut csr = vec!["req", "-new", "-subj", "/CN=127.0.0.1"];
        csr.extend(ec);
        csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
        openssl(&dir, &csr);
        std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(
            &dir,
            &[
                "x509",
                "-req",
                "-days",
                "1",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "server.pem",
                "-extfile",
                "ext.cnf",
            ],
        );
        let port = closed_port();
        let child = Command::new(program)
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args([
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
            ])
            .args(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no"])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let server = TlsServer { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "TLS redis never listened on {port}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }

    fn ca(&self) -> String {
        self.dir.join("ca.pem").display().to_string()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn tls_verifies_the_server_against_the_configured_ca() {
    let server = TlsServer::start().await;
    let url = format!(
        "rediss://127.0.0.1:{}?tls_ca_file={}",
        server.port,
        server.ca()
    );
    let cache = from_url(&url);
    assert!(cache.name().starts_with("rediss://"), "{}", cache.name());
    suite::run(cache.clone()).await;

    // Mozilla's roots do not know the private CA: the handshake must fail, cleanly.
    let untrusted = from_url(&format!("rediss://127.0.0.1:{}", server.port));
    let err = untrusted
        .get("k")
        .await
        .expect_err("an unknown CA must be refused");
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert!(err.to_string().contains("certificate"), "{err}");
    // Plain text to a TLS port gets no answer it can read.
    let plain = from_url(&format!("redis://127.0.0.1:{}", server.port));
    assert!(plain.get("k").await.is_err());
}
