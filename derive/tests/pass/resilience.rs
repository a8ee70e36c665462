use easy_cache::ecached;
use std::time::Duration;

// Every resilience option, in each form it takes.
#[ecached("a:{n}", 60, fail_safe = 600, fail_safe_throttle = 10, refresh_ahead = 0.8, jitter = 0.1, soft_timeout = 0.5, hard_timeout = Duration::from_secs(5))]
async fn everything(n: u64) -> Result<u64, easy_cache::Error> {
    Ok(n)
}

#[ecached("b:{n}", 60, refresh_ahead = 45, jitter = Duration::from_secs(5))]
async fn durations(n: &str) -> String {
    n.to_owned()
}

#[ecached("c:{n}", 60, fail_safe = Duration::from_secs(600), refresh_ahead = 0.5)]
fn sync_fail_safe(n: u64) -> Result<u64, String> {
    Ok(n)
}

// Instance defaults turned off, on async and sync functions (timeouts too: off is no
// interruption).
#[ecached("d:{n}", 60, fail_safe = false, refresh_ahead = false, jitter = false, soft_timeout = false, hard_timeout = false)]
async fn all_off(n: u64) -> Result<u64, easy_cache::Error> {
    Ok(n)
}

#[ecached("e:{n}", 60, fail_safe = false, soft_timeout = false, hard_timeout = false)]
fn sync_off(n: u64) -> u64 {
    n
}

// A `Result` whose error cannot say "timed out": no instance hard timeout, and no bound.
#[ecached("f:{n}", 60)]
async fn string_error(n: u64) -> Result<u64, String> {
    Ok(n)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(everything(1).await.unwrap(), 1);
    assert_eq!(durations("x").await, "x");
    assert_eq!(sync_fail_safe(2), Ok(2));
    assert_eq!(all_off(3).await.unwrap(), 3);
    assert_eq!(sync_off(4), 4);
    assert_eq!(string_error(5).await, Ok(5));
}
