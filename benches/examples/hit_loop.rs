//! A loop of in-memory hits, for profilers (callgrind, perf): `cargo run --release -p easy-cache-benches --example hit_loop`.

use easy_cache::ecached;
use std::hint::black_box;

#[ecached("loop:{n}")]
async fn square(n: u64) -> u64 {
    n * n
}

fn main() {
    let calls: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        for _ in 0..calls {
            black_box(square(black_box(7)).await);
        }
    });
}
