//! Node loss on a ring of three Memcached servers: one server stops, and exactly its share
//! of the keys misses. The share is counted twice, independently: the server's own
//! `curr_items` before it stopped, and the keys the client's hash ring places on it.

use super::{bound, namespace, private_memcached, until_all_hit, value_of, warm};
use easy_cache::ecached;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Operation and connect timeouts of the backend.
const TIMEOUT_MS: u64 = 200;
/// How long the cached function works.
const WORK: Duration = Duration::from_millis(2);
/// How many keys are cached.
const KEYS: u64 = 300;

static RUNS: AtomicUsize = AtomicUsize::new(0);

// No tags: a call reads exactly one key, so a miss means that key's server failed.
#[ecached("{ns}:ring:{n}", 600, cache_alias = "topo_memcached_loss")]
async fn ring_value(ns: &str, n: u64) -> u64 {
    let _ = ns;
    RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(WORK).await;
    value_of(n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_one_of_three_memcached_servers_misses_exactly_its_share() {
    let (servers, cache) = private_memcached("topo_memcached_loss", 3, TIMEOUT_MS).await;
    let ns = namespace("ring");
    let keys: Vec<u64> = (0..KEYS).collect();
    let call = |n| ring_value(&ns, n);
    warm("memcached", &RUNS, &keys, call).await;

    // Where the keys are, as the servers count them and as the client's ring places them.
    let nodes = servers.nodes();
    let server_of = |n: u64| {
        let key = ring_value_cache().cache_key(&ns, &n);
        let address = cache.server_for(&key);
        nodes
            .iter()
            .position(|node| node.address() == address)
            .unwrap_or_else(|| panic!("{address} is not one of the servers"))
    };
    let mut items = Vec::new();
    for (index, node) in nodes.iter().enumerate() {
        let count = servers
            .item_count(index)
            .await
            .unwrap_or_else(|e| panic!("stats of {node}: {e}"));
        let placed = keys.iter().filter(|&&n| server_of(n) == index).count();
        assert_eq!(
            count, placed as u64,
            "{node} holds {count} items, the ring placed {placed} keys there"
        );
        items.push(count);
    }
    assert_eq!(
        items.iter().sum::<u64>(),
        KEYS,
        "every key stored once: {items:?}"
    );

    let lost = 0;
    let lost_items = items[lost];
    assert!(
        (KEYS / 6..=KEYS / 2).contains(&lost_items),
        "one server of three should hold about a third of the keys: {items:?}"
    );
    nodes[lost].stop().await.expect("stop a memcached server");

    let limit = bound(WORK, TIMEOUT_MS);
    let mut misses = 0;
    let mut slowest = Duration::ZERO;
    for &n in &keys {
        let before = RUNS.load(Ordering::SeqCst);
        let started = Instant::now();
        let got = tokio::time::timeout(4 * limit, call(n))
            .await
            .unwrap_or_else(|_| panic!("the call for {n} hung"));
        let took = started.elapsed();
        assert_eq!(got, value_of(n), "wrong value for {n}");
        assert!(
            took <= limit,
            "the call for {n} took {took:?}, more than {limit:?}"
        );
        slowest = slowest.max(took);
        let missed = RUNS.load(Ordering::SeqCst) != before;
        assert_eq!(
            missed,
            server_of(n) == lost,
            "key {n} on server {}: a miss must mean its server is the stopped one",
            server_of(n)
        );
        misses += u64::from(missed);
    }
    assert_eq!(
        misses, lost_items,
        "misses must equal the stopped server's item count ({items:?})"
    );
    eprintln!(
        "[memcached loss] items per server {items:?}; after stopping server {lost}: {misses} \
         misses of {KEYS} calls, slowest {slowest:?} (bound {limit:?})"
    );

    // Back, empty: its keys are computed once more, then everything hits again.
    nodes[lost]
        .start()
        .await
        .expect("start the memcached server again");
    until_all_hit("memcached", &RUNS, &keys, Duration::from_secs(5), call).await;
    assert_eq!(
        servers.item_count(lost).await.expect("stats"),
        lost_items,
        "the restarted server holds its share again"
    );
}
