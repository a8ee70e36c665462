//! The soak machinery of `cargo xtask soak` for a few seconds on the shared servers (no
//! restart: other tests use them), so `cargo xtask test` keeps it from rotting: every kind
//! of call happens, nothing fails, and no value is wrong.

use easy_cache_integration_tests::env::{self, require_url};
use easy_cache_integration_tests::soak::db::{self, Invalidation};
use easy_cache_integration_tests::soak::{self, Backend, Config, Target};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_soak_on_the_shared_servers_has_no_wrong_value() {
    let target = |backend, var| Target {
        backend,
        url: soak::with_timeouts(&require_url(var), 1000),
        description: format!("the shared server of {var}"),
        restart: None,
    };
    let targets = [
        target(Backend::Redis, env::REDIS_URL),
        target(Backend::Memcached, env::MEMCACHED_URL),
    ];
    let mut config = Config::new(Duration::from_secs(5));
    config.interval = Duration::from_millis(2500);
    config.readers = 2;
    let summary = soak::run(&config, &targets).await.expect("the soak starts");
    println!("{}", summary.text());
    assert_eq!(summary.wrong(), 0, "wrong values:\n{}", summary.text());
    assert!(summary.passed(), "{:?}", summary.failures());
    assert_eq!(summary.totals.len(), 2);
    for total in &summary.totals {
        let backend = total.backend;
        assert!(total.calls > 100, "{backend}: only {} calls", total.calls);
        assert!(
            total.hits() > 0 && total.misses() > 0,
            "{backend}: {total:?}"
        );
        let kinds = total.invalidations;
        assert!(
            kinds.iter().all(|&n| n > 0),
            "{backend}: invalidations {kinds:?}"
        );
        assert_eq!(
            total.invalidation_errors, 0,
            "{backend}: failed invalidations"
        );
        assert!(total.refreshes > 0, "{backend}: no refresh");
        assert_eq!(
            total.errors, 0,
            "{backend}: backend errors on a healthy server"
        );
        assert_eq!(total.stalls, 0, "{backend}: stalled calls");
        assert!(total.p99() >= total.p50() && total.max_micros >= total.p99());
    }
    let markdown = summary.markdown();
    assert!(markdown.contains("| redis |") && markdown.contains("| memcached |"));
    assert_eq!(summary.memory.len(), 2, "an RSS sample per interval");

    // The check can fail: a write whose invalidation is skipped leaves a stale hit, and the
    // check flags it (the run is over, so moving a floor by hand disturbs nothing).
    for backend in Backend::ALL {
        let ns = format!("soak-control-{}", fastrand::u64(..));
        let id = db::hot_id(0);
        let cached = backend.call(&ns, id).await;
        assert_eq!(backend.call(&ns, id).await, cached, "{backend}: a hit");
        let written = backend.db().bump(id);
        backend.db().settle(id, written, Invalidation::Key);
        let stale = backend.call(&ns, id).await;
        assert!(
            db::check(id, backend.db().floor(id), stale).is_err(),
            "{backend}: a stale hit went unnoticed: {stale:?} at floor {written}"
        );
    }
}
