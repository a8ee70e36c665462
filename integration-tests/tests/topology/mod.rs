//! Helpers of the topology fault tests: private servers with a cache over them registered
//! under the test's alias ([`private_redis`], [`private_cluster`], [`private_memcached`]),
//! keys cached and hitting before the fault ([`warm`]), and a [`Run`] of cached calls
//! recorded in the background, so a test can break a server in the middle of it and check
//! every call afterwards.

mod cluster_failover;
mod hang;
mod memcached_loss;

use easy_cache::caches;
use easy_cache_integration_tests::servers::{
    MemcachedServers, RedisCluster, RedisServer, ServerMode, start_memcached, start_redis,
    start_redis_cluster,
};
use easy_cache_integration_tests::support::with_timeouts;
use easy_cache_memcached::{MemcachedCache, MemcachedConfig};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// A private standalone Redis, with a cache over it under `alias` whose operation and
/// connect timeouts are `timeout_ms`.
pub async fn private_redis(alias: &str, timeout_ms: u64) -> RedisServer {
    let server = start_redis(ServerMode::from_env())
        .await
        .unwrap_or_else(|e| panic!("cannot start a private redis: {e}"));
    register(alias, &server.url(), timeout_ms);
    server
}

/// Registers a cache on `url` under `alias`, with operation and connect timeouts of
/// `timeout_ms`.
fn register(alias: &str, url: &str, timeout_ms: u64) {
    let url = with_timeouts(url, timeout_ms);
    let cache = caches::from_url(&url).unwrap_or_else(|e| panic!("{url}: {e}"));
    caches::insert(alias, cache);
}

/// A private Redis Cluster of `masters` masters with `replicas` replicas each, with a cache
/// over it under `alias` whose operation and connect timeouts are `timeout_ms`.
pub async fn private_cluster(
    alias: &str,
    masters: usize,
    replicas: usize,
    timeout_ms: u64,
) -> RedisCluster {
    let cluster = start_redis_cluster(ServerMode::from_env(), masters, replicas)
        .await
        .unwrap_or_else(|e| panic!("cannot start a private cluster: {e}"));
    register(alias, &cluster.url(), timeout_ms);
    cluster
}

/// `count` private Memcached servers, with a cache over them under `alias` whose operation
/// and connect timeouts are `timeout_ms`; the cache is returned too, to ask which server
/// holds a key.
pub async fn private_memcached(
    alias: &str,
    count: usize,
    timeout_ms: u64,
) -> (MemcachedServers, Arc<MemcachedCache>) {
    let servers = start_memcached(ServerMode::from_env(), count)
        .await
        .unwrap_or_else(|e| panic!("cannot start private memcached servers: {e}"));
    let url = with_timeouts(&servers.url(), timeout_ms);
    let config = MemcachedConfig::from_url(&url).expect("memcache URL");
    let cache = Arc::new(MemcachedCache::new(config).expect("memcached cache"));
    caches::insert(alias, cache.clone());
    (servers, cache)
}

/// Calls every one of `keys` once, each running the function (a cold cache), then until a
/// whole pass is hits (within 5 s): the state a fault test breaks.
pub async fn warm<F, Fut>(what: &str, runs: &AtomicUsize, keys: &[u64], call: F)
where
    F: Fn(u64) -> Fut + Copy,
    Fut: Future<Output = u64>,
{
    assert_eq!(pass(runs, keys, call).await, keys.len(), "[{what}] cold");
    until_all_hit(what, runs, keys, Duration::from_secs(5), call).await;
}

/// A fresh key namespace: entries of an earlier run can never be read as hits.
pub fn namespace(topic: &str) -> String {
    format!("topo:{topic}:{:016x}", fastrand::u64(..))
}

/// What every cached function of these tests returns for `n`.
pub fn value_of(n: u64) -> u64 {
    n * 1000 + 7
}

/// The slowest a cached call may be while its backend misbehaves: the function's `work`, two
/// backend exchanges (read the entry, write it back) each bounded by connect plus operation
/// timeout `timeout_ms`, and slack for a loaded 2-core machine.
pub fn bound(work: Duration, timeout_ms: u64) -> Duration {
    work + Duration::from_millis(2 * 2 * timeout_ms + 500)
}

/// One recorded call.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    /// The argument.
    pub key: u64,
    /// When the call began.
    pub started: Instant,
    /// How long it took (the outer limit when it hung).
    pub took: Duration,
    /// What it returned; `None` when it hung past the outer limit.
    pub value: Option<u64>,
    /// Whether it was served from the cache (the function did not run).
    pub hit: bool,
}

impl Call {
    /// When the call returned.
    pub fn ended(&self) -> Instant {
        self.started + self.took
    }
}

/// Cached calls over `keys`, one after another, in a background task, until [`Run::finish`].
///
/// Hits are told by the function's run counter, so nothing else may call that function while
/// the run lasts.
pub struct Run {
    calls: Arc<Mutex<Vec<Call>>>,
    stop: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Run {
    /// Starts calling `call(key)` for each of `keys` in turn, round and round. A call taking
    /// longer than `limit` is abandoned and recorded without a value, so a hang fails the
    /// test instead of blocking it.
    pub fn start<F, Fut>(
        runs: &'static AtomicUsize,
        keys: Vec<u64>,
        limit: Duration,
        call: F,
    ) -> Run
    where
        F: Fn(u64) -> Fut + Send + 'static,
        Fut: Future<Output = u64> + Send + 'static,
    {
        assert!(!keys.is_empty(), "a run needs keys");
        let calls = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (record, stopped) = (Arc::clone(&calls), Arc::clone(&stop));
        let task = tokio::spawn(async move {
            for &key in keys.iter().cycle() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let before = runs.load(Ordering::SeqCst);
                let started = Instant::now();
                let value = tokio::time::timeout(limit, call(key)).await.ok();
                let took = started.elapsed();
                let hit = runs.load(Ordering::SeqCst) == before;
                lock(&record).push(Call {
                    key,
                    started,
                    took,
                    value,
                    hit,
                });
            }
        });
        Run { calls, stop, task }
    }

    /// Waits until `done` holds for the calls recorded so far (checked every 50 ms); false
    /// when `deadline` passes first.
    pub async fn wait_for(&self, deadline: Instant, done: impl Fn(&[Call]) -> bool) -> bool {
        loop {
            if done(&lock(&self.calls)) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops after the current call and returns every call.
    pub async fn finish(self) -> Vec<Call> {
        self.stop.store(true, Ordering::SeqCst);
        self.task.await.expect("the run of calls panicked");
        lock(&self.calls).clone()
    }
}

/// A poisoned lock only means a panic elsewhere; the record is still whole.
fn lock(calls: &Mutex<Vec<Call>>) -> std::sync::MutexGuard<'_, Vec<Call>> {
    calls.lock().unwrap_or_else(|p| p.into_inner())
}

/// True when the last `count` calls started after `since` and were all hits that `wanted`.
pub fn recent_hits(
    calls: &[Call],
    since: Instant,
    count: usize,
    wanted: impl Fn(u64) -> bool,
) -> bool {
    let recent: Vec<&Call> = calls
        .iter()
        .filter(|c| c.started >= since && wanted(c.key))
        .collect();
    recent.len() >= count && recent[recent.len() - count..].iter().all(|c| c.hit)
}

/// Checks that every call returned [`value_of`] its key within `bound`.
pub fn assert_all_correct_and_bounded(what: &str, calls: &[Call], bound: Duration) {
    for call in calls {
        assert_eq!(
            call.value,
            Some(value_of(call.key)),
            "[{what}] call for {} returned a wrong value (None: it hung past the limit)",
            call.key
        );
        assert!(
            call.took <= bound,
            "[{what}] call for {} took {:?}, more than {bound:?}",
            call.key,
            call.took
        );
    }
}

/// Calls `call(key)` once for each of `keys`, in order, checking each value; returns how
/// many ran the function.
pub async fn pass<F, Fut>(runs: &AtomicUsize, keys: &[u64], call: F) -> usize
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64>,
{
    let before = runs.load(Ordering::SeqCst);
    for &key in keys {
        let got = tokio::time::timeout(Duration::from_secs(5), call(key))
            .await
            .unwrap_or_else(|_| panic!("the call for {key} hung"));
        assert_eq!(got, value_of(key), "wrong value for {key}");
    }
    runs.load(Ordering::SeqCst) - before
}

/// Calls `pass` until a whole pass over `keys` runs the function zero times; panics after
/// `limit`. Returns how long it took.
pub async fn until_all_hit<F, Fut>(
    what: &str,
    runs: &AtomicUsize,
    keys: &[u64],
    limit: Duration,
    call: F,
) -> Duration
where
    F: Fn(u64) -> Fut + Copy,
    Fut: Future<Output = u64>,
{
    let started = Instant::now();
    loop {
        let misses = pass(runs, keys, call).await;
        if misses == 0 {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "[{what}] still {misses} misses in a pass over {} keys after {limit:?}",
            keys.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
