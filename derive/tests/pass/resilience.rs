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

#[tokio::main(flavor = "current_thread")]
async fn main() {
    assert_eq!(everything(1).await.unwrap(), 1);
    assert_eq!(durations("x").await, "x");
    assert_eq!(sync_fail_safe(2), Ok(2));
}
