//! `#[ecached]` on plain `fn`s, end to end on every backend and in every runtime context:
//! no runtime, inside a current-thread runtime (its only thread blocked by the call), and
//! on a multi-thread runtime's worker. Each context runs the same exercise (template key,
//! tags, prefix, key and timeout functions, value tags, `Result`, methods, associated and
//! trait functions, a sync cached property, every handle verb, refresh); then single flight
//! across 1000 threads, a panicking computation's take-over, and an unreachable server.

use easy_cache::{ECached, caches, ecached};
use easy_cache_integration_tests::env::{self, require_url};
use easy_cache_integration_tests::support::{closed_port, with_timeouts};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex, Once};
use std::time::{Duration, Instant};

/// A random namespace per test, so runs against long-lived servers never see old entries.
/// Plain characters only: a placeholder escapes `:`, and the exercise writes some tags by
/// hand.
fn namespace(topic: &str) -> String {
    format!("{}{:016x}", topic.replace('_', ""), fastrand::u64(..))
}

/// Runs of a function body, by namespace: the tests of one backend run in parallel on the
/// same functions, each in its own namespace.
#[derive(Default)]
struct Runs(Mutex<HashMap<String, usize>>);

impl Runs {
    fn count(&self, ns: &str) {
        *self.0.lock().unwrap().entry(ns.to_owned()).or_default() += 1;
    }

    fn of(&self, ns: &str) -> usize {
        self.0.lock().unwrap().get(ns).copied().unwrap_or(0)
    }
}

/// How long the single-flight computations last: every thread has read its miss and
/// joined the flight long before (generous for a loaded machine).
const COMPUTING: Duration = Duration::from_millis(1500);

macro_rules! sync_backend {
    ($module:ident, $alias:literal, $url:expr) => {
        mod $module {
            use super::*;

            static RUNS: std::sync::LazyLock<Runs> = std::sync::LazyLock::new(Runs::default);

            /// Registers the backend once: the tests of this module share its instance.
            fn register() {
                static ONCE: Once = Once::new();
                ONCE.call_once(|| caches::insert($alias, caches::from_url($url.as_ref()).unwrap()));
            }

            #[ecached("{ns}:user:{id}", 600, tags = ["{ns}:users", "{ns}:user:{id}"], prefix = "{ns}:org:{org}", cache_alias = $alias)]
            pub fn load_user(ns: &str, org: &str, id: u64) -> String {
                RUNS.count(ns);
                format!("{ns}/{org}/{id}")
            }

            fn book_tags(meta: &easy_cache::Meta<'_>) -> Vec<String> {
                meta.returned_value::<(String, Vec<u64>)>()
                    .map(|(ns, ids)| ids.iter().map(|id| format!("{ns}:book:{id}")).collect())
                    .unwrap_or_default()
            }

            #[ecached("{ns}:favorites:{user}", tags = book_tags, cache_alias = $alias)]
            pub fn favorites(ns: &str, user: u64) -> (String, Vec<u64>) {
                RUNS.count(ns);
                (ns.to_owned(), vec![user, user + 100])
            }

            fn seconds_for(_ns: &str, n: &i64) -> u64 {
                if *n > 100 { 60 } else { 600 }
            }

            #[ecached("{ns}:fallible:{n}", timeout = seconds_for, cache_alias = $alias)]
            pub fn fallible(ns: &str, n: i64) -> Result<i64, String> {
                RUNS.count(ns);
                if n < 0 {
                    return Err("negative".into());
                }
                Ok(n)
            }

            fn sum_key(ns: &str, a: &u32, b: &u32) -> String {
                format!("{ns}:sum:{}", a + b)
            }

            #[ecached(key = sum_key, cache_alias = $alias)]
            pub fn sum(ns: &str, a: u32, b: u32) -> u32 {
                RUNS.count(ns);
                a + b
            }

            pub struct Shop {
                pub ns: String,
                pub id: u64,
            }

            pub trait Catalog {
                fn pages(&self) -> u32;
            }

            impl Shop {
                #[ecached("goods:{page}", prefix = "{self.ns}:shop:{self.id}", cache_alias = $alias)]
                pub fn goods(&self, page: u32) -> Vec<String> {
                    RUNS.count(&self.ns);
                    vec![format!("page {page} of shop {}", self.id)]
                }

                #[ecached("{ns}:count", cache_alias = $alias)]
                pub fn count(ns: &str) -> u64 {
                    RUNS.count(ns);
                    3
                }
            }

            #[ecached]
            impl Catalog for Shop {
                #[ecached("{self.ns}:pages:{self.id}", cache_alias = $alias)]
                fn pages(&self) -> u32 {
                    RUNS.count(&self.ns);
                    12
                }
            }

            #[derive(ECached)]
            #[ecached(property = rating, returns = u64, key = "{self.ns}:rating:{self.id}", cache_alias = $alias, sync)]
            pub struct Book {
                pub ns: String,
                #[ecached(id)]
                pub id: u64,
            }

            impl Book {
                fn compute_rating(&self) -> u64 {
                    RUNS.count(&self.ns);
                    self.id * 10
                }
            }

            /// Every option and handle verb, sync.
            pub fn exercise() {
                register();
                let ns = namespace($alias);
                let ns = ns.as_str();
                let runs = || RUNS.of(ns);

                assert_eq!(load_user(ns, "acme", 1), format!("{ns}/acme/1"));
                assert_eq!(load_user(ns, "acme", 1), format!("{ns}/acme/1"));
                load_user(ns, "acme", 2);
                assert_eq!(runs(), 2, "[{}] hit after miss", $alias);

                assert!(load_user_cache().invalidate_cache_by_key(&ns, "acme", &1).unwrap());
                load_user(ns, "acme", 1);
                load_user(ns, "acme", 2);
                assert_eq!(runs(), 3, "[{}] by key: only that entry", $alias);

                easy_cache::using_alias($alias).blocking().invalidate_tags(format!("{ns}:user:2")).unwrap();
                load_user(ns, "acme", 1);
                load_user(ns, "acme", 2);
                assert_eq!(runs(), 4, "[{}] by one entry's tag", $alias);

                load_user_cache().invalidate_cache_by_tags(&ns, &1).unwrap();
                load_user(ns, "acme", 1);
                load_user(ns, "acme", 2);
                assert_eq!(runs(), 6, "[{}] by a shared tag", $alias);

                load_user(ns, "other", 1);
                load_user_cache().invalidate_cache_by_prefix(&ns, "acme").unwrap();
                load_user(ns, "acme", 1);
                load_user(ns, "other", 1);
                assert_eq!(runs(), 8, "[{}] by prefix: only that prefix", $alias);

                let fresh = load_user_cache().refresh_cache(|| load_user(ns, "acme", 1));
                assert_eq!(fresh, format!("{ns}/acme/1"));
                load_user(ns, "acme", 1);
                assert_eq!(runs(), 9, "[{}] refresh stores", $alias);

                favorites(ns, 1);
                favorites(ns, 2);
                favorites(ns, 1);
                assert_eq!(runs(), 11, "[{}] value-tagged hit", $alias);
                load_user_cache().invalidate_tags(format!("{ns}:book:101")).unwrap();
                favorites(ns, 1);
                favorites(ns, 2);
                assert_eq!(runs(), 12, "[{}] only the list holding book 101", $alias);

                assert!(fallible(ns, -1).is_err());
                assert!(fallible(ns, -1).is_err());
                assert_eq!(fallible(ns, 3), Ok(3));
                assert_eq!(fallible(ns, 3), Ok(3));
                assert_eq!(runs(), 15, "[{}] Result caches Ok only", $alias);

                assert_eq!(sum(ns, 1, 2), 3);
                assert_eq!(sum(ns, 2, 1), 3, "the key function maps both to one key");
                assert_eq!(sum_cache().cache_key(&ns, &2, &1), format!("{ns}:sum:3"));
                assert_eq!(runs(), 16, "[{}] key function", $alias);

                let shop = Shop { ns: ns.to_owned(), id: 5 };
                assert_eq!(shop.goods(1), ["page 1 of shop 5"]);
                assert_eq!(shop.goods(1), ["page 1 of shop 5"]);
                assert_eq!(Shop::count(ns), 3);
                assert_eq!(Shop::count(ns), 3);
                assert_eq!(shop.pages(), 12);
                assert_eq!(shop.pages(), 12);
                assert_eq!(runs(), 19, "[{}] methods, associated and trait fns", $alias);
                Shop::goods_cache().invalidate_cache_by_prefix(&shop).unwrap();
                assert!(Shop::pages_cache().invalidate_cache_by_key(&shop).unwrap());
                shop.goods(1);
                shop.pages();
                assert_eq!(runs(), 21, "[{}] method handles", $alias);

                let book = Book { ns: ns.to_owned(), id: 4 };
                assert_eq!(book.rating(), 40);
                assert_eq!(book.rating(), 40);
                assert_eq!(Book::rating_cache().refresh_cache(|| book.rating()), 40);
                assert_eq!(runs(), 23, "[{}] sync property and its refresh", $alias);
            }

            #[test]
            fn no_runtime() {
                exercise();
            }

            #[tokio::test]
            async fn current_thread() {
                // The runtime's only thread makes the calls: nothing may wait on it.
                exercise();
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn multi_thread() {
                tokio::spawn(async { exercise() }).await.unwrap();
            }

            #[ecached("{ns}:mixed:{n}", cache_alias = $alias)]
            async fn mixed_async(ns: &str, n: u64) -> u64 {
                RUNS.count(ns);
                n + 1
            }

            #[ecached("{ns}:mixed:{n}", cache_alias = $alias)]
            fn mixed_sync(ns: &str, n: u64) -> u64 {
                RUNS.count(ns);
                n + 1
            }

            /// Async and sync functions on one cache, on a current-thread runtime's only
            /// thread: what the async calls opened there (connections driven by that
            /// runtime) must not hold the sync calls, which block that thread.
            #[tokio::test]
            async fn current_thread_mixed_with_async_calls() {
                register();
                let ns = namespace($alias);
                for n in 0..3 {
                    // The same key: the sync calls read the async call's entry, on the
                    // server (and connection pool) the async calls used.
                    assert_eq!(mixed_async(&ns, n).await, n + 1);
                    assert_eq!(mixed_async(&ns, n).await, n + 1);
                    let started = Instant::now();
                    assert_eq!(mixed_sync(&ns, n), n + 1);
                    assert_eq!(mixed_sync(&ns, n), n + 1);
                    assert!(
                        started.elapsed() < Duration::from_millis(2500),
                        "[{}] sync calls after async ones: {:?}",
                        $alias,
                        started.elapsed()
                    );
                }
                assert_eq!(RUNS.of(&ns), 3, "[{}] one computation per key", $alias);
            }

            #[ecached("{ns}:slow:{n}", cache_alias = $alias)]
            fn slow(ns: &str, n: u64) -> u64 {
                RUNS.count(ns);
                std::thread::sleep(COMPUTING);
                n * 2
            }

            #[test]
            fn single_flight_1000_threads_one_computation() {
                register();
                let ns = namespace($alias);
                let start = Barrier::new(1000);
                std::thread::scope(|scope| {
                    let threads: Vec<_> = (0..1000)
                        .map(|_| scope.spawn(|| {
                            start.wait();
                            slow(&ns, 21)
                        }))
                        .collect();
                    for thread in threads {
                        assert_eq!(thread.join().unwrap(), 42);
                    }
                });
                assert_eq!(RUNS.of(&ns), 1, "[{}] one computation for 1000 threads", $alias);
            }

            static PANIC_NEXT: AtomicBool = AtomicBool::new(true);

            #[ecached("{ns}:fragile", cache_alias = $alias)]
            fn fragile(ns: &str) -> u64 {
                RUNS.count(ns);
                std::thread::sleep(COMPUTING / 3);
                if PANIC_NEXT.swap(false, Ordering::SeqCst) {
                    panic!("the first computation fails");
                }
                7
            }

            #[test]
            fn a_panicking_computation_releases_its_waiters() {
                register();
                let ns = namespace($alias);
                let start = Barrier::new(20);
                let outcomes: Vec<std::thread::Result<u64>> = std::thread::scope(|scope| {
                    let threads: Vec<_> = (0..20)
                        .map(|_| scope.spawn(|| {
                            start.wait();
                            fragile(&ns)
                        }))
                        .collect();
                    threads.into_iter().map(|t| t.join()).collect()
                });
                let panicked = outcomes.iter().filter(|o| o.is_err()).count();
                assert_eq!(panicked, 1, "[{}] only the computing thread panics", $alias);
                assert!(outcomes.iter().flatten().all(|v| *v == 7));
                assert_eq!(RUNS.of(&ns), 2, "[{}] one waiter took over", $alias);
            }
        }
    };
}

sync_backend!(sync_memory, "sync_memory", "memory://");
sync_backend!(sync_sled, "sync_sled", "sled://?temporary=true");
sync_backend!(sync_redb, "sync_redb", "redb://?temporary=true");
// Generous timeouts: 1000 threads' reads queue for the connections on a loaded machine,
// and a read that timed out would compute on its own.
sync_backend!(
    sync_redis,
    "sync_redis",
    with_timeouts(&require_url(env::REDIS_URL), 5000)
);
sync_backend!(
    sync_memcached,
    "sync_memcached",
    with_timeouts(&require_url(env::MEMCACHED_URL), 5000)
);

/// Nothing listens at `scheme`'s URL: every call returns its function's own result,
/// quickly, in each runtime context.
fn fails_open(scheme: &str, alias: &'static str, call: fn(&str) -> u64) {
    let url = with_timeouts(&format!("{scheme}://127.0.0.1:{}", closed_port()), 200);
    caches::insert(alias, caches::from_url(&url).unwrap());
    let ns = namespace(alias);
    let check = move |ns: &str| {
        let started = Instant::now();
        assert_eq!(call(ns), 21);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    };
    check(&ns);
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    current.block_on(async { check(&ns) });
    let threads = tokio::runtime::Runtime::new().unwrap();
    threads.block_on(async move { tokio::spawn(async move { check(&ns) }).await.unwrap() });
}

#[ecached("{ns}:down", cache_alias = "sync_redis_down")]
fn on_redis_down(ns: &str) -> u64 {
    let _ = ns;
    21
}

#[ecached("{ns}:down", cache_alias = "sync_memcached_down")]
fn on_memcached_down(ns: &str) -> u64 {
    let _ = ns;
    21
}

#[test]
fn sync_redis_unreachable_fails_open() {
    fails_open("redis", "sync_redis_down", on_redis_down);
}

#[test]
fn sync_memcached_unreachable_fails_open() {
    fails_open("memcache", "sync_memcached_down", on_memcached_down);
}
