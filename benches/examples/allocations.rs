//! Heap allocations per in-memory hit (issue 5, row 1): `cargo run --release -p
//! easy-cache-benches --example allocations`. A hit should allocate no more than its key
//! needs (the decoded `u64` needs none).

use easy_cache::{caches, ecached};
use easy_cache_benches::allocations_per_call;
use easy_cache_benches::hand_written;
use std::hint::black_box;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[ecached("alloc:{n}")]
async fn square(n: u64) -> u64 {
    n * n
}

#[ecached("alloc_tagged:{n}", tags = ["squares", "square:{n}"])]
async fn tagged_square(n: u64) -> u64 {
    n * n
}

fn main() {
    let _profiler = dhat::Profiler::builder().testing().build();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let cache = caches::get("default").expect("default cache");
    rt.block_on(async {
        square(7).await;
        tagged_square(7).await;
        hand_written(&cache, 7).await;
    });
    let calls = 10_000;
    let ecached = allocations_per_call(calls, || {
        black_box(rt.block_on(square(black_box(7))));
    });
    let tagged = allocations_per_call(calls, || {
        black_box(rt.block_on(tagged_square(black_box(7))));
    });
    let hand = allocations_per_call(calls, || {
        black_box(rt.block_on(hand_written(&cache, black_box(7))));
    });
    let baseline = allocations_per_call(calls, || {
        black_box(rt.block_on(async { black_box(7u64) }));
    });
    println!("| what | allocations per call |");
    println!("| --- | --- |");
    println!(
        "| `#[ecached]` hit, template key over one u64 | {:.2} |",
        ecached - baseline
    );
    println!(
        "| `#[ecached]` hit with two tags | {:.2} |",
        tagged - baseline
    );
    println!(
        "| hand-written lookup (format key, get, decode) | {:.2} |",
        hand - baseline
    );
}
