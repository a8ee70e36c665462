//! Model-based property test: random sequences of calls, data changes, invalidations by
//! key, tag and prefix, and refreshes, checked call by call against a plain model of what
//! a correct cache returns. Catches stale reads after an invalidation as well as spurious
//! misses (which would return data newer than the model's cached value).

use easy_cache::{MemoryCache, caches, ecached, using_alias};
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const IDS: u64 = 6;

/// The data source behind the cached function: id → version.
static DB: Mutex<Option<HashMap<u64, u64>>> = Mutex::new(None);

fn db_version(id: u64) -> u64 {
    DB.lock()
        .unwrap()
        .as_ref()
        .and_then(|db| db.get(&id).copied())
        .unwrap_or(0)
}

#[ecached("model:{id}", tags = ["group:{group}", "all"], prefix = "half:{half}", cache_alias = "model")]
async fn read(id: u64, group: u64, half: u64) -> (u64, u64) {
    let _ = (group, half);
    (id, db_version(id))
}

fn group_of(id: u64) -> u64 {
    id % 3
}
fn half_of(id: u64) -> u64 {
    id % 2
}

#[derive(Debug, Clone)]
enum Op {
    Call(u64),
    Update(u64),
    InvalidateKey(u64),
    InvalidateGroup(u64),
    InvalidateAll,
    InvalidatePrefix(u64),
    Refresh(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..IDS).prop_map(Op::Call),
        2 => (0..IDS).prop_map(Op::Update),
        1 => (0..IDS).prop_map(Op::InvalidateKey),
        1 => (0..3u64).prop_map(Op::InvalidateGroup),
        1 => Just(Op::InvalidateAll),
        1 => (0..2u64).prop_map(Op::InvalidatePrefix),
        1 => (0..IDS).prop_map(Op::Refresh),
    ]
}

/// What a correct cache holds: id → cached version.
#[derive(Default)]
struct Model {
    db: HashMap<u64, u64>,
    cached: HashMap<u64, u64>,
}

async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    caches::insert("model", Arc::new(MemoryCache::default()));
    *DB.lock().unwrap() = Some(HashMap::new());
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Call(id) => {
                let got = read(id, group_of(id), half_of(id)).await;
                let db = model.db.get(&id).copied().unwrap_or(0);
                let expected = *model.cached.entry(id).or_insert(db);
                prop_assert_eq!(got, (id, expected), "step {} {:?} in {:?}", step, op, ops);
            }
            Op::Update(id) => {
                *model.db.entry(id).or_default() += 1;
                DB.lock()
                    .unwrap()
                    .as_mut()
                    .unwrap()
                    .insert(id, model.db[&id]);
            }
            Op::InvalidateKey(id) => {
                read_cache()
                    .invalidate_cache_by_key(&id, &half_of(id))
                    .await
                    .unwrap();
                model.cached.remove(&id);
            }
            Op::InvalidateGroup(group) => {
                using_alias("model")
                    .invalidate_cache_tags(format!("group:{group}"))
                    .await
                    .unwrap();
                model.cached.retain(|id, _| group_of(*id) != group);
            }
            Op::InvalidateAll => {
                read_cache().invalidate_tags("all").await.unwrap();
                model.cached.clear();
            }
            Op::InvalidatePrefix(half) => {
                read_cache()
                    .invalidate_prefix(&format!("half:{half}"))
                    .await
                    .unwrap();
                model.cached.retain(|id, _| half_of(*id) != half);
            }
            Op::Refresh(id) => {
                let got = read_cache()
                    .refresh_cache(read(id, group_of(id), half_of(id)))
                    .await;
                let db = model.db.get(&id).copied().unwrap_or(0);
                prop_assert_eq!(got, (id, db), "refresh at step {}", step);
                model.cached.insert(id, db);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn every_returned_value_matches_the_model(ops in proptest::collection::vec(op(), 1..80)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(ops))?;
    }
}
