//! The size bound: when a write takes the table above `max_entries` records, the same
//! write transaction evicts down to 90% of it, so the bound holds whenever a write has
//! returned and the full scan an eviction costs is paid once per tenth of the bound.
//!
//! Policy: expired and corrupt records go first, then those expiring soonest; records
//! stored without a lifetime go last. Ties go in key order. The bound is the table's:
//! caches sharing a table (other key prefixes) share it.

use easy_cache_disk::record;
use redb::{ReadableTable, ReadableTableMetadata, StorageError, Table};
use std::collections::BinaryHeap;

/// The table of records open in a write transaction.
type Records<'t> = Table<'t, &'static [u8], &'static [u8]>;

/// Evicts records of `table` when it holds more than `max_entries`; returns how many.
pub(crate) fn evict(
    table: &mut Records<'_>,
    max_entries: u64,
    now: u64,
) -> Result<usize, StorageError> {
    let len = table.len()?;
    if len <= max_entries {
        return Ok(0);
    }
    // 90%, rounded up: a bound under 10 evicts only what is above it.
    let kept = max_entries - max_entries / 10;
    let excess = usize::try_from(len - kept).unwrap_or(usize::MAX);
    let victims = soonest_to_go(table, excess, now)?;
    for key in &victims {
        table.remove(key.as_slice())?;
    }
    Ok(victims.len())
}

/// The eviction rank of a record: lower goes first.
fn rank(record: &[u8], now: u64) -> u64 {
    match record::expiry(record) {
        None => 0,
        Some(record::NEVER) => u64::MAX,
        Some(expiry) if expiry <= now => 0,
        Some(expiry) => expiry,
    }
}

/// The keys of the `count` records of `table` that go first, in one scan keeping only
/// those `count` keys.
fn soonest_to_go(
    table: &Records<'_>,
    count: usize,
    now: u64,
) -> Result<Vec<Vec<u8>>, StorageError> {
    // A max-heap: its top is the record that goes last of those chosen so far.
    let mut chosen: BinaryHeap<(u64, Vec<u8>)> = BinaryHeap::with_capacity(count);
    for item in table.iter()? {
        let (key, value) = item?;
        let rank = rank(value.value(), now);
        if chosen.len() < count {
            chosen.push((rank, key.value().to_vec()));
        } else if chosen.peek().is_some_and(|(top, _)| rank < *top) {
            chosen.pop();
            chosen.push((rank, key.value().to_vec()));
        }
    }
    Ok(chosen.into_iter().map(|(_, key)| key).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use easy_cache_disk::record::encode;

    #[test]
    fn ranks_expired_then_soonest_then_never() {
        assert_eq!(rank(b"short", 10), 0, "corrupt goes first");
        assert_eq!(rank(&encode(5, b"v"), 10), 0, "expired goes first");
        assert_eq!(rank(&encode(20, b"v"), 10), 20);
        assert_eq!(rank(&encode(record::NEVER, b"v"), 10), u64::MAX);
    }
}
