use easy_cache::ecached;

// Each refusal is spanned on the option that causes it.
#[ecached("a", 60, fail_safe = 600, soft_timeout = 1)]
fn sync_soft(n: u64) -> u64 {
    n
}

#[ecached("b", 60, hard_timeout = 1)]
fn sync_hard(n: u64) -> Result<u64, easy_cache::Error> {
    Ok(n)
}

#[ecached("c", 60, soft_timeout = 1)]
async fn soft_without_fail_safe(n: u64) -> u64 {
    n
}

#[ecached("d", 60, refresh_ahead = 1.5, jitter = 2.0)]
async fn fractions_above_one(n: u64) -> u64 {
    n
}

// `false` turns an instance default off; `true` and a throttle of `false` say nothing.
#[ecached("e", 60, fail_safe = true, fail_safe_throttle = false)]
async fn true_and_throttle_off(n: u64) -> u64 {
    n
}

fn main() {
    let _ = sync_soft(1);
    let _ = sync_hard(1);
}
