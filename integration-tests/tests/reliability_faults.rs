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
