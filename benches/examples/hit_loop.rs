//! Loops of in-memory hits for profilers: callgrind counts instructions, which stay
//! comparable on a loaded machine.
//! `hit_loop <ecached|hand|moka|cached|sled|sled_raw|redb|redb_raw|sync|cached_sync> [calls]`.

use easy_cache::{caches, ecached};
use easy_cache_benches::functions::{
    decoded, encoded, install_redb, install_sled, redb_plain, redb_raw_get, sled_plain,
};
use easy_cache_benches::hand_written;
use std::hint::black_box;

#[ecached("loop:{n}")]
async fn square(n: u64) -> u64 {
    n * n
}

#[cached::proc_macro::cached]
async fn cached_square(n: u64) -> u64 {
    n * n
}

#[ecached("loop_sync:{n}")]
fn square_sync(n: u64) -> u64 {
    n * n
}

#[cached::proc_macro::cached]
fn cached_square_sync(n: u64) -> u64 {
    n * n
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "ecached".into());
    let calls: u64 = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    // Built with `--features metrics`: hits record into a real recorder, installed before
    // the first call (see the `metrics_hit` bench).
    #[cfg(feature = "metrics")]
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let cache = caches::get("default").expect("default cache");
    let moka: moka::sync::Cache<String, u64> = moka::sync::Cache::new(10_000);
    moka.insert("loop:7".to_owned(), 49);
    let moka_key = "loop:7".to_owned();
    // sled's and redb's threads would count too: each opened only when measured.
    let tree = mode.starts_with("sled").then(|| {
        let tree = install_sled();
        tree.insert("sled_raw:7", encoded(49)).expect("raw insert");
        tree
    });
    let redb = mode.starts_with("redb").then(install_redb);
    rt.block_on(async {
        if tree.is_some() {
            sled_plain(7).await;
        }
        if redb.is_some() {
            redb_plain(7).await;
        }
        square(7).await;
        cached_square(7).await;
        square_sync(7);
        cached_square_sync(7);
        for _ in 0..calls {
            match mode.as_str() {
                "ecached" => black_box(square(black_box(7)).await),
                "hand" => black_box(hand_written(&cache, black_box(7)).await),
                "cached" => black_box(cached_square(black_box(7)).await),
                "sync" => black_box(square_sync(black_box(7))),
                "cached_sync" => black_box(cached_square_sync(black_box(7))),
                "sled" => black_box(sled_plain(black_box(7)).await),
                "sled_raw" => {
                    let key = format!("sled_raw:{}", black_box(7));
                    let tree = tree.as_ref().expect("opened for sled modes");
                    black_box(decoded(
                        &tree.get(key.as_bytes()).ok().flatten().unwrap_or_default(),
                    ))
                }
                "redb" => black_box(redb_plain(black_box(7)).await),
                "redb_raw" => {
                    let redb = redb.as_ref().expect("opened for redb modes");
                    black_box(redb_raw_get(redb, black_box(7)))
                }
                _ => black_box(moka.get(black_box(&moka_key)).unwrap_or_default()),
            };
        }
    });
}
