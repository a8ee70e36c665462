//! Single flight when the computing call fails or hangs: a panicking or cancelled leader
//! hands over to one waiter at once, a second panic lets the rest compute side by side,
//! and no waiter waits longer than `single_flight_wait`. Paused time: the durations below
//! are virtual and exact.

use easy_cache::ecached;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

const COMPUTE: Duration = Duration::from_secs(1);

/// Spawns `n` calls, lets the first become the leader, and returns every call's result
/// (`None` for a call that panicked) with the virtual time they took.
async fn run_callers<F, Fut>(n: usize, call: F) -> (Vec<Option<u64>>, Duration)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = u64> + Send + 'static,
{
    let start = Instant::now();
    let mut calls = Vec::new();
    for _ in 0..n {
        calls.push(tokio::spawn(call()));
        // Every caller reaches the flight before the leader's computation ends.
        tokio::task::yield_now().await;
    }
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.ok());
    }
    (results, start.elapsed())
}

static ALWAYS_PANICS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("always_panics:{n}")]
async fn always_panics(n: u64) -> u64 {
    ALWAYS_PANICS_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(COMPUTE).await;
    panic!("upstream failed for {n}");
}

#[tokio::test(start_paused = true)]
async fn a_panicking_computation_does_not_make_waiters_compute_one_at_a_time() {
    let (results, took) = run_callers(8, || always_panics(1)).await;
    assert!(
        results.iter().all(Option::is_none),
        "every caller sees its own panic"
    );
    assert_eq!(ALWAYS_PANICS_RUNS.load(Ordering::SeqCst), 8);
    // The leader (1 s), one waiter taking over (1 s), then the six others side by side
    // (1 s): three rounds, not eight.
    assert_eq!(took, 3 * COMPUTE);
}

static PANICS_ONCE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("panics_once:{n}")]
async fn panics_once(n: u64) -> u64 {
    let run = PANICS_ONCE_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(COMPUTE).await;
    assert!(run > 0, "the first computation fails");
    n * 10
}

#[tokio::test(start_paused = true)]
async fn when_the_leader_panics_one_waiter_takes_over_at_once_for_all() {
    let (results, took) = run_callers(8, || panics_once(4)).await;
    assert_eq!(results[0], None, "the leader's caller sees its panic");
    assert!(results[1..].iter().all(|r| *r == Some(40)));
    assert_eq!(PANICS_ONCE_RUNS.load(Ordering::SeqCst), 2, "one take-over");
    assert_eq!(
        took,
        2 * COMPUTE,
        "the take-over starts the moment the leader panics"
    );
}

static HANGS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("hangs:{n}", single_flight_wait = 5)]
async fn hangs_first(n: u64) -> u64 {
    if HANGS_RUNS.fetch_add(1, Ordering::SeqCst) == 0 {
        std::future::pending::<()>().await;
    }
    n
}

#[tokio::test(start_paused = true)]
async fn a_hung_leader_holds_a_waiter_no_longer_than_single_flight_wait() {
    let hung = tokio::spawn(hangs_first(3));
    tokio::task::yield_now().await;
    let start = Instant::now();
    assert_eq!(hangs_first(3).await, 3);
    assert_eq!(start.elapsed(), Duration::from_secs(5));
    assert_eq!(HANGS_RUNS.load(Ordering::SeqCst), 2);
    hung.abort();
}

static DEFAULT_WAIT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("hangs_default:{n}")]
async fn hangs_first_default_wait(n: u64) -> u64 {
    if DEFAULT_WAIT_RUNS.fetch_add(1, Ordering::SeqCst) == 0 {
        std::future::pending::<()>().await;
    }
    n
}

#[tokio::test(start_paused = true)]
async fn the_default_wait_bound_is_thirty_seconds() {
    assert_eq!(
        easy_cache::DEFAULT_SINGLE_FLIGHT_WAIT,
        Duration::from_secs(30)
    );
    let hung = tokio::spawn(hangs_first_default_wait(1));
    tokio::task::yield_now().await;
    let start = Instant::now();
    assert_eq!(hangs_first_default_wait(1).await, 1);
    assert_eq!(start.elapsed(), easy_cache::DEFAULT_SINGLE_FLIGHT_WAIT);
    hung.abort();
}
