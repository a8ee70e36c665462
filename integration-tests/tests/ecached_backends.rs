//! `#[ecached]` end to end on every backend: a template key with tags and a prefix,
//! invalidation by key, tags and prefix, value-derived tags, refresh, `Result` caching; and
//! outages: while Redis or Memcached is down every call returns its function's own result,
//! and caching resumes when the server is back; functions that differ only by what names
//! them (type, trait impl, generic arguments, enclosing function) never share an entry.

use easy_cache::{CacheInstance, caches, ecached};
use easy_cache_integration_tests::env::{self, require_url};
use easy_cache_integration_tests::suite::PrivateServer;
use easy_cache_integration_tests::support::{with_options, with_timeouts};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A random namespace per run, so runs against long-lived servers never see old entries.
fn namespace() -> String {
    format!("e2e{}", fastrand::u64(..))
}

/// The seed's `partial(ecached, prefix='shop:{self.id}')`: a user's wrapper macro sharing
/// options across a family of methods.
macro_rules! single_shop_cache {
    ($alias:tt, $key:tt, $($item:tt)*) => {
        #[ecached($key, 3600, prefix = "{self.ns}:shop:{self.id}", cache_alias = $alias)]
        $($item)*
    };
}

macro_rules! backend_e2e {
    ($module:ident, $alias:tt) => {
        mod $module {
            use super::*;

            pub static RUNS: AtomicUsize = AtomicUsize::new(0);
            pub static BOOKS_RUNS: AtomicUsize = AtomicUsize::new(0);
            pub static FALLIBLE_RUNS: AtomicUsize = AtomicUsize::new(0);

            #[ecached("{ns}:user:{id}", 600, tags = ["{ns}:users", "{ns}:user:{id}"], prefix = "{ns}:org:{org}", cache_alias = $alias)]
            pub async fn load_user(ns: &str, org: &str, id: u64) -> String {
                RUNS.fetch_add(1, Ordering::SeqCst);
                format!("{ns}/{org}/{id}")
            }

            fn book_tags(meta: &easy_cache::Meta<'_>) -> Vec<String> {
                meta.returned_value::<(String, Vec<u64>)>()
                    .map(|(ns, ids)| ids.iter().map(|id| format!("{ns}:book:{id}")).collect())
                    .unwrap_or_default()
            }

            #[ecached("{ns}:favorites:{user}", tags = book_tags, cache_alias = $alias)]
            pub async fn favorites(ns: &str, user: u64) -> (String, Vec<u64>) {
                BOOKS_RUNS.fetch_add(1, Ordering::SeqCst);
                (ns.to_owned(), vec![user, user + 100])
            }

            #[ecached("{ns}:fallible:{n}", cache_alias = $alias)]
            pub async fn fallible(ns: &str, n: i64) -> Result<i64, String> {
                let _ = ns;
                FALLIBLE_RUNS.fetch_add(1, Ordering::SeqCst);
                if n < 0 { Err("negative".into()) } else { Ok(n) }
            }

            // Functions whose automatic keys differ only by what names them: the type
            // (inherent or trait impl, generic impl), generic arguments, enclosing function.
            pub struct Invoice;
            pub struct Receipt;
            impl Invoice {
                #[ecached(cache_alias = $alias)]
                pub async fn build(n: u64) -> String { format!("invoice {n}") }
            }
            impl Receipt {
                #[ecached(cache_alias = $alias)]
                pub async fn build(n: u64) -> String { format!("receipt {n}") }
            }
            pub struct Store<T>(std::marker::PhantomData<T>);
            impl<T> Store<T> {
                #[ecached(cache_alias = $alias)]
                pub async fn kind(n: u64) -> String { format!("{} {n}", std::any::type_name::<T>()) }
            }
            pub trait Count {
                fn count(n: u64) -> impl std::future::Future<Output = String> + Send;
            }
            #[ecached]
            impl Count for Invoice {
                #[ecached(cache_alias = $alias)]
                async fn count(n: u64) -> String { format!("{n} invoices") }
            }
            #[ecached]
            impl Count for Receipt {
                #[ecached(cache_alias = $alias)]
                async fn count(n: u64) -> String { format!("{n} receipts") }
            }
            #[ecached(cache_alias = $alias)]
            async fn make<T: From<u64> + serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static>(n: u64) -> T {
                T::from(n)
            }
            async fn first(n: u64) -> u64 {
                #[ecached(cache_alias = $alias)]
                async fn helper(n: u64) -> u64 { n + 1000 }
                helper(n).await
            }
            async fn second(n: u64) -> u64 {
                #[ecached(cache_alias = $alias)]
                async fn helper(n: u64) -> u64 { n + 2000 }
                helper(n).await
            }

            pub static GOODS_RUNS: AtomicUsize = AtomicUsize::new(0);

            pub struct Shop {
                pub ns: String,
                pub id: u64,
            }

            impl Shop {
                const CATALOG: &'static str = "v3";

                single_shop_cache!($alias, "goods:{Self::CATALOG}", pub async fn goods(&self) -> Vec<String> {
                    GOODS_RUNS.fetch_add(1, Ordering::SeqCst);
                    vec![format!("goods of {}", self.id)]
                });

                single_shop_cache!($alias, "prices:{currency}", pub async fn prices(&self, currency: &str) -> String {
                    format!("{currency} prices of {}", self.id)
                });
            }

            /// A wrapper macro's template and `{Self::CONST}` build the keys; the shared
            /// prefix invalidates the whole family.
            async fn shared_options_and_associated_constants() {
                let shop = Shop { ns: namespace(), id: 5 };
                let runs = || GOODS_RUNS.load(Ordering::SeqCst);
                let start = runs();
                assert_eq!(shop.goods().await, ["goods of 5"]);
                assert_eq!(shop.goods().await, ["goods of 5"]);
                assert_eq!(runs(), start + 1, "[{}] hit", $alias);
                assert_eq!(shop.prices("eur").await, "eur prices of 5");
                let key = Shop::goods_cache().cache_key(&shop);
                assert_eq!(key, format!("{}:shop:5:goods:v3", shop.ns), "[{}]", $alias);
                Shop::prices_cache().invalidate_cache_by_prefix(&shop).await.unwrap();
                assert_eq!(shop.goods().await, ["goods of 5"]);
                assert_eq!(runs(), start + 2, "[{}] the prefix covers the family", $alias);
            }

            /// Each twice: the second call is a hit, of its own entry.
            async fn functions_never_share_an_entry() {
                let n = fastrand::u64(..1 << 40);
                for _ in 0..2 {
                    assert_eq!(Invoice::build(n).await, format!("invoice {n}"), "[{}]", $alias);
                    assert_eq!(Receipt::build(n).await, format!("receipt {n}"), "[{}]", $alias);
                    assert!(Store::<A>::kind(n).await.contains("::A "), "[{}]", $alias);
                    assert!(Store::<B>::kind(n).await.contains("::B "), "[{}]", $alias);
                    assert_eq!(<Invoice as Count>::count(n).await, format!("{n} invoices"), "[{}]", $alias);
                    assert_eq!(<Receipt as Count>::count(n).await, format!("{n} receipts"), "[{}]", $alias);
                    assert_eq!(make::<u64>(n).await, n, "[{}]", $alias);
                    assert_eq!(make::<Tagged>(n).await, Tagged(format!("tagged {n}")), "[{}]", $alias);
                    assert_eq!(first(n).await, n + 1000, "[{}]", $alias);
                    assert_eq!(second(n).await, n + 2000, "[{}]", $alias);
                }
            }

            pub async fn exercise(instance: Arc<dyn CacheInstance>) {
                caches::insert($alias, instance);
                let ns = namespace();
                let runs = || RUNS.load(Ordering::SeqCst);
                let start = runs();
                let at = |n: usize| start + n;

                assert_eq!(load_user(&ns, "acme", 1).await, format!("{ns}/acme/1"));
                assert_eq!(load_user(&ns, "acme", 1).await, format!("{ns}/acme/1"));
                load_user(&ns, "acme", 2).await;
                assert_eq!(runs(), at(2), "[{}] hit after miss", $alias);

                load_user_cache().invalidate_cache_by_key(&ns, "acme", &1).await.unwrap();
                load_user(&ns, "acme", 1).await;
                load_user(&ns, "acme", 2).await;
                assert_eq!(runs(), at(3), "[{}] by key: only that entry", $alias);

                caches::get($alias).unwrap();
                easy_cache::using_alias($alias).invalidate_tags(format!("{ns}:user:2")).await.unwrap();
                load_user(&ns, "acme", 1).await;
                load_user(&ns, "acme", 2).await;
                assert_eq!(runs(), at(4), "[{}] by one entry's tag", $alias);

                load_user_cache().invalidate_cache_by_tags(&ns, &1).await.unwrap();
                load_user(&ns, "acme", 1).await;
                load_user(&ns, "acme", 2).await;
                assert_eq!(runs(), at(6), "[{}] by a shared tag", $alias);

                load_user(&ns, "other", 1).await;
                load_user_cache().invalidate_cache_by_prefix(&ns, "acme").await.unwrap();
                load_user(&ns, "acme", 1).await;
                load_user(&ns, "acme", 2).await;
                load_user(&ns, "other", 1).await;
                assert_eq!(runs(), at(9), "[{}] by prefix: only that prefix", $alias);

                let fresh = load_user_cache().refresh_cache(load_user(&ns, "acme", 1)).await;
                assert_eq!(fresh, format!("{ns}/acme/1"));
                load_user(&ns, "acme", 1).await;
                assert_eq!(runs(), at(10), "[{}] refresh stores", $alias);

                // Tags from the returned value.
                let books = || BOOKS_RUNS.load(Ordering::SeqCst);
                let b0 = books();
                favorites(&ns, 1).await;
                favorites(&ns, 2).await;
                favorites(&ns, 1).await;
                assert_eq!(books(), b0 + 2, "[{}] value-tagged hit", $alias);
                easy_cache::using_alias($alias).invalidate_tags(format!("{ns}:book:101")).await.unwrap();
                favorites(&ns, 1).await;
                favorites(&ns, 2).await;
                assert_eq!(books(), b0 + 3, "[{}] only the list holding book 101", $alias);

                // Errors are never cached.
                let f0 = FALLIBLE_RUNS.load(Ordering::SeqCst);
                assert!(fallible(&ns, -1).await.is_err());
                assert!(fallible(&ns, -1).await.is_err());
                assert_eq!(fallible(&ns, 3).await, Ok(3));
                assert_eq!(fallible(&ns, 3).await, Ok(3));
                assert_eq!(FALLIBLE_RUNS.load(Ordering::SeqCst), f0 + 3, "[{}] Result caches Ok only", $alias);

                functions_never_share_an_entry().await;
                shared_options_and_associated_constants().await;
            }
        }
    };
}

/// A type argument of the generic function above, of another encoding than `u64`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tagged(String);

impl From<u64> for Tagged {
    fn from(n: u64) -> Self {
        Tagged(format!("tagged {n}"))
    }
}

/// Type arguments of the generic impl in the functions above.
pub struct A;
/// Type arguments of the generic impl in the functions above.
pub struct B;

backend_e2e!(on_memory, "e2e_memory");
backend_e2e!(on_redis, "e2e_redis");
backend_e2e!(on_redis_cluster, "e2e_redis_cluster");
backend_e2e!(on_memcached, "e2e_memcached");
backend_e2e!(on_sled, "e2e_sled");
backend_e2e!(on_redb, "e2e_redb");
// The same with the near cache turned off (memory) or on (the others).
backend_e2e!(on_memory_without_near, "e2e_memory_without_near");
backend_e2e!(on_memcached_near, "e2e_memcached_near");
backend_e2e!(on_sled_near, "e2e_sled_near");
backend_e2e!(on_redb_near, "e2e_redb_near");

#[tokio::test]
async fn ecached_on_memory() {
    on_memory::exercise(caches::from_url("memory://").unwrap()).await;
}

#[tokio::test]
async fn ecached_on_redis() {
    on_redis::exercise(caches::from_url(&require_url(env::REDIS_URL)).unwrap()).await;
}

#[tokio::test]
async fn ecached_on_redis_cluster() {
    on_redis_cluster::exercise(caches::from_url(&require_url(env::REDIS_CLUSTER_URL)).unwrap())
        .await;
}

#[tokio::test]
async fn ecached_on_memcached() {
    on_memcached::exercise(caches::from_url(&require_url(env::MEMCACHED_URL)).unwrap()).await;
}

#[tokio::test]
async fn ecached_on_sled() {
    on_sled::exercise(caches::from_url("sled://?temporary=true").unwrap()).await;
}

#[tokio::test]
async fn ecached_on_redb() {
    on_redb::exercise(caches::from_url("redb://?temporary=true").unwrap()).await;
}

#[tokio::test]
async fn ecached_on_memory_without_near() {
    let instance = caches::from_url("memory://?near_capacity=0").unwrap();
    assert!(instance.near_cache().is_none());
    on_memory_without_near::exercise(instance).await;
}

#[tokio::test]
async fn ecached_on_memcached_near() {
    let url = with_options(
        &require_url(env::MEMCACHED_URL),
        "near_capacity=1000&near_ttl=60",
    );
    let instance = caches::from_url(&url).unwrap();
    assert!(instance.near_cache().is_some());
    on_memcached_near::exercise(instance).await;
}

#[tokio::test]
async fn ecached_on_sled_near() {
    let instance = caches::from_url("sled://?temporary=true&near_capacity=1000").unwrap();
    assert!(instance.near_cache().is_some());
    on_sled_near::exercise(instance).await;
}

#[tokio::test]
async fn ecached_on_redb_near() {
    let instance = caches::from_url("redb://?temporary=true&near_capacity=1000").unwrap();
    assert!(instance.near_cache().is_some());
    on_redb_near::exercise(instance).await;
}

/// Calls `call` until two calls in a row cost one run (caching works), or fails after 15 s.
async fn wait_for_caching<F, Fut>(runs: &AtomicUsize, call: &F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        call().await;
        let before = runs.load(Ordering::SeqCst);
        call().await;
        if runs.load(Ordering::SeqCst) == before {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "caching did not resume within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A private `server` under the cache `alias`: `call` (which returns 21) caches; while the
/// server is down every call still returns 21 within the timeouts; once it is back caching
/// resumes.
async fn outage<F, Fut>(server: PrivateServer, alias: &str, runs: &AtomicUsize, call: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = u64>,
{
    let server = server.start().await;
    caches::insert(
        alias,
        caches::from_url(&with_timeouts(&server.url(), 200)).unwrap(),
    );
    assert_eq!(call().await, 21);
    wait_for_caching(runs, &call).await;

    server.handle().stop().await.expect("stop the server");
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(call().await, 21, "the function's own result while down");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "bounded by the timeouts: {:?}",
            started.elapsed()
        );
    }

    server.handle().start().await.expect("start the server");
    wait_for_caching(runs, &call).await;
    assert_eq!(call().await, 21);
}

/// One outage test per backend with a server: its test, the cached function (under its
/// own alias) and that function's run counter.
macro_rules! outage_tests {
    ($($test:ident: $server:expr, $alias:literal, $function:ident, $runs:ident;)*) => {$(
        static $runs: AtomicUsize = AtomicUsize::new(0);

        #[ecached("{ns}:outage:{n}", tags = ["{ns}:outage"], cache_alias = $alias)]
        async fn $function(ns: &str, n: u64) -> u64 {
            let _ = ns;
            $runs.fetch_add(1, Ordering::SeqCst);
            n * 3
        }

        #[tokio::test]
        async fn $test() {
            let ns = namespace();
            outage($server, $alias, &$runs, || $function(&ns, 7)).await;
        }
    )*};
}

outage_tests! {
    redis_outage_calls_stay_correct_and_caching_resumes:
        PrivateServer::Redis, "outage_redis", outage_redis, OUTAGE_REDIS_RUNS;
    memcached_outage_calls_stay_correct_and_caching_resumes:
        PrivateServer::Memcached, "outage_memcached", outage_memcached, OUTAGE_MEMCACHED_RUNS;
}
