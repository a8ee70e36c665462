//! Resident memory of the in-memory backend holding many entries, against raw moka
//! holding the same entries (`resident_memory_1m_entries`). One process per store, so neither sees
//! the other's heap: `resident <ours|ecached|moka> [entries]` (default 1 000 000 entries of
//! 100-byte values under keys like `entry:123`); `ecached` stores them through an `#[ecached]`
//! function, so its near cache holds decoded values too (at its default size). Prints and writes
//! `target/bench-extra/resident_<store>.json`; `cargo xtask bench` runs both.

use easy_cache::{Bytes, CacheInstance, MemoryCache, MemoryConfig, Timeout, caches, ecached};
use easy_cache_benches::extra;
use serde_json::json;
use std::sync::Arc;

const VALUE_LEN: usize = 100;

/// This process's resident set, in KiB (`VmRSS` of `/proc/self/status`).
fn resident_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// The value of entry `i`: its own 100-byte buffer (values are not shared).
fn value(i: u64) -> Vec<u8> {
    let mut value = vec![0u8; VALUE_LEN];
    value[..8].copy_from_slice(&i.to_le_bytes());
    value
}

/// The cached function of the `ecached` run, on the alias that run registers.
#[ecached("entry:{i}", cache_alias = "resident")]
async fn entry(i: u64) -> Vec<u8> {
    value(i)
}

fn main() {
    let store = std::env::args().nth(1).unwrap_or_else(|| "ours".into());
    let entries: u64 = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    // Room for every entry: nothing is evicted (checked below).
    let capacity = entries * 2;
    let before;
    let (after, held) = match store.as_str() {
        "ours" => {
            let cache = MemoryCache::new(MemoryConfig::default().max_capacity(capacity));
            before = resident_kib();
            rt.block_on(async {
                for i in 0..entries {
                    let key = format!("entry:{i}");
                    let value = Bytes::from(value(i));
                    let stored = cache.set(&key, value, Timeout::Default).await;
                    stored.expect("a memory set");
                }
            });
            cache.run_pending_tasks();
            (resident_kib(), cache.entry_count())
        }
        "ecached" => {
            let cache = Arc::new(MemoryCache::new(
                MemoryConfig::default().max_capacity(capacity),
            ));
            caches::insert("resident", cache.clone());
            before = resident_kib();
            rt.block_on(async {
                for i in 0..entries {
                    std::hint::black_box(entry(i).await);
                }
            });
            cache.run_pending_tasks();
            (resident_kib(), cache.entry_count())
        }
        "moka" => {
            let cache: moka::sync::Cache<String, Vec<u8>> = moka::sync::Cache::new(capacity);
            before = resident_kib();
            for i in 0..entries {
                cache.insert(format!("entry:{i}"), value(i));
            }
            cache.run_pending_tasks();
            (resident_kib(), cache.entry_count())
        }
        other => panic!("unknown store `{other}`: ours or moka"),
    };
    assert_eq!(
        held, entries,
        "{store} evicted entries: the figures would be wrong"
    );
    let delta = after.saturating_sub(before);
    let report = json!({
        "store": store,
        "entries": entries,
        "value_bytes": VALUE_LEN,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "delta_kib": delta,
        "bytes_per_entry": (delta * 1024) as f64 / entries as f64,
    });
    println!("{}", serde_json::to_string_pretty(&report).expect("JSON"));
    extra::write(&format!("resident_{store}"), &report);
}
