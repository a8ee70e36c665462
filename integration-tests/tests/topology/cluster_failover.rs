//! Node loss on a Redis Cluster of 3 masters and 3 replicas: one master stops in the middle
//! of a run of `#[ecached]` calls. While the cluster fails over (its nodes notice after
//! `cluster-node-timeout`, 3 s, then promote the replica), every call returns its function's
//! own result within the timeouts plus the function's time; afterwards every key is a hit
//! again, the lost master's keys read from the promoted replica.

use super::{
    Run, assert_all_correct_and_bounded, bound, namespace, pass, private_cluster, recent_hits,
    until_all_hit, value_of, warm,
};
use easy_cache::ecached;
use easy_cache_integration_tests::servers::ServerHandle;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Operation and connect timeouts of the cluster backend.
const TIMEOUT_MS: u64 = 200;
/// How long the cached function works.
const WORK: Duration = Duration::from_millis(5);
/// How many keys are cached before the master stops.
const KEYS: u64 = 60;
/// How soon after the stop every key must be a hit again: the node timeout (3 s), the
/// election, and the client noticing the new slot owner, with room for a loaded machine.
const RECOVERY_LIMIT: Duration = Duration::from_secs(20);

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("{ns}:failover:{n}", 600, cache_alias = "topo_cluster_failover")]
async fn cluster_value(ns: &str, n: u64) -> u64 {
    let _ = ns;
    RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(WORK).await;
    value_of(n)
}

/// A plain connection to one node, to look at it behind the cluster client's back.
async fn raw(node: &ServerHandle) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://{}", node.address()))
        .expect("node URL")
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {node}: {e}"))
}

/// The node's `INFO replication` field `name` (`role`, `master_port`, `slave0`, ...).
async fn replication(node: &ServerHandle, name: &str) -> Option<String> {
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query_async(&mut raw(node).await)
        .await
        .unwrap_or_else(|e| panic!("INFO replication on {node}: {e}"));
    let prefix = format!("{name}:");
    info.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map(str::to_owned)
}

/// The index of a master that has a replica, and the index of that replica.
async fn master_and_replica(nodes: &[ServerHandle]) -> (usize, usize) {
    for (index, node) in nodes.iter().enumerate() {
        if replication(node, "role").await.as_deref() != Some("master") {
            continue;
        }
        // `slave0:ip=127.0.0.1,port=41234,state=online,offset=...,lag=0`
        let Some(replica) = replication(node, "slave0").await else {
            continue;
        };
        let port = replica
            .split(',')
            .find_map(|field| field.strip_prefix("port="))
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("no port in {replica:?}"));
        let replica = nodes
            .iter()
            .position(|n| n.port() == port)
            .unwrap_or_else(|| panic!("the replica on port {port} is not a node of the cluster"));
        return (index, replica);
    }
    panic!("no master with a replica in {nodes:?}");
}

/// Every key stored on `node`.
async fn keys_on(node: &ServerHandle) -> HashSet<String> {
    redis::cmd("KEYS")
        .arg("*")
        .query_async(&mut raw(node).await)
        .await
        .unwrap_or_else(|e| panic!("KEYS on {node}: {e}"))
}

async fn dbsize(node: &ServerHandle) -> usize {
    redis::cmd("DBSIZE")
        .query_async(&mut raw(node).await)
        .await
        .unwrap_or_else(|e| panic!("DBSIZE on {node}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_a_master_fails_open_through_the_failover_and_hits_recover() {
    let cluster = private_cluster("topo_cluster_failover", 3, 1, TIMEOUT_MS).await;
    let ns = namespace("failover");
    let keys: Vec<u64> = (0..KEYS).collect();
    let call = |n| cluster_value(&ns, n);
    warm("cluster", &RUNS, &keys, call).await;

    let nodes = cluster.nodes();
    let (master, replica) = master_and_replica(nodes).await;
    let (master, replica) = (&nodes[master], &nodes[replica]);
    let stored = keys_on(master).await;
    let lost: HashSet<u64> = keys
        .iter()
        .copied()
        .filter(|n| stored.contains(&cluster_value_cache().cache_key(&ns, n)))
        .collect();
    assert_eq!(
        stored.len(),
        lost.len(),
        "only this test's keys: {stored:?}"
    );
    assert!(
        (KEYS as usize / 6..=KEYS as usize / 2).contains(&lost.len()),
        "the stopped master should hold about a third of the keys, holds {}",
        lost.len()
    );
    // The replica has them all before its master goes, so after the failover every key can
    // be a hit without computing it again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let copied = dbsize(replica).await;
        if copied == lost.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{replica} holds {copied} of its master's {} keys after 10 s",
            lost.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let run_ns = ns.clone();
    let run = Run::start(&RUNS, keys.clone(), 4 * bound(WORK, TIMEOUT_MS), move |n| {
        let ns = run_ns.clone();
        async move { cluster_value(&ns, n).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopping = Instant::now();
    master.stop().await.expect("stop a master");
    let stopped = Instant::now();
    let recovered = run
        .wait_for(stopped + RECOVERY_LIMIT, |calls| {
            recent_hits(calls, stopped, keys.len(), |_| true)
        })
        .await;
    let calls = run.finish().await;

    let limit = bound(WORK, TIMEOUT_MS);
    assert_all_correct_and_bounded("cluster failover", &calls, limit);
    let before: Vec<_> = calls.iter().filter(|c| c.ended() < stopping).collect();
    assert!(
        before.len() >= 3 && before.iter().all(|c| c.hit),
        "before the stop, calls must be hits: {before:?}"
    );
    let after: Vec<_> = calls.iter().filter(|c| c.started >= stopped).collect();
    let lost_misses = after
        .iter()
        .filter(|c| !c.hit && lost.contains(&c.key))
        .count();
    let other_misses = after
        .iter()
        .filter(|c| !c.hit && !lost.contains(&c.key))
        .count();
    // The stop reached the cache: the lost master's keys could not be read for a while.
    assert!(
        lost_misses > 0,
        "no call missed after a master stopped: {after:?}"
    );
    assert!(
        recovered,
        "a full round over the {KEYS} keys was not all hits within {RECOVERY_LIMIT:?} of the \
         stop ({lost_misses} misses of the lost master's keys, {other_misses} of others)"
    );
    assert_eq!(
        replication(replica, "role").await.as_deref(),
        Some("master"),
        "{replica} should have been promoted"
    );
    let first_clean = calls
        .iter()
        .rposition(|c| !c.hit)
        .map_or(stopped, |i| calls[i].ended());
    eprintln!(
        "[cluster failover] {} calls after the stop: {lost_misses} misses of the lost \
         master's {} keys, {other_misses} of other keys; all hits again {:?} after the stop; \
         slowest call {:?} (bound {limit:?})",
        after.len(),
        lost.len(),
        first_clean.saturating_duration_since(stopped),
        calls.iter().map(|c| c.took).max().unwrap_or_default()
    );
    // The cache keeps working on the new topology.
    until_all_hit("cluster", &RUNS, &keys, Duration::from_secs(5), call).await;
    let fresh: Vec<u64> = (KEYS..KEYS + 20).collect();
    assert_eq!(pass(&RUNS, &fresh, call).await, fresh.len(), "new keys");
    until_all_hit("cluster", &RUNS, &fresh, Duration::from_secs(5), call).await;
}
