//! The series of the `metrics` feature, read through `metrics-util`'s debugging recorder:
//! one test per counter and histogram (`metrics_*`). Each test has its own functions, so
//! tests running side by side never touch each other's series. Time moves with the test
//! clock (no sleeping).

mod common;

use common::DownCache;
use easy_cache::observe::series;
use easy_cache::testing::MapCache;
use easy_cache::{ecached, test_clock, using_alias};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;

/// A series: its name and labels.
type Id = (String, BTreeMap<String, String>);

/// What the recorder saw so far. A snapshot resets the recorder's counters, so every
/// snapshot is added here, under a lock, and tests read the totals.
#[derive(Default)]
struct Totals {
    counters: BTreeMap<Id, u64>,
    histograms: BTreeMap<Id, Vec<f64>>,
}

fn recorder() -> &'static (Snapshotter, Mutex<Totals>) {
    static RECORDER: OnceLock<(Snapshotter, Mutex<Totals>)> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder
            .install()
            .expect("the only recorder of this test binary");
        (snapshotter, Mutex::new(Totals::default()))
    })
}

/// The totals now (hits counted so far published first).
fn totals() -> std::sync::MutexGuard<'static, Totals> {
    let (snapshotter, totals) = recorder();
    easy_cache::observe::publish_metrics();
    let mut totals = totals.lock().unwrap();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let (_, key) = key.into_parts();
        let labels = key
            .labels()
            .map(|l| (l.key().to_owned(), l.value().to_owned()))
            .collect();
        let id = (key.name().to_owned(), labels);
        match value {
            DebugValue::Counter(n) => *totals.counters.entry(id).or_default() += n,
            DebugValue::Histogram(values) => totals
                .histograms
                .entry(id)
                .or_default()
                .extend(values.into_iter().map(|v| v.0)),
            DebugValue::Gauge(_) => {}
        }
    }
    totals
}

/// Whether `labels` are those of `function` (its path ends with it) and have `extra`.
fn matches(labels: &BTreeMap<String, String>, function: &str, extra: &[(&str, &str)]) -> bool {
    labels["function"].ends_with(&format!("::{function}"))
        && extra
            .iter()
            .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
}

/// The total of counter `name` for `function` with the `extra` labels.
fn counter(name: &str, function: &str, extra: &[(&str, &str)]) -> u64 {
    let totals = totals();
    totals
        .counters
        .iter()
        .filter(|((n, labels), _)| n == name && matches(labels, function, extra))
        .map(|(_, v)| *v)
        .sum()
}

/// The values of histogram `name` for `function` with the `extra` labels.
fn histogram(name: &str, function: &str, extra: &[(&str, &str)]) -> Vec<f64> {
    let totals = totals();
    totals
        .histograms
        .iter()
        .filter(|((n, labels), _)| n == name && matches(labels, function, extra))
        .flat_map(|(_, v)| v.iter().copied())
        .collect()
}

fn calls(function: &str, outcome: &str) -> u64 {
    counter(series::CALLS, function, &[("outcome", outcome)])
}

#[ecached("m_square:{n}")]
async fn square(n: u64) -> u64 {
    n * n
}

#[tokio::test]
async fn metrics_count_hits_and_misses_with_bounded_labels() {
    recorder();
    square(2).await;
    square(2).await;
    square(2).await;
    assert_eq!(calls("square", "miss"), 1);
    // Answered by the memory store's near cache, or by the store.
    assert_eq!(calls("square", "hit") + calls("square", "near_hit"), 2);
    let totals = totals();
    let (_, labels) = totals
        .counters
        .keys()
        .find(|(n, labels)| n == series::CALLS && matches(labels, "square", &[]))
        .expect("a calls series");
    let keys: Vec<&str> = labels.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["backend", "cache", "function", "outcome"],
        "no key, no tag"
    );
    assert_eq!(labels["cache"], "default");
    assert_eq!(labels["backend"], "memory");
}

#[ecached("m_near:{n}")]
async fn near(n: u64) -> u64 {
    n
}

#[tokio::test]
async fn metrics_count_near_cache_hits() {
    recorder();
    near(1).await;
    near(1).await; // the memory store's near cache answers
    assert_eq!(calls("near", "near_hit"), 1);
    assert_eq!(calls("near", "hit"), 0, "one counter per hit");
    near(1).await;
    near(1).await;
    assert_eq!(
        calls("near", "near_hit"),
        3,
        "published again: only the new hits"
    );
}

#[ecached("m_first_hit:{n}")]
async fn computes_first(n: u64) -> u64 {
    n
}

/// Same key template: reads what `computes_first` stored.
#[ecached("m_first_hit:{n}")]
async fn only_hits(n: u64) -> u64 {
    unreachable!("{n} is cached by computes_first")
}

#[tokio::test]
async fn metrics_count_the_hits_of_a_function_whose_first_call_hits() {
    recorder();
    computes_first(5).await;
    only_hits(5).await;
    only_hits(5).await;
    assert_eq!(
        calls("only_hits", "hit") + calls("only_hits", "near_hit"),
        2,
        "registered on its first call, a hit"
    );
    assert_eq!(
        calls("only_hits", "miss"),
        0,
        "registered with the function"
    );
}

#[ecached("m_flaky:{n}", 60, fail_safe = 600)]
async fn flaky(n: u64, fail: bool) -> Result<u64, String> {
    if fail {
        Err("upstream down".into())
    } else {
        Ok(n)
    }
}

#[tokio::test]
async fn metrics_count_stale_values_served_and_errors() {
    recorder();
    assert_eq!(flaky(1, false).await, Ok(1));
    test_clock::advance(Duration::from_secs(61));
    assert_eq!(flaky(1, true).await, Ok(1));
    assert!(flaky(2, true).await.is_err());
    assert_eq!(calls("flaky", "miss"), 1);
    assert_eq!(calls("flaky", "stale"), 1);
    assert_eq!(calls("flaky", "error"), 1);
    assert_eq!(counter(series::COMPUTATIONS, "flaky", &[]), 3);
}

#[ecached("m_down:{n}", cache_instance = DownCache)]
async fn on_a_down_backend(n: u64) -> u64 {
    n
}

#[tokio::test]
async fn metrics_count_bypasses_when_the_backend_fails() {
    recorder();
    on_a_down_backend(1).await;
    on_a_down_backend(2).await;
    assert_eq!(calls("on_a_down_backend", "bypass"), 2);
    assert_eq!(calls("on_a_down_backend", "miss"), 0);
}

/// Takes `n` × 30 ms of the test clock.
#[ecached("m_slow:{n}")]
async fn slow(n: u64) -> u64 {
    test_clock::advance(Duration::from_millis(30 * n));
    n
}

#[tokio::test]
async fn metrics_record_computations_and_their_seconds() {
    recorder();
    slow(1).await;
    slow(2).await;
    slow(2).await;
    assert_eq!(counter(series::COMPUTATIONS, "slow", &[]), 2);
    let mut seconds = histogram(series::COMPUTATION_SECONDS, "slow", &[]);
    seconds.sort_by(f64::total_cmp);
    assert_eq!(seconds.len(), 2, "{seconds:?}");
    assert!((0.03..0.5).contains(&seconds[0]), "{seconds:?}");
    assert!((0.06..0.6).contains(&seconds[1]), "{seconds:?}");
}

#[ecached("m_map:{n}", cache_instance = MapCache::default())]
async fn on_a_map(n: u64) -> u64 {
    n
}

#[tokio::test]
async fn metrics_record_backend_operation_seconds() {
    recorder();
    on_a_map(1).await; // a read (miss), a write
    on_a_map(1).await; // a read (hit)
    let reads = histogram(series::BACKEND_SECONDS, "on_a_map", &[("op", "read")]);
    let writes = histogram(series::BACKEND_SECONDS, "on_a_map", &[("op", "write")]);
    assert_eq!((reads.len(), writes.len()), (2, 1), "{reads:?} {writes:?}");
    assert_eq!(
        calls("on_a_map", "hit"),
        1,
        "a hit of the store (no near cache)"
    );
    assert!(reads.iter().chain(&writes).all(|s| (0.0..1.0).contains(s)));
    let totals = totals();
    let (_, labels) = totals
        .histograms
        .keys()
        .find(|(n, labels)| n == series::BACKEND_SECONDS && matches(labels, "on_a_map", &[]))
        .unwrap();
    assert_eq!(
        (labels["cache"].as_str(), labels["backend"].as_str()),
        ("instance", "map")
    );
}

#[ecached("m_shared:{n}")]
async fn shared(n: u64, release: Arc<Notify>) -> u64 {
    release.notified().await;
    n
}

#[tokio::test]
async fn metrics_count_single_flight_waits() {
    recorder();
    let release = Arc::new(Notify::new());
    let leader = tokio::spawn(shared(7, release.clone()));
    tokio::task::yield_now().await;
    let waiter = tokio::spawn(shared(7, release.clone()));
    tokio::task::yield_now().await;
    release.notify_one();
    leader.await.unwrap();
    waiter.await.unwrap();
    assert_eq!(counter(series::SINGLE_FLIGHT_WAITS, "shared", &[]), 1);
    assert_eq!(counter(series::COMPUTATIONS, "shared", &[]), 1);
}

#[ecached("m_tagged:{n}", tags = ["m_tagged"], prefix = "m_tagged")]
async fn tagged(n: u64) -> u64 {
    n
}

#[tokio::test]
async fn metrics_count_invalidations_by_kind() {
    recorder();
    tagged(1).await;
    let handle = tagged_cache();
    handle.invalidate_cache_by_key(&1).await.unwrap();
    handle.invalidate_tags("m_tagged").await.unwrap();
    handle.invalidate_prefix("m_tagged").await.unwrap();
    handle.invalidate_prefix("m_tagged").await.unwrap();
    let kind = |kind| counter(series::INVALIDATIONS, "tagged", &[("kind", kind)]);
    assert_eq!((kind("key"), kind("tags"), kind("prefix")), (1, 1, 2));
    // Through an alias: no function label.
    using_alias("default")
        .invalidate_tags("m_tagged")
        .await
        .unwrap();
    let totals = totals();
    let by_alias = totals
        .counters
        .iter()
        .find(|((n, labels), _)| {
            n == series::INVALIDATIONS && labels["function"].is_empty() && labels["kind"] == "tags"
        })
        .map(|(_, n)| *n);
    assert!(by_alias >= Some(1), "{by_alias:?}");
}
