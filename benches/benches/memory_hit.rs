//! The `memory_hit_*` lines of the bench report (see docs/guide/performance.md): an
//! `#[ecached]` hit in memory against the same lookup written by hand, a raw moka get, and
//! the `cached` crate, on one thread and two (and, for reference, raw moka with two threads);
//! a sync function's hit against the `cached` crate's sync `#[cached]`; and a hit inside
//! the refresh window of `refresh_ahead` against a plain hit.

use criterion::{Criterion, criterion_group, criterion_main};
use easy_cache::{caches, ecached};
use easy_cache_benches::concurrency::current_thread_runtime;
use easy_cache_benches::hand_written;
use std::hint::black_box;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

#[ecached("bench:{n}")]
async fn ecached_square(n: u64) -> u64 {
    n * n
}

/// An automatic key: the function's path, as the compiler prints it, looked up once.
#[ecached]
async fn auto_square(n: u64) -> u64 {
    n * n
}

/// The same key text as `auto_square`'s (same length, another name), written as a template:
/// the baseline that shows what naming the function costs a hit.
#[ecached("memory_hit::tmpl_square:{n}")]
async fn tmpl_square(n: u64) -> u64 {
    n * n
}

#[cached::proc_macro::cached]
async fn cached_square(n: u64) -> u64 {
    n * n
}

/// The same function, sync: no runtime anywhere in its hit.
#[ecached("bench_sync:{n}")]
fn ecached_square_sync(n: u64) -> u64 {
    n * n
}

#[cached::proc_macro::cached]
fn cached_square_sync(n: u64) -> u64 {
    n * n
}

/// Due for refresh from its first hit on (`refresh_ahead = 0.0`); every refresh after the
/// first call waits forever: the refresh stays under way while the hits are measured.
#[ecached("bench_refreshing:{n}", 600, refresh_ahead = 0.0)]
async fn refreshing_square(n: u64) -> u64 {
    static FIRST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
    if !FIRST.swap(false, std::sync::atomic::Ordering::SeqCst) {
        std::future::pending::<()>().await;
    }
    n * n
}

/// The same shape (a template key, a timeout), without refresh.
#[ecached("bench_plain:{n}", 600)]
async fn plain_square(n: u64) -> u64 {
    n * n
}

/// Hits inside the refresh window, the refresh under way, against plain hits.
fn refresh_window_hits(c: &mut Criterion) {
    let rt = current_thread_runtime();
    rt.block_on(async {
        plain_square(7).await;
        refreshing_square(7).await;
        // This hit is due: it starts the refresh (which never ends) in a task.
        refreshing_square(7).await;
        tokio::task::yield_now().await;
    });
    let mut group = c.benchmark_group("memory_hit_refresh");
    group.bench_function("refreshing", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(refreshing_square(black_box(7)).await) })
    });
    group.bench_function("plain", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(plain_square(black_box(7)).await) })
    });
    group.finish();
}

fn single_thread_hits(c: &mut Criterion) {
    let rt = current_thread_runtime();
    let default = caches::get("default").expect("embedded default");
    rt.block_on(async {
        ecached_square(7).await;
        auto_square(7).await;
        tmpl_square(7).await;
        hand_written(&default, 7).await;
        cached_square(7).await;
    });
    let moka: moka::sync::Cache<String, u64> = moka::sync::Cache::new(10_000);
    moka.insert("bench:7".to_owned(), 49);
    let moka_key = "bench:7".to_owned();

    let mut group = c.benchmark_group("memory_hit");
    group.bench_function("ecached", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(ecached_square(black_box(7)).await) })
    });
    group.bench_function("ecached_automatic_key", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(auto_square(black_box(7)).await) })
    });
    group.bench_function("ecached_same_key_as_template", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(tmpl_square(black_box(7)).await) })
    });
    group.bench_function("hand_written", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(hand_written(&default, black_box(7)).await) })
    });
    group.bench_function("moka_get", |b| {
        b.iter(|| black_box(moka.get(black_box(&moka_key))))
    });
    group.bench_function("cached_crate", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(cached_square(black_box(7)).await) })
    });
    group.finish();
}

/// Raw moka with two threads: not a target's baseline, the floor of any store on moka.
static MOKA: LazyLock<moka::sync::Cache<String, u64>> = LazyLock::new(|| {
    let cache = moka::sync::Cache::new(10_000);
    cache.insert("bench:7".to_owned(), 49);
    cache
});

/// Wall time of `iterations` calls made by two threads at once: criterion divides it by
/// `iterations`, giving the inverse of the two threads' throughput.
fn two_threads<F, Fut>(iterations: u64, call: F) -> Duration
where
    F: Fn() -> Fut + Send + Sync + Copy + 'static,
    Fut: std::future::Future<Output = u64>,
{
    let per_thread = iterations.div_ceil(2);
    let started = Instant::now();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                let rt = current_thread_runtime();
                rt.block_on(async {
                    for _ in 0..per_thread {
                        black_box(call().await);
                    }
                });
            })
        })
        .collect();
    for t in threads {
        t.join().expect("bench thread");
    }
    started.elapsed()
}

fn two_thread_hits(c: &mut Criterion) {
    current_thread_runtime().block_on(async {
        ecached_square(7).await;
        cached_square(7).await;
    });
    let mut group = c.benchmark_group("memory_hit_2_threads");
    group.bench_function("ecached", |b| {
        b.iter_custom(|n| two_threads(n, || ecached_square(7)))
    });
    group.bench_function("cached_crate", |b| {
        b.iter_custom(|n| two_threads(n, || cached_square(7)))
    });
    group.bench_function("moka_get", |b| {
        b.iter_custom(|n| two_threads(n, || async { MOKA.get("bench:7").unwrap_or(0) }))
    });
    group.finish();
}

/// Sync hits, one thread, no runtime: ours against `cached`'s sync `#[cached]`.
fn sync_hits(c: &mut Criterion) {
    ecached_square_sync(7);
    cached_square_sync(7);
    let mut group = c.benchmark_group("memory_hit_sync");
    group.bench_function("ecached", |b| {
        b.iter(|| black_box(ecached_square_sync(black_box(7))))
    });
    group.bench_function("cached_crate", |b| {
        b.iter(|| black_box(cached_square_sync(black_box(7))))
    });
    group.finish();
}

criterion_group!(
    benches,
    single_thread_hits,
    two_thread_hits,
    sync_hits,
    refresh_window_hits
);
criterion_main!(benches);
