//! The in-process "database" the cached functions read, and the rule that tells a wrong
//! value from a right one.
//!
//! Each item has a version that writers bump before they invalidate its cache entry, and a
//! floor: the highest version written before an invalidation of the item that has
//! completed. A call that starts after an invalidation completed must return at least the
//! version written before it (the rule of `tests/reliability_concurrency.rs`), so a call
//! returning less than the floor it read at its start returned a wrong value.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// Items in the key space; a power of two, so [`pick_id`]'s permutation is a bijection.
pub const KEYS: u64 = 4096;
/// Items in the hot set: most reads go there, so most calls hit.
pub const HOT: u64 = 256;
/// Share of reads that go to the hot set, in percent; the rest spread over every item
/// (mostly misses: the key space is much larger than the hot set).
pub const HOT_PERCENT: u8 = 90;
/// Prefixes (`org`): an item belongs to org `id % ORGS`.
pub const ORGS: u64 = 16;
/// Tags (`group`): an item belongs to group `(id / ORGS) % GROUPS`, across every org.
pub const GROUPS: u64 = 64;

/// Spreads the hot set over every org and group (an odd multiplier permutes `0..KEYS`).
const SPREAD: u64 = 1597;

/// The kinds of invalidation the writers make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Invalidation {
    /// One entry, by key.
    Key = 1,
    /// Every entry of a group, by tag.
    Tag,
    /// Every entry of an org, by prefix.
    Prefix,
}

impl Invalidation {
    /// Its position in `[key, tag, prefix]`.
    pub fn index(self) -> usize {
        self as usize - 1
    }

    fn from_u8(n: u8) -> Option<Self> {
        match n {
            1 => Some(Invalidation::Key),
            2 => Some(Invalidation::Tag),
            3 => Some(Invalidation::Prefix),
            _ => None,
        }
    }
}

/// Versions and floors of [`KEYS`] items.
pub struct Database {
    versions: [AtomicU64; KEYS as usize],
    floors: [AtomicU64; KEYS as usize],
    /// The kind of invalidation that last raised each floor (0 for none), to tell what a
    /// wrong value followed.
    kinds: [AtomicU8; KEYS as usize],
}

impl Database {
    /// Every item at version 0.
    pub const fn new() -> Self {
        Database {
            versions: [const { AtomicU64::new(0) }; KEYS as usize],
            floors: [const { AtomicU64::new(0) }; KEYS as usize],
            kinds: [const { AtomicU8::new(0) }; KEYS as usize],
        }
    }

    /// The current version of `id`: what the cached function returns.
    pub fn read(&self, id: u64) -> u64 {
        self.versions[slot(id)].load(Ordering::SeqCst)
    }

    /// Writes a new version of `id` and returns it.
    pub fn bump(&self, id: u64) -> u64 {
        self.versions[slot(id)].fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Records that an invalidation of `id` (of `kind`), made after writing `version`, has
    /// completed.
    pub fn settle(&self, id: u64, version: u64, kind: Invalidation) {
        if self.floors[slot(id)].fetch_max(version, Ordering::SeqCst) < version {
            self.kinds[slot(id)].store(kind as u8, Ordering::SeqCst);
        }
    }

    /// The kind of invalidation that last raised the floor of `id` (for diagnostics: read
    /// apart from the floor, it may belong to a newer one).
    pub fn invalidated_by(&self, id: u64) -> Option<Invalidation> {
        Invalidation::from_u8(self.kinds[slot(id)].load(Ordering::SeqCst))
    }

    /// The lowest version a call of `id` starting now may return.
    pub fn floor(&self, id: u64) -> u64 {
        self.floors[slot(id)].load(Ordering::SeqCst)
    }
}

impl Default for Database {
    fn default() -> Self {
        Database::new()
    }
}

/// A value a call returned that it must not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrongValue {
    /// The item asked for.
    pub id: u64,
    /// The floor read when the call started.
    pub floor: u64,
    /// What the call returned: `(id, version)`.
    pub got: (u64, u64),
    /// The kind of invalidation behind the floor, when known.
    pub by: Option<Invalidation>,
}

/// Checks what a call of `id` returned against the floor read at its start.
pub fn check(id: u64, floor: u64, got: (u64, u64)) -> Result<(), WrongValue> {
    if got.0 == id && got.1 >= floor {
        Ok(())
    } else {
        Err(WrongValue {
            id,
            floor,
            got,
            by: None,
        })
    }
}

/// An index into the arrays; ids outside the key space wrap (callers never pass one).
fn slot(id: u64) -> usize {
    (id % KEYS) as usize
}

/// The org (prefix) of an item.
pub fn org_of(id: u64) -> u64 {
    id % ORGS
}

/// The group (tag) of an item.
pub fn group_of(id: u64) -> u64 {
    (id / ORGS) % GROUPS
}

/// Every item of an org.
pub fn ids_in_org(org: u64) -> impl Iterator<Item = u64> {
    (0..KEYS).filter(move |&id| org_of(id) == org)
}

/// Every item of a group.
pub fn ids_in_group(group: u64) -> impl Iterator<Item = u64> {
    (0..KEYS).filter(move |&id| group_of(id) == group)
}

/// An item to read: from the hot set [`HOT_PERCENT`] % of the time, else from anywhere.
pub fn pick_id(rng: &mut fastrand::Rng) -> u64 {
    let index = if rng.u8(..100) < HOT_PERCENT {
        rng.u64(..HOT)
    } else {
        rng.u64(..KEYS)
    };
    hot_id(index)
}

/// The item at `index` of the (spread) hot-set order.
pub fn hot_id(index: u64) -> u64 {
    (index % KEYS) * SPREAD % KEYS
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn orgs_and_groups_partition_the_key_space_independently() {
        let per_org: Vec<usize> = (0..ORGS).map(|o| ids_in_org(o).count()).collect();
        let per_group: Vec<usize> = (0..GROUPS).map(|g| ids_in_group(g).count()).collect();
        assert!(per_org.iter().all(|&n| n == (KEYS / ORGS) as usize));
        assert!(per_group.iter().all(|&n| n == (KEYS / GROUPS) as usize));
        // A group spans every org, so a tag and a prefix invalidation overlap partly.
        let orgs: HashSet<u64> = ids_in_group(5).map(org_of).collect();
        assert_eq!(orgs.len(), ORGS as usize);
    }

    #[test]
    fn the_hot_set_is_distinct_items_spread_over_groups() {
        let hot: HashSet<u64> = (0..HOT).map(hot_id).collect();
        assert_eq!(hot.len(), HOT as usize);
        let groups: HashSet<u64> = hot.iter().map(|&id| group_of(id)).collect();
        assert!(groups.len() > (GROUPS / 2) as usize, "{groups:?}");
    }

    #[test]
    fn a_value_older_than_the_floor_or_of_another_item_is_wrong() {
        let db = Database::new();
        let written = db.bump(3);
        assert_eq!(db.read(3), written);
        let floor_before = db.floor(3);
        assert_eq!(db.invalidated_by(3), None);
        db.settle(3, written, Invalidation::Tag);
        assert_eq!(db.invalidated_by(3), Some(Invalidation::Tag));
        assert_eq!(check(3, floor_before, (3, 0)), Ok(()), "started before");
        assert!(check(3, db.floor(3), (3, 0)).is_err(), "started after");
        assert_eq!(check(3, db.floor(3), (3, written)), Ok(()));
        assert!(check(3, 0, (4, written)).is_err(), "another item");
        db.settle(3, 0, Invalidation::Key);
        assert_eq!(db.floor(3), written, "a floor never goes down");
        assert_eq!(
            db.invalidated_by(3),
            Some(Invalidation::Tag),
            "nor its kind"
        );
    }
}
