//! A failing backend costs one warning per function per interval, not one per call, and
//! every call still returns its function's own result.

mod common;

use common::DownCache;
use easy_cache::ecached;
use easy_cache_test_support::capture_logs_async;
use std::sync::atomic::{AtomicUsize, Ordering};
use tracing::Level;

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("warned:{n}", tags = ["warned"], cache_instance = DownCache)]
async fn double(n: u64) -> u64 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    n * 2
}

#[test]
fn a_down_backend_warns_once_per_interval_and_every_call_returns_its_result() {
    // A current-thread runtime: every call logs on this thread, the one recorded.
    let ((), logs) = capture_logs_async(Level::TRACE, async {
        for n in 0..500 {
            assert_eq!(double(n % 7).await, (n % 7) * 2);
        }
    });
    assert_eq!(
        RUNS.load(Ordering::SeqCst),
        500,
        "every call ran the function"
    );
    let warnings = logs.count(Level::WARN, "easy_cache");
    let debug = logs.count(Level::DEBUG, "easy_cache");
    assert_eq!(warnings, 1, "one warning for 500 failing calls");
    assert!(debug >= 499, "the rest are debug events ({debug})");
}
