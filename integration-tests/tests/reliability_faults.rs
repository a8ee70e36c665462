//! Fail open with a misbehaving server: a backend talks to the real Redis or Memcached
//! through a fault-injecting proxy (slow, hung, closing, answering garbage). In every mode an
//! `#[ecached]` function returns its own correct result within a bound set by the backend's
//! timeouts, and caching resumes once the proxy forwards again.

mod reliability;

use easy_cache::{caches, ecached};
use easy_cache_integration_tests::env::{self, require_url};
use reliability::{Mode, Proxy, first_server, namespace};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Operation and connect timeouts given to the backends under test.
const TIMEOUT_MS: u64 = 100;
/// How long the cached function works.
const WORK: Duration = Duration::from_millis(30);
/// The slowest a call may be: the function's work, two backend exchanges (read the entry
/// with its tags, write it back) each bounded by connect plus operation timeout, and
/// generous slack for a loaded machine. (Observed: about work + one operation timeout.)
const BOUND: Duration = Duration::from_millis(30 + 2 * 2 * TIMEOUT_MS + 400);

macro_rules! fault_tests {
    ($module:ident, $alias:tt, $var:expr, $default_port:expr, $scheme:expr) => {
        mod $module {
            use super::*;

            static RUNS: AtomicUsize = AtomicUsize::new(0);

            #[ecached("{ns}:square:{n}", 600, tags = ["{ns}:squares"], cache_alias = $alias)]
            async fn square(ns: &str, n: u64) -> u64 {
                let _ = ns;
                RUNS.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(WORK).await;
                n * n
            }

            /// Calls `square` and checks its result and duration; true when it was a hit.
            async fn checked_call(ns: &str, n: u64, mode: Mode) -> (bool, Duration) {
                let runs = RUNS.load(Ordering::SeqCst);
                let started = Instant::now();
                // An outer limit, so a backend that ignores its timeouts fails the test
                // instead of hanging it.
                let Ok(got) = tokio::time::timeout(2 * BOUND, square(ns, n)).await else {
                    panic!(
                        "[{}] {mode:?}: the call for {n} hung past {:?}",
                        $alias,
                        2 * BOUND
                    )
                };
                let took = started.elapsed();
                assert_eq!(got, n * n, "[{}] {mode:?}: wrong result for {n}", $alias);
                assert!(
                    took <= BOUND,
                    "[{}] {mode:?}: call took {took:?}, more than {BOUND:?}",
                    $alias
                );
                (RUNS.load(Ordering::SeqCst) == runs, took)
            }

            /// Waits (bounded) until a call of `n` is served from the cache.
            async fn assert_caching_resumes(ns: &str, n: u64, after: &str) {
                let deadline = Instant::now() + Duration::from_secs(5);
                loop {
                    if checked_call(ns, n, Mode::Pass).await.0 {
                        return;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "[{}] caching did not resume within 5 s after {after}",
                        $alias
                    );
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn fails_open_in_every_mode_and_recovers() {
                let upstream = first_server(&require_url($var), $default_port);
                let proxy = Proxy::start(upstream).await;
                let url = format!(
                    "{}://127.0.0.1:{}/?timeout_ms={TIMEOUT_MS}&connect_timeout_ms={TIMEOUT_MS}",
                    $scheme,
                    proxy.port()
                );
                caches::insert($alias, caches::from_url(&url).expect("backend URL"));
                let ns = namespace($alias);

                assert_caching_resumes(&ns, 1, "start").await;
                let modes = [
                    Mode::Delay(Duration::from_millis(3 * TIMEOUT_MS)),
                    Mode::Swallow,
                    Mode::Close,
                    Mode::Garbage,
                ];
                let mut next = 100;
                for mode in modes {
                    proxy.set_mode(mode);
                    let mut slowest = Duration::ZERO;
                    // Fresh keys (miss, write) and keys cached before the fault (read).
                    for n in [next, 1, next + 1, 1, next + 2] {
                        let (hit, took) = checked_call(&ns, n, mode).await;
                        // Even the entry cached before the fault cannot be read: proof
                        // that the fault reaches the backend.
                        assert!(
                            !hit,
                            "[{}] {mode:?}: a hit for {n} through a faulty proxy",
                            $alias
                        );
                        slowest = slowest.max(took);
                    }
                    eprintln!("[{}] {mode:?}: slowest call {slowest:?}", $alias);
                    proxy.set_mode(Mode::Pass);
                    assert_caching_resumes(&ns, next + 3, &format!("{mode:?}")).await;
                    // Entries written before the fault still read back as the right value.
                    assert_caching_resumes(&ns, 1, &format!("{mode:?}")).await;
                    next += 10;
                }
                // A network slower than usual but within the timeouts still caches.
                proxy.set_mode(Mode::Delay(Duration::from_millis(TIMEOUT_MS / 5)));
                assert_caching_resumes(&ns, next, "a delay within the timeout").await;
            }
        }
    };
}

fault_tests!(redis, "rel_fault_redis", env::REDIS_URL, 6379, "redis");
fault_tests!(
    memcached,
    "rel_fault_memcached",
    env::MEMCACHED_URL,
    11211,
    "memcache"
);

/// Operation and connect timeouts of the black-hole tests: short, so the test is quick.
const SILENT_TIMEOUT_MS: u64 = 200;
/// Slack for a loaded machine on top of what the timeouts allow.
const SLACK: Duration = Duration::from_millis(300);

/// A Redis connection that goes silent (no reply, no FIN, no RST; the proxy's
/// [`Mode::Silent`]) is replaced after one operation timeout: while the route is dead every
/// call fails open within the timeouts, and once the server answers on new connections (the
/// old sockets stay silent for good, as behind a lost NAT entry) calls succeed again within
/// two operation timeouts. Run with client tracking (a RESP3 connection this backend
/// replaces itself) and without (a connection manager).
macro_rules! black_hole_tests {
    ($module:ident, $alias:tt, $options:expr) => {
        mod $module {
            use super::*;
            use easy_cache_core::{CacheInstance, Timeout};

            static RUNS: AtomicUsize = AtomicUsize::new(0);

            #[ecached("{ns}:silent:{n}", 600, tags = ["{ns}:silent"], cache_alias = $alias)]
            async fn square(ns: &str, n: u64) -> u64 {
                let _ = ns;
                RUNS.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(WORK).await;
                n * n
            }

            /// Calls `square(n)`: its own result, within two backend exchanges each bounded
            /// by connect plus operation timeout; true when it was a hit.
            async fn checked_call(ns: &str, n: u64) -> bool {
                let bound = WORK + 4 * Duration::from_millis(SILENT_TIMEOUT_MS) + SLACK;
                let runs = RUNS.load(Ordering::SeqCst);
                let started = Instant::now();
                let Ok(got) = tokio::time::timeout(2 * bound, square(ns, n)).await else {
                    panic!("[{}] the call for {n} hung past {:?}", $alias, 2 * bound)
                };
                let took = started.elapsed();
                assert_eq!(got, n * n, "[{}] wrong result for {n}", $alias);
                assert!(took <= bound, "[{}] call took {took:?}, more than {bound:?}", $alias);
                RUNS.load(Ordering::SeqCst) == runs
            }

            /// One `get` of the backend, bounded from outside too, and how long it took.
            async fn timed_get(
                cache: &dyn CacheInstance,
                key: &str,
            ) -> (easy_cache_core::Result<Option<bytes::Bytes>>, Duration) {
                let started = Instant::now();
                let limit = Duration::from_secs(5);
                match tokio::time::timeout(limit, cache.get(key)).await {
                    Ok(got) => (got, started.elapsed()),
                    Err(_) => panic!("[{}] a get hung past {limit:?}", $alias),
                }
            }

            /// Gets `probe` until a get succeeds (its value must be the one set before the
            /// fault); how long that took. Fails the test after 5 s.
            async fn until_a_get_succeeds(cache: &dyn CacheInstance, probe: &str) -> Duration {
                let started = Instant::now();
                loop {
                    if let Ok(value) = timed_get(cache, probe).await.0 {
                        assert_eq!(value.as_deref(), Some(&b"before"[..]), "[{}]", $alias);
                        return started.elapsed();
                    }
                    assert!(
                        started.elapsed() < Duration::from_secs(5),
                        "[{}] no call succeeded within 5 s of the server answering again: \
                         the black-holed connection was never replaced",
                        $alias
                    );
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_black_holed_redis_connection_is_replaced_after_an_op_timeout() {
                let op_timeout = Duration::from_millis(SILENT_TIMEOUT_MS);
                let upstream = first_server(&require_url(env::REDIS_URL), 6379);
                let proxy = Proxy::start(upstream).await;
                let url = format!(
                    "redis://127.0.0.1:{}/?timeout_ms={SILENT_TIMEOUT_MS}&connect_timeout_ms={SILENT_TIMEOUT_MS}{}",
                    proxy.port(),
                    $options
                );
                let cache = caches::from_url(&url).expect("backend URL");
                caches::insert($alias, cache.clone());
                let ns = namespace($alias);
                let probe = format!("{ns}:probe");
                cache
                    .set(&probe, bytes::Bytes::from_static(b"before"), Timeout::Never)
                    .await
                    .expect("a set through the proxy");

                // Through the proxy, calls are cached.
                let deadline = Instant::now() + Duration::from_secs(5);
                while !checked_call(&ns, 1).await {
                    assert!(Instant::now() < deadline, "[{}] no hit within 5 s", $alias);
                }

                // Silent: every call fails open within the timeouts, none is a hit.
                proxy.set_mode(Mode::Silent);
                for n in [1, 2, 1, 3, 1] {
                    assert!(!checked_call(&ns, n).await, "[{}] a hit through a dead route", $alias);
                }
                let mut slowest = Duration::ZERO;
                for _ in 0..5 {
                    let (got, took) = timed_get(cache.as_ref(), &probe).await;
                    assert!(got.is_err(), "[{}] a get through a dead route answered", $alias);
                    slowest = slowest.max(took);
                }
                // One exchange: a connect attempt or an operation, each bounded.
                assert!(
                    slowest <= op_timeout + SLACK,
                    "[{}] a get failed only after {slowest:?}",
                    $alias
                );

                // The server answers on new connections; the old sockets stay silent.
                proxy.set_mode(Mode::Pass);
                let recovered = until_a_get_succeeds(cache.as_ref(), &probe).await;
                // The same with the live connection black-holed and no call in between: the
                // first call must give up on it after one operation timeout.
                proxy.set_mode(Mode::Silent);
                proxy.set_mode(Mode::Pass);
                let replaced = until_a_get_succeeds(cache.as_ref(), &probe).await;
                eprintln!(
                    "[{}] silent get: slowest {slowest:?}; calls succeed again {recovered:?} \
                     after the route comes back, {replaced:?} with the live connection lost",
                    $alias
                );
                for took in [recovered, replaced] {
                    assert!(
                        took <= 2 * op_timeout + SLACK,
                        "[{}] calls succeeded again only {took:?} after the server answered",
                        $alias
                    );
                }
                // And the function's entries are hits again.
                let deadline = Instant::now() + Duration::from_secs(5);
                while !checked_call(&ns, 1).await {
                    assert!(Instant::now() < deadline, "[{}] caching did not resume", $alias);
                }
            }
        }
    };
}

black_hole_tests!(black_hole_tracked, "rel_black_hole_tracked", "");
black_hole_tests!(
    black_hole_plain,
    "rel_black_hole_plain",
    "&client_tracking=false"
);
