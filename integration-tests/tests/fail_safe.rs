//! Fail-safe, refresh ahead, jitter, soft and hard timeouts, end to end on the memory
//! backend and a real Redis. Entry lifetimes are moved with the cache's test clock
//! (`easy_cache::test_clock::advance`, per thread: each `#[tokio::test]` runs on its own
//! current-thread runtime), so expiry and fail-safe windows pass at once and
//! deterministically, while the backends keep the entries physically. The soft and hard
//! timeouts are real time, short, and only their outcome is checked.

mod resilience;

use easy_cache::{caches, ecached, test_clock};
use easy_cache_integration_tests::env::{self, require_url};
use resilience::{
    Behave, MINUTE, Upstream, check_jitter_spreads_expiry, check_refresh_in_the_background,
    check_soft_timeout_serves_stale, namespace, settle,
};
use std::sync::{Arc, LazyLock, Once};
use std::time::Duration;
use tokio::sync::Notify;

macro_rules! resilience_backend {
    ($module:ident, $alias:literal, $url:expr) => {
        mod $module {
            use super::*;

            static UPSTREAM: LazyLock<Upstream> = LazyLock::new(Upstream::default);

            fn register() {
                static ONCE: Once = Once::new();
                ONCE.call_once(|| caches::insert($alias, caches::from_url($url.as_ref()).unwrap()));
            }

            #[ecached("{ns}:guarded:{id}", 60, tags = ["{ns}:guarded"], prefix = "{ns}:p", fail_safe = 600, cache_alias = $alias)]
            async fn guarded(ns: &str, id: u64) -> Result<u64, String> {
                UPSTREAM.compute(ns).await
            }

            #[ecached("{ns}:early", 60, refresh_ahead = 0.5, cache_alias = $alias)]
            async fn early(ns: String) -> Result<u64, String> {
                UPSTREAM.compute(&ns).await
            }

            /// Borrows its argument: its computation cannot move to a task.
            #[ecached("{ns}:early_here", 60, refresh_ahead = 0.5, cache_alias = $alias)]
            async fn early_here(ns: &str) -> Result<u64, String> {
                UPSTREAM.compute(ns).await
            }

            #[ecached("{ns}:spread:{id}", 60, jitter = 0.5, fail_safe = 600, cache_alias = $alias)]
            async fn spread(ns: &str, id: u64) -> Result<u64, String> {
                UPSTREAM.compute(ns).await
            }

            #[ecached("{ns}:patient", 60, fail_safe = 600, soft_timeout = Duration::from_millis(200), cache_alias = $alias)]
            async fn patient(ns: String) -> Result<u64, String> {
                UPSTREAM.compute(&ns).await
            }

            #[ecached("{ns}:bounded", 60, fail_safe = 600, hard_timeout = Duration::from_millis(200), cache_alias = $alias)]
            async fn bounded(ns: String) -> Result<u64, easy_cache::Error> {
                UPSTREAM
                    .compute(&ns)
                    .await
                    .map_err(|e| easy_cache::Error::new(easy_cache::ErrorKind::Backend, e))
            }

            #[tokio::test]
            async fn fail_safe_serves_the_last_good_value_after_an_err_then_throttles() {
                register();
                let ns = namespace("fs_err");
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Fail);
                assert_eq!(guarded(&ns, 1).await, Ok(1), "stale value served");
                assert_eq!(UPSTREAM.runs(&ns), 2);
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                assert_eq!(UPSTREAM.runs(&ns), 2, "throttled: the failing upstream is not asked");
                test_clock::advance(Duration::from_secs(31));
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                assert_eq!(UPSTREAM.runs(&ns), 3, "asked again after the throttle");
                UPSTREAM.set(&ns, Behave::Value(2));
                test_clock::advance(Duration::from_secs(31));
                assert_eq!(guarded(&ns, 1).await, Ok(2), "a success replaces the stale value");
                assert_eq!(guarded(&ns, 1).await, Ok(2));
                assert_eq!(UPSTREAM.runs(&ns), 4);
            }

            #[tokio::test]
            async fn fail_safe_serves_the_last_good_value_after_a_panic() {
                register();
                let ns = namespace("fs_panic");
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Panic);
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                assert_eq!(UPSTREAM.runs(&ns), 2);
            }

            #[tokio::test]
            async fn fail_safe_ends_after_its_max_stale() {
                register();
                let ns = namespace("fs_end");
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                UPSTREAM.set(&ns, Behave::Fail);
                test_clock::advance(MINUTE + Duration::from_secs(601));
                assert_eq!(guarded(&ns, 1).await, Err("upstream down".to_owned()));
            }

            #[tokio::test]
            async fn fail_safe_never_serves_a_value_invalidated_by_key() {
                register();
                let ns = namespace("fs_key");
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                assert!(guarded_cache().invalidate_cache_by_key(&ns, &1).await.unwrap());
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Fail);
                assert_eq!(guarded(&ns, 1).await, Err("upstream down".to_owned()));
            }

            #[tokio::test]
            async fn fail_safe_never_serves_a_value_invalidated_by_tag() {
                register();
                let ns = namespace("fs_tag");
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                guarded_cache().invalidate_cache_by_tags(&ns).await.unwrap();
                UPSTREAM.set(&ns, Behave::Fail);
                assert_eq!(
                    guarded(&ns, 1).await,
                    Err("upstream down".to_owned()),
                    "fresh but invalidated"
                );
                test_clock::advance(MINUTE + Duration::from_secs(1));
                assert_eq!(guarded(&ns, 1).await, Err("upstream down".to_owned()));
            }

            #[tokio::test]
            async fn fail_safe_never_serves_a_value_invalidated_by_prefix() {
                register();
                let ns = namespace("fs_prefix");
                assert_eq!(guarded(&ns, 1).await, Ok(1));
                guarded_cache().invalidate_cache_by_prefix(&ns).await.unwrap();
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Fail);
                assert_eq!(guarded(&ns, 1).await, Err("upstream down".to_owned()));
            }

            #[tokio::test]
            async fn refresh_ahead_returns_the_cached_value_and_refreshes_once_in_the_background() {
                register();
                let ns = namespace("ra_bg");
                check_refresh_in_the_background(&UPSTREAM, &ns, || early(ns.clone())).await;
            }

            #[tokio::test]
            async fn refresh_ahead_of_a_borrowing_function_refreshes_in_the_call() {
                register();
                let ns = namespace("ra_here");
                assert_eq!(early_here(&ns).await, Ok(1));
                UPSTREAM.set(&ns, Behave::Value(2));
                test_clock::advance(Duration::from_secs(29));
                assert_eq!(early_here(&ns).await, Ok(1), "before the refresh point");
                test_clock::advance(Duration::from_secs(2));
                assert_eq!(early_here(&ns).await, Ok(2), "the call that found it due refreshed it");
                assert_eq!(early_here(&ns).await, Ok(2));
                assert_eq!(UPSTREAM.runs(&ns), 2);
            }

            /// Stores 1, then makes the next computation wait for the returned notification,
            /// and starts a refresh ahead of expiry with a hit that gets 1.
            async fn refresh_under_way(ns: &str) -> Arc<Notify> {
                assert_eq!(early(ns.to_owned()).await, Ok(1));
                let release = Arc::new(Notify::new());
                UPSTREAM.set(ns, Behave::Block(Arc::clone(&release), 2));
                test_clock::advance(Duration::from_secs(31));
                assert_eq!(early(ns.to_owned()).await, Ok(1), "the cached value, at once");
                tokio::task::yield_now().await;
                release
            }

            #[tokio::test]
            async fn refresh_ahead_an_invalidation_during_the_refresh_discards_its_result() {
                register();
                let ns = namespace("ra_inv");
                let release = refresh_under_way(&ns).await;
                assert!(early_cache().invalidate_cache_by_key(&ns).await.unwrap());
                release.notify_one();
                // Let the refresh finish (it must not store), then read: a miss computes 3.
                settle().await;
                UPSTREAM.set(&ns, Behave::Value(3));
                assert_eq!(early(ns.clone()).await, Ok(3), "the refresh's 2 was not stored");
            }

            #[tokio::test]
            async fn refresh_ahead_a_write_during_the_refresh_discards_its_result() {
                register();
                let ns = namespace("ra_write");
                let release = refresh_under_way(&ns).await;
                // A forced refresh writes 3 while the refresh ahead still computes 2.
                UPSTREAM.set(&ns, Behave::Value(3));
                assert_eq!(early_cache().refresh_cache(early(ns.clone())).await, Ok(3));
                release.notify_one();
                settle().await;
                assert_eq!(early(ns.clone()).await, Ok(3), "the older refresh did not overwrite");
            }

            #[tokio::test]
            async fn jitter_spreads_the_expiry_of_entries_written_together() {
                register();
                let ns = namespace("jitter");
                check_jitter_spreads_expiry(&UPSTREAM, &ns, |id| spread(&ns, id)).await;
                test_clock::advance(Duration::from_secs(16));
                for id in 0..200 {
                    assert_eq!(spread(&ns, id).await, Ok(1));
                }
                assert_eq!(UPSTREAM.runs(&ns) - 200, 200, "all expired past 90 s");
            }

            #[tokio::test]
            async fn soft_timeout_serves_the_stale_value_and_the_computation_updates_the_cache() {
                register();
                let ns = namespace("soft");
                check_soft_timeout_serves_stale(&UPSTREAM, &ns, || patient(ns.clone())).await;
            }

            #[tokio::test]
            async fn soft_timeout_a_caller_waiting_for_the_slow_computation_gets_the_stale_value_too() {
                register();
                let ns = namespace("soft_wait");
                assert_eq!(patient(ns.clone()).await, Ok(1));
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Block(Arc::new(Notify::new()), 2));
                // The second call joins the first one's computation (single flight): it
                // waits no longer than the soft timeout, not the 30 s single-flight bound.
                let both = tokio::time::timeout(Duration::from_secs(10), async {
                    tokio::join!(patient(ns.clone()), patient(ns.clone()))
                });
                assert_eq!(both.await.expect("within the soft timeout"), (Ok(1), Ok(1)));
                assert_eq!(UPSTREAM.runs(&ns), 2, "one computation");
            }

            #[tokio::test]
            async fn hard_timeout_gives_the_timeout_error_without_a_stale_value() {
                register();
                let ns = namespace("hard");
                UPSTREAM.set(&ns, Behave::Block(Arc::new(Notify::new()), 2));
                let err = bounded(ns.clone()).await.unwrap_err();
                assert_eq!(err.kind(), easy_cache::ErrorKind::Timeout);
            }

            #[tokio::test]
            async fn hard_timeout_serves_the_stale_value_with_fail_safe() {
                register();
                let ns = namespace("hard_stale");
                assert_eq!(bounded(ns.clone()).await.unwrap(), 1);
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Block(Arc::new(Notify::new()), 2));
                assert_eq!(bounded(ns.clone()).await.unwrap(), 1);
            }
        }
    };
}

resilience_backend!(memory, "resilience_memory", "memory://");
resilience_backend!(redis, "resilience_redis", require_url(env::REDIS_URL));

/// A `#[derive(ECached)]` property takes the same options.
mod property {
    use super::*;
    use easy_cache::ECached;

    static UPSTREAM: LazyLock<Upstream> = LazyLock::new(Upstream::default);

    #[derive(ECached)]
    #[ecached(property = price, returns = Result<u64, String>, key = "{self.ns}:price:{self.id}", timeout = 60, fail_safe = 600, cache_alias = "resilience_property")]
    struct Item {
        ns: String,
        id: u64,
    }

    impl Item {
        async fn compute_price(&self) -> Result<u64, String> {
            UPSTREAM.compute(&self.ns).await
        }
    }

    #[tokio::test]
    async fn fail_safe_of_a_derived_property_serves_the_last_good_value() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            caches::insert(
                "resilience_property",
                caches::from_url("memory://").unwrap(),
            )
        });
        let item = Item {
            ns: namespace("fs_property"),
            id: 1,
        };
        assert_eq!(item.price().await, Ok(1));
        test_clock::advance(MINUTE + Duration::from_secs(1));
        UPSTREAM.set(&item.ns, Behave::Fail);
        assert_eq!(item.price().await, Ok(1), "stale value served");
        assert_eq!(UPSTREAM.runs(&item.ns), 2);
        test_clock::advance(Duration::from_secs(601));
        assert_eq!(item.price().await, Err("upstream down".to_owned()));
    }
}
