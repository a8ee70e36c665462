//! Fail-safe, refresh ahead, jitter and the timeouts as defaults of a cache instance: set
//! once in the backend URL (or configuration table), taken by every function caching there
//! that does not say otherwise; a function's own option wins, `option = false` turns the
//! instance's off. On the memory backend and a real Redis, with the cache's test clock (see
//! `fail_safe.rs`).

mod resilience;

use easy_cache::{CachesConfig, caches, ecached, test_clock};
use easy_cache_integration_tests::env::{self, require_url};
use resilience::{
    Behave, MINUTE, Upstream, check_jitter_spreads_expiry, check_refresh_in_the_background,
    check_soft_timeout_serves_stale, namespace, with_options,
};
use std::sync::{Arc, LazyLock, Once};
use std::time::Duration;
use tokio::sync::Notify;

/// The options of the instance most functions here cache in.
const GUARDED: &str = "fail_safe=600&fail_safe_throttle=30&soft_timeout=0.2&hard_timeout=0.2";

macro_rules! instance_defaults {
    ($module:ident, $guarded:literal, $early:literal, $spread:literal, $url:expr) => {
        mod $module {
            use super::*;

            static UPSTREAM: LazyLock<Upstream> = LazyLock::new(Upstream::default);

            fn register() {
                static ONCE: Once = Once::new();
                ONCE.call_once(|| {
                    let url: String = $url.to_string();
                    for (alias, options) in [
                        ($guarded, GUARDED),
                        ($early, "refresh_ahead=0.5"),
                        // Fail-safe makes entries carry their times, which the test clock moves.
                        ($spread, "jitter=0.5&fail_safe=600"),
                    ] {
                        let instance = caches::from_url(&with_options(&url, options)).unwrap();
                        caches::insert(alias, instance);
                    }
                });
            }

            #[ecached("{ns}:plain:{id}", 60, tags = ["{ns}:plain"], prefix = "{ns}:p", cache_alias = $guarded)]
            async fn plain(ns: &str, id: u64) -> Result<u64, String> {
                UPSTREAM.compute(ns).await
            }

            /// `refresh_ahead = 1.0` (never due) makes its entries carry their times, which
            /// the test clock moves.
            #[ecached("{ns}:opted_out", 60, fail_safe = false, refresh_ahead = 1.0, cache_alias = $guarded)]
            async fn opted_out(ns: &str) -> Result<u64, String> {
                UPSTREAM.compute(ns).await
            }

            #[ecached("{ns}:own", 60, fail_safe = 5, cache_alias = $guarded)]
            async fn own(ns: &str) -> Result<u64, String> {
                UPSTREAM.compute(ns).await
            }

            #[ecached("{ns}:patient", 60, cache_alias = $guarded)]
            async fn patient(ns: String) -> Result<u64, String> {
                UPSTREAM.compute(&ns).await
            }

            #[ecached("{ns}:bounded", 60, cache_alias = $guarded)]
            async fn bounded(ns: String) -> Result<u64, easy_cache::Error> {
                UPSTREAM
                    .compute(&ns)
                    .await
                    .map_err(|e| easy_cache::Error::new(easy_cache::ErrorKind::Backend, e))
            }

            #[ecached("{ns}:unbounded", 60, hard_timeout = false, cache_alias = $guarded)]
            async fn unbounded(ns: String) -> Result<u64, easy_cache::Error> {
                UPSTREAM
                    .compute(&ns)
                    .await
                    .map_err(|e| easy_cache::Error::new(easy_cache::ErrorKind::Backend, e))
            }

            #[ecached("{ns}:early", 60, cache_alias = $early)]
            async fn early(ns: String) -> Result<u64, String> {
                UPSTREAM.compute(&ns).await
            }

            #[ecached("{ns}:not_early", 60, refresh_ahead = false, cache_alias = $early)]
            async fn not_early(ns: String) -> Result<u64, String> {
                UPSTREAM.compute(&ns).await
            }

            #[ecached("{ns}:spread:{id}", 60, cache_alias = $spread)]
            async fn spread(ns: &str, id: u64) -> Result<u64, String> {
                UPSTREAM.compute(ns).await
            }

            #[tokio::test]
            async fn fail_safe_instance_default_serves_the_last_good_value_and_throttles() {
                register();
                let ns = namespace("dfs");
                assert_eq!(plain(&ns, 1).await, Ok(1));
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Fail);
                assert_eq!(plain(&ns, 1).await, Ok(1), "stale value served");
                assert_eq!(plain(&ns, 1).await, Ok(1));
                assert_eq!(UPSTREAM.runs(&ns), 2, "throttled by the instance's 30 s");
                test_clock::advance(Duration::from_secs(601));
                assert_eq!(plain(&ns, 1).await, Err("upstream down".to_owned()));
            }

            #[tokio::test]
            async fn fail_safe_instance_default_never_serves_a_value_invalidated_by_key_tag_or_prefix() {
                register();
                for (id, how) in [(1, "key"), (2, "tag"), (3, "prefix")] {
                    let ns = namespace("dfsinv");
                    assert_eq!(plain(&ns, id).await, Ok(1));
                    let handle = plain_cache();
                    match how {
                        "key" => assert!(handle.invalidate_cache_by_key(&ns, &id).await.unwrap()),
                        "tag" => handle.invalidate_cache_by_tags(&ns).await.unwrap(),
                        _ => handle.invalidate_cache_by_prefix(&ns).await.unwrap(),
                    }
                    test_clock::advance(MINUTE + Duration::from_secs(1));
                    UPSTREAM.set(&ns, Behave::Fail);
                    assert_eq!(plain(&ns, id).await, Err("upstream down".to_owned()), "by {how}");
                }
            }

            #[tokio::test]
            async fn fail_safe_false_turns_the_instance_default_off() {
                register();
                let ns = namespace("dfsoff");
                assert_eq!(opted_out(&ns).await, Ok(1));
                test_clock::advance(MINUTE + Duration::from_secs(1));
                UPSTREAM.set(&ns, Behave::Fail);
                assert_eq!(opted_out(&ns).await, Err("upstream down".to_owned()));
            }

            #[tokio::test]
            async fn fail_safe_of_the_function_wins_over_the_instance_default() {
                register();
                let ns = namespace("dfsown");
                assert_eq!(own(&ns).await, Ok(1));
                UPSTREAM.set(&ns, Behave::Fail);
                test_clock::advance(MINUTE + Duration::from_secs(4));
                assert_eq!(own(&ns).await, Ok(1), "inside the function's 5 s");
                test_clock::advance(Duration::from_secs(31));
                assert_eq!(
                    own(&ns).await,
                    Err("upstream down".to_owned()),
                    "past the function's 5 s, inside the instance's 600 s"
                );
            }

            #[tokio::test]
            async fn soft_timeout_instance_default_serves_the_stale_value_and_updates_the_cache() {
                register();
                let ns = namespace("dsoft");
                check_soft_timeout_serves_stale(&UPSTREAM, &ns, || patient(ns.clone())).await;
            }

            #[tokio::test]
            async fn hard_timeout_instance_default_gives_the_timeout_error() {
                register();
                let ns = namespace("dhard");
                UPSTREAM.set(&ns, Behave::Block(Arc::new(Notify::new()), 2));
                let err = bounded(ns.clone()).await.unwrap_err();
                assert_eq!(err.kind(), easy_cache::ErrorKind::Timeout);
            }

            #[tokio::test]
            async fn hard_timeout_false_turns_the_instance_default_off() {
                register();
                let ns = namespace("dhardoff");
                let release = Arc::new(Notify::new());
                UPSTREAM.set(&ns, Behave::Block(Arc::clone(&release), 2));
                let call = tokio::spawn(unbounded(ns.clone()));
                // Far past the instance's 0.2 s: still computing, not abandoned.
                tokio::time::sleep(Duration::from_secs(1)).await;
                assert!(!call.is_finished(), "abandoned by the instance's hard timeout");
                release.notify_one();
                assert_eq!(call.await.unwrap().unwrap(), 2);
            }

            #[tokio::test]
            async fn refresh_ahead_instance_default_refreshes_once_in_the_background() {
                register();
                let ns = namespace("dra");
                check_refresh_in_the_background(&UPSTREAM, &ns, || early(ns.clone())).await;
            }

            #[tokio::test]
            async fn refresh_ahead_false_turns_the_instance_default_off() {
                register();
                let ns = namespace("draoff");
                assert_eq!(not_early(ns.clone()).await, Ok(1));
                UPSTREAM.set(&ns, Behave::Value(2));
                test_clock::advance(Duration::from_secs(59));
                assert_eq!(not_early(ns.clone()).await, Ok(1));
                tokio::task::yield_now().await;
                assert_eq!(UPSTREAM.runs(&ns), 1, "no refresh");
            }

            #[tokio::test]
            async fn jitter_instance_default_spreads_the_expiry_of_entries_written_together() {
                register();
                let ns = namespace("djitter");
                check_jitter_spreads_expiry(&UPSTREAM, &ns, |id| spread(&ns, id)).await;
            }
        }
    };
}

instance_defaults!(memory, "dg_memory", "de_memory", "ds_memory", "memory://");
instance_defaults!(
    redis,
    "dg_redis",
    "de_redis",
    "ds_redis",
    require_url(env::REDIS_URL)
);

/// The same options in a configuration table (`CachesConfig`, TOML).
mod configured {
    use super::*;

    static UPSTREAM: LazyLock<Upstream> = LazyLock::new(Upstream::default);

    #[ecached("{ns}:configured", 60, cache_alias = "defaults_configured")]
    async fn configured(ns: &str) -> Result<u64, String> {
        UPSTREAM.compute(ns).await
    }

    #[tokio::test]
    async fn fail_safe_instance_default_from_a_configuration_table() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            CachesConfig::from_toml_str(
                r#"
                [defaults_configured]
                url = "memory://"
                options = { fail_safe = 600, refresh_ahead = 0.9 }
                "#,
            )
            .unwrap()
            .install()
            .unwrap();
        });
        let ns = namespace("dconf");
        assert_eq!(configured(&ns).await, Ok(1));
        test_clock::advance(MINUTE + Duration::from_secs(1));
        UPSTREAM.set(&ns, Behave::Fail);
        assert_eq!(configured(&ns).await, Ok(1), "stale value served");
    }

    #[test]
    fn a_bad_instance_default_is_a_configuration_error_naming_it() {
        let err = caches::from_url("memory://?refresh_ahead=2.5")
            .err()
            .unwrap();
        assert_eq!(err.kind(), easy_cache::ErrorKind::Config);
        assert!(err.message().contains("refresh_ahead"), "{err}");
    }
}
