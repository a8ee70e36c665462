//! Return policies, timeouts, single flight, races with invalidation, round trips,
//! aliases resolved at call time, fail-open, corrupt bytes.

mod common;

use common::{CountingCache, DownCache, RoundTrips};
use easy_cache::{Bytes, CacheInstance, Timeout, caches, ecached, invalidate_cache_tags};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

static FALLIBLE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("fallible:{n}")]
async fn fallible(n: i32) -> Result<i32, String> {
    FALLIBLE_RUNS.fetch_add(1, Ordering::SeqCst);
    if n < 0 {
        Err(format!("negative: {n}"))
    } else {
        Ok(n)
    }
}

#[tokio::test]
async fn results_cache_only_ok() {
    assert_eq!(fallible(-1).await, Err("negative: -1".into()));
    assert_eq!(fallible(-1).await, Err("negative: -1".into()));
    assert_eq!(FALLIBLE_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(fallible(5).await, Ok(5));
    assert_eq!(fallible(5).await, Ok(5));
    assert_eq!(FALLIBLE_RUNS.load(Ordering::SeqCst), 3);
}

static OPTION_RUNS: AtomicUsize = AtomicUsize::new(0);
static SOME_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("maybe:{n}")]
async fn maybe(n: u8) -> Option<u8> {
    OPTION_RUNS.fetch_add(1, Ordering::SeqCst);
    (n > 0).then_some(n)
}

#[ecached("maybe_some:{n}", cache_none = false)]
async fn maybe_some(n: u8) -> Option<u8> {
    SOME_RUNS.fetch_add(1, Ordering::SeqCst);
    (n > 0).then_some(n)
}

#[tokio::test]
async fn none_is_cached_unless_told_otherwise() {
    assert_eq!(maybe(0).await, None);
    assert_eq!(maybe(0).await, None);
    assert_eq!(OPTION_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(maybe_some(0).await, None);
    assert_eq!(maybe_some(0).await, None);
    assert_eq!(SOME_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(maybe_some(3).await, Some(3));
    assert_eq!(maybe_some(3).await, Some(3));
    assert_eq!(SOME_RUNS.load(Ordering::SeqCst), 3);
}

static GROUP_RUNS: AtomicUsize = AtomicUsize::new(0);

fn dynamic_timeout(group: &str) -> Duration {
    if group == "admins" {
        Duration::from_millis(50)
    } else {
        Duration::from_secs(100)
    }
}

#[ecached("key:{group}", timeout = dynamic_timeout)]
async fn users_by_group(group: &str) -> String {
    GROUP_RUNS.fetch_add(1, Ordering::SeqCst);
    group.to_uppercase()
}

#[tokio::test]
async fn dynamic_timeout_depends_on_parameters() {
    users_by_group("admins").await;
    users_by_group("users").await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    users_by_group("admins").await;
    users_by_group("users").await;
    assert_eq!(
        GROUP_RUNS.load(Ordering::SeqCst),
        3,
        "only the admins entry expired"
    );
}

static SLOW_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("slow:{n}")]
async fn slow(n: u64) -> u64 {
    SLOW_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    n * 2
}

static SLOW_NO_FLIGHT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("slow_nf:{n}", single_flight = false)]
async fn slow_without_single_flight(n: u64) -> u64 {
    SLOW_NO_FLIGHT_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(50)).await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_compute_once() {
    let started = std::time::Instant::now();
    let calls: Vec<_> = (0..1000).map(|_| tokio::spawn(slow(21))).collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 42);
    }
    assert_eq!(SLOW_RUNS.load(Ordering::SeqCst), 1);
    assert!(started.elapsed() < Duration::from_secs(5));

    let calls: Vec<_> = (0..4)
        .map(|_| tokio::spawn(slow_without_single_flight(1)))
        .collect();
    for call in calls {
        call.await.unwrap();
    }
    assert!(
        SLOW_NO_FLIGHT_RUNS.load(Ordering::SeqCst) > 1,
        "opted out of single flight"
    );
}

static CANCEL_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("cancellable:{n}")]
async fn cancellable(n: u64) -> u64 {
    CANCEL_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    n
}

#[tokio::test]
async fn a_cancelled_leader_does_not_strand_waiters() {
    let leader = tokio::spawn(cancellable(5));
    tokio::time::sleep(Duration::from_millis(20)).await;
    let waiter = tokio::spawn(cancellable(5));
    tokio::time::sleep(Duration::from_millis(20)).await;
    leader.abort();
    assert_eq!(waiter.await.unwrap(), 5);
    assert_eq!(CANCEL_RUNS.load(Ordering::SeqCst), 2);
}

static VERSION: AtomicUsize = AtomicUsize::new(0);

#[ecached("versioned", tags = ["versioned"])]
async fn versioned() -> usize {
    let seen = VERSION.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    seen
}

#[tokio::test]
async fn an_invalidation_during_the_computation_is_not_lost() {
    let running = tokio::spawn(versioned());
    tokio::time::sleep(Duration::from_millis(30)).await;
    VERSION.store(1, Ordering::SeqCst);
    invalidate_cache_tags("versioned").await.unwrap();
    assert_eq!(
        running.await.unwrap(),
        0,
        "the running call returns what it computed"
    );
    assert_eq!(
        versioned().await,
        1,
        "but its value was stored under the old version"
    );
}

static RACE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("race:{n}")]
async fn race(n: u64) -> usize {
    tokio::time::sleep(Duration::from_millis(80)).await;
    RACE_RUNS.fetch_add(1, Ordering::SeqCst)
}

#[tokio::test]
async fn a_key_invalidated_during_its_computation_is_not_stored() {
    let running = tokio::spawn(race(1));
    tokio::time::sleep(Duration::from_millis(20)).await;
    race_cache().invalidate_cache_by_key(&1).await.unwrap();
    let joined_after = race(1).await;
    assert_eq!(running.await.unwrap(), 0);
    assert_eq!(
        joined_after, 1,
        "a caller after the invalidation does not join the old flight"
    );
    assert_eq!(race(1).await, 1, "the fresh value is cached");
}

static REFRESH_RACE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("slow_race:{n}")]
async fn slow_race(n: u64) -> usize {
    tokio::time::sleep(Duration::from_millis(80)).await;
    REFRESH_RACE_RUNS.fetch_add(1, Ordering::SeqCst)
}

static UNSHARED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("unshared_race:{n}", single_flight = false)]
async fn unshared_race(n: u64) -> usize {
    tokio::time::sleep(Duration::from_millis(80)).await;
    UNSHARED_RUNS.fetch_add(1, Ordering::SeqCst)
}

#[tokio::test]
async fn a_refresh_running_during_a_key_invalidation_stores_nothing() {
    assert_eq!(slow_race(1).await, 0);
    let refresh = tokio::spawn(async { slow_race_cache().refresh_cache(slow_race(1)).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    slow_race_cache().invalidate_cache_by_key(&1).await.unwrap();
    assert_eq!(
        refresh.await.unwrap(),
        1,
        "the refresh still returns its own result"
    );
    assert_eq!(
        slow_race(1).await,
        2,
        "its value, computed before, was not stored"
    );
    assert_eq!(slow_race(1).await, 2);
}

#[tokio::test]
async fn a_call_without_single_flight_during_a_key_invalidation_stores_nothing() {
    let running = tokio::spawn(unshared_race(1));
    tokio::time::sleep(Duration::from_millis(20)).await;
    unshared_race_cache()
        .invalidate_cache_by_key(&1)
        .await
        .unwrap();
    assert_eq!(running.await.unwrap(), 0);
    assert_eq!(unshared_race(1).await, 1, "the older value was not stored");
    assert_eq!(unshared_race(1).await, 1);
}

static COUNTING: LazyLock<Arc<CountingCache>> =
    LazyLock::new(|| Arc::new(common::counting_memory()));

#[ecached("counted:{id}", tags = ["all", "id:{id}"], prefix = "p:{id}", cache_instance = COUNTING.clone())]
async fn counted(id: u64) -> u64 {
    id
}

#[tokio::test]
async fn a_tagged_hit_is_one_read_and_a_miss_one_read_plus_one_write() {
    let counts = || (COUNTING.reads(), COUNTING.writes());
    counted(1).await;
    assert_eq!(
        counts(),
        (1, 4),
        "first miss: read, one add per version key (before the computation), write batch"
    );
    counted(2).await;
    assert_eq!(
        counts(),
        (2, 7),
        "a miss whose shared tag exists: read, two adds (id:2 and p:2 are new), write batch"
    );
    counted_cache().invalidate_cache_by_key(&2).await.unwrap();
    let before = counts();
    counted(2).await;
    assert_eq!(
        counts(),
        (before.0 + 1, before.1 + 1),
        "a miss with every version present: one read + one write batch"
    );
    counted(2).await;
    assert_eq!(counts(), (before.0 + 2, before.1 + 1), "hit: one get_many");
    counted_cache().invalidate_tags(["all"]).await.unwrap();
    assert_eq!(
        COUNTING.writes(),
        before.1 + 2,
        "tag invalidation: one write"
    );
}

static ALIAS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("aliased:{n}", cache_alias = "late_alias")]
async fn aliased(n: u8) -> u8 {
    ALIAS_RUNS.fetch_add(1, Ordering::SeqCst);
    n
}

#[tokio::test]
async fn aliases_resolve_at_call_time_and_unknown_ones_run_uncached() {
    aliased(1).await;
    aliased(1).await;
    assert_eq!(
        ALIAS_RUNS.load(Ordering::SeqCst),
        2,
        "no such alias yet: uncached"
    );
    let first: Arc<dyn CacheInstance> = Arc::new(easy_cache::MemoryCache::default());
    caches::insert("late_alias", first.clone());
    aliased(1).await;
    aliased(1).await;
    assert_eq!(ALIAS_RUNS.load(Ordering::SeqCst), 3);
    assert!(first.get("aliased:1").await.unwrap().is_some());
    caches::insert("late_alias", Arc::new(easy_cache::MemoryCache::default()));
    aliased(1).await;
    assert_eq!(
        ALIAS_RUNS.load(Ordering::SeqCst),
        4,
        "the replaced alias is used at once"
    );
    aliased(1).await;
    assert_eq!(ALIAS_RUNS.load(Ordering::SeqCst), 4, "and hits there");
    let third: Arc<dyn CacheInstance> = Arc::new(easy_cache::MemoryCache::default());
    caches::insert("late_alias", third.clone());
    aliased(1).await;
    aliased(1).await;
    assert_eq!(
        ALIAS_RUNS.load(Ordering::SeqCst),
        5,
        "replaced again: one run"
    );
    assert!(third.get("aliased:1").await.unwrap().is_some());
}

static DOWN_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("down:{n}", tags = ["t"], cache_instance = DownCache)]
async fn on_a_down_backend(n: u8) -> u8 {
    DOWN_RUNS.fetch_add(1, Ordering::SeqCst);
    n + 1
}

#[tokio::test]
async fn a_failing_backend_never_fails_the_call() {
    for _ in 0..3 {
        assert_eq!(on_a_down_backend(1).await, 2);
    }
    assert_eq!(DOWN_RUNS.load(Ordering::SeqCst), 3);
    assert!(
        on_a_down_backend_cache()
            .invalidate_cache_by_key(&1)
            .await
            .is_err()
    );
}

static CORRUPT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("corrupt:{n}")]
async fn corrupt(n: u32) -> Vec<u32> {
    CORRUPT_RUNS.fetch_add(1, Ordering::SeqCst);
    vec![n; 3]
}

#[tokio::test]
async fn undecodable_stored_bytes_are_a_miss_and_get_overwritten() {
    let default = caches::get("default").unwrap();
    for garbage in [
        &b""[..],
        b"\xEC",
        b"\xEC\x01\x01garbage",
        b"not an entry at all",
    ] {
        default
            .set("corrupt:1", Bytes::copy_from_slice(garbage), Timeout::Never)
            .await
            .unwrap();
        assert_eq!(corrupt(1).await, vec![1, 1, 1]);
    }
    assert_eq!(CORRUPT_RUNS.load(Ordering::SeqCst), 4);
    assert_eq!(corrupt(1).await, vec![1, 1, 1]);
    assert_eq!(
        CORRUPT_RUNS.load(Ordering::SeqCst),
        4,
        "overwritten with a good entry"
    );
}

static TYPED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("shared_key")]
async fn as_u8() -> u8 {
    TYPED_RUNS.fetch_add(1, Ordering::SeqCst);
    7
}

#[ecached("shared_key")]
async fn as_string() -> String {
    TYPED_RUNS.fetch_add(1, Ordering::SeqCst);
    "seven".into()
}

#[tokio::test]
async fn a_value_of_another_type_under_the_same_key_is_a_miss() {
    assert_eq!(as_u8().await, 7);
    assert_eq!(as_string().await, "seven");
    assert_eq!(as_u8().await, 7);
    assert_eq!(TYPED_RUNS.load(Ordering::SeqCst), 3);
}

static JOIN_VERSION: AtomicUsize = AtomicUsize::new(0);

#[ecached("joinable:{n}", tags = ["joinable"], prefix = "jp")]
async fn joinable(n: u8) -> usize {
    let seen = JOIN_VERSION.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(100)).await;
    seen + usize::from(n)
}

#[tokio::test]
async fn callers_after_a_tag_or_prefix_invalidation_do_not_join_an_older_computation() {
    let running = tokio::spawn(joinable(0));
    tokio::time::sleep(Duration::from_millis(20)).await;
    JOIN_VERSION.store(1, Ordering::SeqCst);
    invalidate_cache_tags("joinable").await.unwrap();
    assert_eq!(joinable(0).await, 1, "computed afresh, not joined");
    assert_eq!(running.await.unwrap(), 0);

    let running = tokio::spawn(joinable(10));
    tokio::time::sleep(Duration::from_millis(20)).await;
    JOIN_VERSION.store(2, Ordering::SeqCst);
    easy_cache::invalidate_cache_prefix("jp").await.unwrap();
    assert_eq!(joinable(10).await, 12, "computed afresh, not joined");
    assert_eq!(running.await.unwrap(), 11);
}
