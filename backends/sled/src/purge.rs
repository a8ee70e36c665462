//! Purging expired records, so a tree written with lifetimes does not grow without bound.
//!
//! Reads already hide and remove expired records, but a key never read again would stay on
//! disk forever. A background std thread (no async runtime needed) scans the cache's key
//! range every `purge_interval_secs` ([`Purger`](easy_cache_disk::Purger)). It holds only a
//! `Weak` reference to the store and stops when the cache is dropped.

use crate::{
    record::{self, HEADER_LEN},
    store::{Store, backend_error},
};
use easy_cache_core::Result;
use std::sync::atomic::{AtomicBool, Ordering};

/// Removes the expired (and corrupt) records of `store`'s key range; returns how many.
/// A record rewritten meanwhile is left alone (compare-and-swap). Stops early when `stop` is
/// set.
pub(crate) fn purge_expired(store: &Store, stop: &AtomicBool) -> Result<usize> {
    let now = record::now_millis();
    let (mut removed, mut corrupt) = (0, 0);
    for item in store.tree.scan_prefix(&store.prefix) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let (key, value) = item.map_err(|e| backend_error(&store.name, "scan", e))?;
        if record::is_live(&value, now) {
            continue;
        }
        let swapped = store
            .tree
            .compare_and_swap(&key, Some(&value), None::<&[u8]>)
            .map_err(|e| backend_error(&store.name, "compare_and_swap", e))?;
        if swapped.is_ok() {
            removed += 1;
            if value.len() < HEADER_LEN {
                corrupt += 1;
            }
        }
    }
    if corrupt > 0 {
        tracing::warn!(
            cache = %store.name,
            corrupt,
            "purged sled records shorter than their expiry header"
        );
    }
    Ok(removed)
}
