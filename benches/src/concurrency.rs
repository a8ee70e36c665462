//! Throughput with many callers at once, timed for criterion's `iter_custom`.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The runtime of the remote benches: two workers, as a small service has, so callers and
/// the client's connection tasks run side by side.
pub fn two_worker_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The runtime of the in-process benches: one thread, no hand-offs, so a hit's own cost
/// shows.
pub fn current_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `calls` calls split over `concurrency` tasks spawned on the current runtime and
/// returns the wall time of the whole; criterion divides it by `calls`, giving the
/// inverse of the throughput. `task(n)` is one task's loop of `n` calls, so each task can
/// own what its calls need (a connection handle) as a caller of the library would.
pub async fn timed<F, Fut>(calls: u64, concurrency: u64, task: F) -> Duration
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let concurrency = concurrency.clamp(1, calls.max(1));
    let per_task = calls / concurrency;
    let remainder = calls % concurrency;
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| tokio::spawn(task(per_task + u64::from(i < remainder))))
        .collect();
    for task in tasks {
        task.await.expect("a bench task panicked");
    }
    started.elapsed()
}

/// A task loop of `n` calls of `call`, each result passed through [`black_box`].
pub async fn repeat<Fut: Future>(n: u64, call: impl Fn() -> Fut) {
    for _ in 0..n {
        black_box(call().await);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[tokio::test]
    async fn makes_exactly_the_calls_asked_for() {
        let made = Arc::new(AtomicU64::new(0));
        let task = |n| {
            let made = Arc::clone(&made);
            repeat(n, move || {
                let made = Arc::clone(&made);
                async move { made.fetch_add(1, Ordering::SeqCst) }
            })
        };
        timed(1001, 64, task).await;
        assert_eq!(made.load(Ordering::SeqCst), 1001);
        timed(3, 64, task).await;
        assert_eq!(made.load(Ordering::SeqCst), 1004);
    }
}
