//! The Redis backend against real servers: a standalone server from
//! `EASY_CACHE_TEST_REDIS_URL` and a cluster from `EASY_CACHE_TEST_REDIS_CLUSTER_URL` (both
//! set by `cargo xtask test`); fault tests start private servers of their own.

use bytes::Bytes;
use easy_cache_core::{ErrorKind, Result, Timeout, Write};
use easy_cache_integration_tests::{
    behaviour_suite, env,
    redis_stats::command_calls,
    servers::{ServerMode, ensure_binaries, find_binary, start_redis_cluster},
    suite::{self, Backend, PrivateServer},
    support::{
        LocalProcess, TempDir, bytes, closed_port, from_url, namespace, wait_until_listening,
    },
};
use easy_cache_redis::{RedisCache, RedisConfig};
use redis::{AsyncCommands, cluster_routing::Slot};
use std::{
    collections::HashSet,
    path::PathBuf,
    process::Command,
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

/// The shared standalone server; the restart topic starts a private one.
fn standalone() -> Backend {
    Backend::new(url())
        .network("redis")
        .restartable(PrivateServer::Redis)
}

/// The shared cluster.
fn cluster() -> Backend {
    Backend::new(cluster_url()).network("redis+cluster")
}

behaviour_suite!(
    standalone = standalone(),
    key_prefix,
    unreachable,
    restartable
);
behaviour_suite!(cluster = cluster(), key_prefix, unreachable);

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
async fn lifetimes_are_sent_in_milliseconds() -> Result<()> {
    let cache = from_url(&url());
    let key = format!("{}pttl", namespace("rd:pttl"));
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

#[tokio::test]
async fn batches_span_cluster_slots_and_keep_order() -> Result<()> {
    let cache = from_url(&cluster_url());
    let ns = namespace("rd:slots");
    let keys: Vec<String> = (0..300).map(|i| format!("{ns}{i}")).collect();
    let slots: HashSet<Slot> = keys.iter().map(Slot::for_key).collect();
    // CRC16 is affine, so how many of the 300 slots differ depends on the random prefix
    // (as few as 228 in 3000 tries): "many" means more than half.
    assert!(slots.len() > 150, "the keys must spread over many slots");
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
    let ns = namespace("rd:mget");
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
async fn the_db_number_selects_a_database() -> Result<()> {
    let base = url();
    let db0 = from_url(&base);
    let db5 = from_url(&format!("{}/5", base.trim_end_matches('/')));
    let key = format!("{}k", namespace("rd:db"));
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
    let key = format!("{}k", namespace("rd:auth"));
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

/// A `redis-server` listening only on a unix socket; killed on drop.
async fn start_unix_server() -> (LocalProcess, PathBuf) {
    // These servers run as local processes even when the run uses containers.
    ensure_binaries()
        .await
        .unwrap_or_else(|e| panic!("redis-server is needed: {e}"));
    let program = find_binary("redis-server").expect("redis-server is not installed");
    let dir = TempDir::new("redis-unix");
    let socket = dir.path().join("redis.sock");
    let mut command = Command::new(program);
    command
        .args(["--port", "0", "--save", "", "--appendonly", "no"])
        .arg("--unixsocket")
        .arg(&socket);
    let server = LocalProcess::spawn(command, dir);
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

#[tokio::test]
async fn a_unix_socket_server_works() {
    let (_server, socket) = start_unix_server().await;
    let url = format!("redis+unix://{}?db=2&key_prefix=u:", socket.display());
    let cache = from_url(&url);
    assert!(
        cache.name().starts_with("redis+unix:///"),
        "{}",
        cache.name()
    );
    let backend = Backend::new(url);
    suite::run(&backend).await;
    suite::every_trait_method_behaves(&backend).await;
}

#[test]
fn one_cache_serves_runtimes_one_after_another() {
    // As in an application's tests: a cache in a global, each test with its own runtime.
    let cache = from_url(&url());
    let key = format!("{}k", namespace("rd:runtimes"));
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
    process: LocalProcess,
    port: u16,
}

impl TlsServer {
    async fn start() -> Self {
        // These servers run as local processes even when the run uses containers.
        ensure_binaries()
            .await
            .unwrap_or_else(|e| panic!("redis-server is needed: {e}"));
        let program = find_binary("redis-server").expect("redis-server is not installed");
        let temp = TempDir::new("redis-tls");
        std::fs::create_dir_all(temp.path()).unwrap();
        let dir = temp.path();
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
        openssl(dir, &ca);
        let mut csr = vec!["req", "-new", "-subj", "/CN=127.0.0.1"];
        csr.extend(ec);
        csr.extend(["-keyout", "server.key", "-out", "server.csr"]);
        openssl(dir, &csr);
        std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
        openssl(
            dir,
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
        let mut command = Command::new(program);
        command
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args([
                "--tls-cert-file",
                "server.pem",
                "--tls-key-file",
                "server.key",
            ])
            .args(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no"])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        let process = LocalProcess::spawn(command, temp);
        wait_until_listening(port, "TLS redis").await;
        TlsServer { process, port }
    }

    fn ca(&self) -> String {
        self.process.dir().join("ca.pem").display().to_string()
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
    suite::run(&Backend::new(url)).await;

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
