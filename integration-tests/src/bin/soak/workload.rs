//! The load: readers (hits and misses), a writer (invalidations by key, tag and prefix) and
//! a refresher per backend, until told to stop. Every returned value is checked.

use super::db::{self, GROUPS, HOT, Invalidation, ORGS, WrongValue};
use super::functions::Backend;
use super::stats::Stats;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A call taking longer than this is cancelled and counted as a stall: with timeouts of a
/// few hundred milliseconds, no call may come near it.
pub const STALL_LIMIT: Duration = Duration::from_secs(10);
/// The writer's pause between two invalidations.
const WRITE_PAUSE: Duration = Duration::from_millis(20);
/// The refresher's pause between two refreshes.
const REFRESH_PAUSE: Duration = Duration::from_millis(25);

/// What every task of one backend shares.
#[derive(Clone)]
pub struct Load {
    /// The backend called.
    pub backend: Backend,
    /// The namespace of this run's keys, tags and prefixes.
    pub ns: Arc<str>,
    /// Where the counts go.
    pub stats: Arc<Stats>,
    /// Set when the run is over.
    pub stop: Arc<AtomicBool>,
}

impl Load {
    fn running(&self) -> bool {
        !self.stop.load(Ordering::Relaxed)
    }

    /// Checks a returned value against the floor read at the call's start; a wrong one is
    /// counted and kept as an example.
    fn verify(&self, id: u64, floor: u64, by: Option<Invalidation>, got: (u64, u64)) {
        if let Err(wrong) = db::check(id, floor, got) {
            self.stats.wrong(WrongValue { by, ..wrong });
        }
    }
}

/// Calls items of the hot set and of the whole key space, as fast as the backend answers.
pub async fn reader(load: Load) {
    let mut rng = fastrand::Rng::new();
    let db = load.backend.db();
    while load.running() {
        let id = db::pick_id(&mut rng);
        // Read before the call starts: invalidations completed by now bind this call.
        let (floor, by) = (db.floor(id), db.invalidated_by(id));
        let started = Instant::now();
        match tokio::time::timeout(STALL_LIMIT, load.backend.call(&load.ns, id)).await {
            Ok(got) => {
                load.stats.call(started.elapsed());
                load.verify(id, floor, by, got);
            }
            Err(_) => load.stats.stall(),
        }
        // A hit may complete without waiting: let the writer and the reporter run.
        tokio::task::yield_now().await;
    }
}

/// Writes new versions and invalidates them: mostly single keys, some tags, few prefixes.
/// Only a completed invalidation raises the floor of what it covers.
pub async fn writer(load: Load) {
    let mut rng = fastrand::Rng::new();
    let db = load.backend.db();
    let (backend, ns) = (load.backend, &*load.ns);
    while load.running() {
        tokio::time::sleep(WRITE_PAUSE).await;
        let roll = rng.u8(..100);
        let (kind, ids): (Invalidation, Vec<u64>) = if roll < 70 {
            (Invalidation::Key, vec![db::pick_id(&mut rng)])
        } else if roll < 92 {
            let group = rng.u64(..GROUPS);
            (Invalidation::Tag, db::ids_in_group(group).collect())
        } else {
            let org = rng.u64(..ORGS);
            (Invalidation::Prefix, db::ids_in_org(org).collect())
        };
        let written: Vec<(u64, u64)> = ids.iter().map(|&id| (id, db.bump(id))).collect();
        let first = ids[0];
        let invalidated = tokio::time::timeout(STALL_LIMIT, async {
            match kind {
                Invalidation::Key => backend.invalidate_key(ns, first).await.map(drop),
                Invalidation::Tag => backend.invalidate_group(ns, db::group_of(first)).await,
                Invalidation::Prefix => backend.invalidate_org(ns, db::org_of(first)).await,
            }
        })
        .await;
        let completed = matches!(invalidated, Ok(Ok(())));
        if completed {
            for (id, version) in written {
                db.settle(id, version, kind);
            }
        }
        load.stats.invalidation(kind, completed);
    }
}

/// Refreshes items of the hot set; a refresh must return at least the floor too.
pub async fn refresher(load: Load) {
    let mut rng = fastrand::Rng::new();
    let db = load.backend.db();
    while load.running() {
        tokio::time::sleep(REFRESH_PAUSE).await;
        let id = db::hot_id(rng.u64(..HOT));
        let (floor, by) = (db.floor(id), db.invalidated_by(id));
        match tokio::time::timeout(STALL_LIMIT, load.backend.refresh(&load.ns, id)).await {
            Ok(got) => {
                load.stats.refresh();
                load.verify(id, floor, by, got);
            }
            Err(_) => load.stats.stall(),
        }
    }
}

/// Describes a wrong value for the report.
pub fn describe(wrong: &WrongValue) -> String {
    let by = match wrong.by {
        Some(Invalidation::Key) => "a key invalidation",
        Some(Invalidation::Tag) => "a tag invalidation",
        Some(Invalidation::Prefix) => "a prefix invalidation",
        None => "an invalidation",
    };
    format!(
        "item {} returned (id {}, version {}) after {by} at version {} had completed",
        wrong.id, wrong.got.0, wrong.got.1, wrong.floor
    )
}
