//! Removing expired records, so a table written with lifetimes does not grow without bound.
//!
//! Reads hide expired records but do not remove them: a removal needs redb's one write
//! transaction at a time, which a read must not wait for. A background std thread (no async
//! runtime needed) finds the expired records of the cache's key range in a read transaction
//! every `purge_interval_secs`, then removes them [`PURGE_BATCH`] at a time, one write
//! transaction per batch, so writers wait for one short batch at most. It holds only a
//! `Weak` reference to the store and stops when the cache is dropped
//! ([`Purger`](easy_cache_disk::Purger)).

use crate::store::Store;
use easy_cache_core::Result;
use easy_cache_disk::record::{self, HEADER_LEN};
use redb::ReadableTable;
use std::sync::atomic::{AtomicBool, Ordering};

/// Records removed per write transaction.
const PURGE_BATCH: usize = 512;

/// Removes the expired (and corrupt) records of `store`'s key range; returns how many.
/// A record rewritten meanwhile is left alone. Stops early when `stop` is set.
pub(crate) fn purge_expired(store: &Store, stop: &AtomicBool) -> Result<usize> {
    let now = record::now_millis();
    let dead = dead_keys(store, now)?;
    let (mut removed, mut corrupt) = (0, 0);
    for batch in dead.chunks(PURGE_BATCH) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        store.write("commit", |table| {
            let mut wrote = false;
            for key in batch {
                // Checked again in the write transaction: it may have been rewritten.
                let found = table.get(key.as_slice()).map_err(store.fail("get"))?;
                let Some(len) = found
                    .filter(|r| !record::is_live(r.value(), now))
                    .map(|r| r.value().len())
                else {
                    continue;
                };
                table.remove(key.as_slice()).map_err(store.fail("remove"))?;
                removed += 1;
                corrupt += usize::from(len < HEADER_LEN);
                wrote = true;
            }
            Ok(((), wrote))
        })?;
    }
    if corrupt > 0 {
        tracing::warn!(
            cache = %store.name,
            corrupt,
            "purged redb records shorter than their expiry header"
        );
    }
    Ok(removed)
}

/// The keys of `store`'s range whose records are expired or corrupt at `now`.
fn dead_keys(store: &Store, now: u64) -> Result<Vec<Vec<u8>>> {
    store.read(|table| {
        let mut dead = Vec::new();
        let range = table
            .range(store.prefix.as_slice()..)
            .map_err(store.fail("range"))?;
        for item in range {
            let (key, value) = item.map_err(store.fail("range"))?;
            if !key.value().starts_with(&store.prefix) {
                break;
            }
            if !record::is_live(value.value(), now) {
                dead.push(key.value().to_vec());
            }
        }
        Ok(dead)
    })
}
