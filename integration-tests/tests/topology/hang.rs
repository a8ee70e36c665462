//! Hang: a server frozen (`docker pause`, or SIGSTOP for a local process) in the middle of a
//! run of `#[ecached]` calls. A frozen server accepts connections and requests but never
//! answers, so only the backend's timeouts stand between it and the caller. Every call must
//! return its function's own result within the timeouts plus the function's time, and
//! calls must be hits again soon after the server thaws.

use super::{
    Call, Run, assert_all_correct_and_bounded, bound, namespace, private_memcached, private_redis,
    recent_hits, value_of, warm,
};
use easy_cache::ecached;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Operation and connect timeouts of the backends under test.
const TIMEOUT_MS: u64 = 100;
/// How long each cached function works.
const WORK: Duration = Duration::from_millis(20);
/// How long the server stays frozen.
const FROZEN: Duration = Duration::from_millis(1500);
/// How soon after the thaw calls must be hits again.
const RESUME_LIMIT: Duration = Duration::from_secs(5);

static REDIS_RUNS: AtomicUsize = AtomicUsize::new(0);
static MEMCACHED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("{ns}:hang:{n}", 600, cache_alias = "topo_hang_redis")]
async fn redis_value(ns: &str, n: u64) -> u64 {
    let _ = ns;
    REDIS_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(WORK).await;
    value_of(n)
}

#[ecached("{ns}:hang:{n}", 600, cache_alias = "topo_hang_memcached")]
async fn memcached_value(ns: &str, n: u64) -> u64 {
    let _ = ns;
    MEMCACHED_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(WORK).await;
    value_of(n)
}

/// When the freeze began and ended, as seen by the test.
struct Freeze {
    /// Just before asking for the pause.
    pausing: Instant,
    /// The pause is in effect.
    frozen: Instant,
    /// Just before asking for the unpause.
    thawing: Instant,
}

impl Freeze {
    /// Calls that ended before the pause was asked for.
    fn before<'a>(&self, calls: &'a [Call]) -> Vec<&'a Call> {
        calls.iter().filter(|c| c.ended() < self.pausing).collect()
    }

    /// Calls made entirely while the server was frozen.
    fn during<'a>(&self, calls: &'a [Call]) -> Vec<&'a Call> {
        calls
            .iter()
            .filter(|c| c.started >= self.frozen && c.ended() <= self.thawing)
            .collect()
    }
}

/// Runs calls over `keys` through `call`, freezes the server with `pause` for [`FROZEN`],
/// thaws it with `unpause`, and waits until the last two rounds after the thaw were hits.
/// Returns every call, the freeze's times, and whether caching resumed in time.
async fn freeze_during_a_run<F, Fut, P, U>(
    runs: &'static AtomicUsize,
    keys: &[u64],
    call: F,
    pause: P,
    unpause: U,
) -> (Vec<Call>, Freeze, bool)
where
    F: Fn(u64) -> Fut + Send + 'static,
    Fut: Future<Output = u64> + Send + 'static,
    P: Future<Output = ()>,
    U: Future<Output = ()>,
{
    let limit = 4 * bound(WORK, TIMEOUT_MS);
    let run = Run::start(runs, keys.to_vec(), limit, call);
    // Some hits before the freeze.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pausing = Instant::now();
    pause.await;
    let frozen = Instant::now();
    tokio::time::sleep(FROZEN).await;
    let thawing = Instant::now();
    unpause.await;
    let thawed = Instant::now();
    let rounds = 2 * keys.len();
    let resumed = run
        .wait_for(thawed + RESUME_LIMIT, |calls| {
            recent_hits(calls, thawed, rounds, |_| true)
        })
        .await;
    let calls = run.finish().await;
    let freeze = Freeze {
        pausing,
        frozen,
        thawing,
    };
    (calls, freeze, resumed)
}

/// How long after the unpause was asked for the last miss ended (zero: before).
fn last_miss_after(calls: &[Call], thawing: Instant) -> Duration {
    calls
        .iter()
        .filter(|c| !c.hit)
        .map(|c| c.ended().saturating_duration_since(thawing))
        .max()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frozen_redis_fails_open_within_the_timeout_and_caching_resumes() {
    let server = private_redis("topo_hang_redis", TIMEOUT_MS).await;
    let ns = namespace("hang-redis");
    let keys: Vec<u64> = (0..8).collect();
    warm("redis", &REDIS_RUNS, &keys, |n| redis_value(&ns, n)).await;

    let run_ns = ns.clone();
    let (calls, freeze, resumed) = freeze_during_a_run(
        &REDIS_RUNS,
        &keys,
        move |n| {
            let ns = run_ns.clone();
            async move { redis_value(&ns, n).await }
        },
        async { server.pause().await.expect("pause redis") },
        async { server.unpause().await.expect("unpause redis") },
    )
    .await;

    let limit = bound(WORK, TIMEOUT_MS);
    assert_all_correct_and_bounded("redis frozen", &calls, limit);
    let before = freeze.before(&calls);
    assert!(
        before.len() >= 3 && before.iter().all(|c| c.hit),
        "before the freeze, calls must be hits: {before:?}"
    );
    let during = freeze.during(&calls);
    // Even entries cached before the freeze cannot be read: proof the freeze reached the
    // backend, and that each call still ended within the bound.
    assert!(
        during.len() >= 3 && during.iter().all(|c| !c.hit),
        "while frozen, every call must run the function: {during:?}"
    );
    assert!(
        resumed,
        "caching did not resume within {RESUME_LIMIT:?} of the thaw"
    );
    let slowest = calls.iter().map(|c| c.took).max().unwrap_or_default();
    eprintln!(
        "[redis frozen] {} calls, {} while frozen, slowest {slowest:?} (bound {limit:?}), \
         last miss ended {:?} after the unpause",
        calls.len(),
        during.len(),
        last_miss_after(&calls, freeze.thawing)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_frozen_memcached_only_costs_its_own_keys_and_caching_resumes() {
    let (servers, cache) = private_memcached("topo_hang_memcached", 3, TIMEOUT_MS).await;
    let ns = namespace("hang-memcached");
    let keys: Vec<u64> = (0..24).collect();
    let frozen_node = &servers.nodes()[0];
    let frozen_address = frozen_node.address();
    let on_frozen = |n: u64| {
        let key = memcached_value_cache().cache_key(&ns, &n);
        cache.server_for(&key) == frozen_address
    };
    let frozen_keys = keys.iter().filter(|&&n| on_frozen(n)).count();
    assert!(
        frozen_keys > 0 && frozen_keys < keys.len(),
        "the keys must span the frozen server and the others ({frozen_keys} of {})",
        keys.len()
    );
    warm("memcached", &MEMCACHED_RUNS, &keys, |n| {
        memcached_value(&ns, n)
    })
    .await;

    let run_ns = ns.clone();
    let (calls, freeze, resumed) = freeze_during_a_run(
        &MEMCACHED_RUNS,
        &keys,
        move |n| {
            let ns = run_ns.clone();
            async move { memcached_value(&ns, n).await }
        },
        async { frozen_node.pause().await.expect("pause memcached") },
        async { frozen_node.unpause().await.expect("unpause memcached") },
    )
    .await;

    let limit = bound(WORK, TIMEOUT_MS);
    assert_all_correct_and_bounded("memcached frozen", &calls, limit);
    let before = freeze.before(&calls);
    assert!(
        before.len() >= 3 && before.iter().all(|c| c.hit),
        "before the freeze, calls must be hits: {before:?}"
    );
    let during = freeze.during(&calls);
    let (frozen_calls, other_calls): (Vec<&Call>, Vec<&Call>) =
        during.iter().partition(|c| on_frozen(c.key));
    assert!(
        !frozen_calls.is_empty() && frozen_calls.iter().all(|c| !c.hit),
        "while frozen, the frozen server's keys must run the function: {frozen_calls:?}"
    );
    assert!(
        !other_calls.is_empty() && other_calls.iter().all(|c| c.hit),
        "while one server is frozen, the other servers' keys must still hit: {other_calls:?}"
    );
    assert!(
        resumed,
        "caching did not resume within {RESUME_LIMIT:?} of the thaw"
    );
    let slowest = calls.iter().map(|c| c.took).max().unwrap_or_default();
    eprintln!(
        "[memcached frozen] {} calls, {} while frozen ({} on the frozen server), slowest \
         {slowest:?} (bound {limit:?}), last miss ended {:?} after the unpause",
        calls.len(),
        during.len(),
        frozen_calls.len(),
        last_miss_after(&calls, freeze.thawing)
    );
}
