//! Model-based property test on every backend: random sequences of calls, data updates,
//! invalidations by key, tag and prefix, and refreshes, checked call by call against a plain
//! model of what a correct cache returns (as the facade's `tests/model.rs` does on memory).
//! Each case gets a fresh instance under the backend's alias and its own key namespace.

mod reliability;

use easy_cache::{caches, ecached, using_alias};
use easy_cache_integration_tests::env::{self, require_url};
use proptest::prelude::*;
use reliability::{namespace, with_option};
use std::collections::HashMap;
use std::sync::Mutex;

const IDS: u64 = 6;

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

/// What a correct cache holds: the data (id → version) and the cached versions.
#[derive(Default)]
struct Model {
    db: HashMap<u64, u64>,
    cached: HashMap<u64, u64>,
}

impl Model {
    fn db(&self, id: u64) -> u64 {
        self.db.get(&id).copied().unwrap_or(0)
    }
}

macro_rules! model_test {
    ($module:ident, $alias:tt, $cases:expr, $url:expr) => {
        mod $module {
            use super::*;

            /// The data source behind the cached function: id → version.
            static DB: Mutex<Option<HashMap<u64, u64>>> = Mutex::new(None);

            fn db_version(id: u64) -> u64 {
                DB.lock()
                    .unwrap()
                    .as_ref()
                    .and_then(|db| db.get(&id).copied())
                    .unwrap_or(0)
            }

            // `ns` keeps cases apart even on backends without a `key_prefix` option.
            #[ecached("{ns}:model:{id}", tags = ["{ns}:group:{group}", "{ns}:all"], prefix = "{ns}:half:{half}", cache_alias = $alias)]
            async fn read(ns: &str, id: u64, group: u64, half: u64) -> (u64, u64) {
                let _ = (ns, group, half);
                (id, db_version(id))
            }

            async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
                let ns = namespace($alias);
                let make_url = $url;
                let url: String = make_url(&ns);
                caches::insert($alias, caches::from_url(&url).expect("backend URL"));
                *DB.lock().unwrap() = Some(HashMap::new());
                let mut model = Model::default();
                let call = |id: u64| read(&ns, id, group_of(id), half_of(id));
                for (step, op) in ops.iter().enumerate() {
                    let at = || format!("[{}] step {step} {op:?} in {ops:?}", $alias);
                    match *op {
                        Op::Call(id) => {
                            let got = call(id).await;
                            let db = model.db(id);
                            let expected = *model.cached.entry(id).or_insert(db);
                            prop_assert_eq!(got, (id, expected), "{}", at());
                        }
                        Op::Update(id) => {
                            *model.db.entry(id).or_default() += 1;
                            let version = model.db(id);
                            DB.lock().unwrap().as_mut().unwrap().insert(id, version);
                        }
                        Op::InvalidateKey(id) => {
                            read_cache()
                                .invalidate_cache_by_key(&ns, &id, &half_of(id))
                                .await
                                .map_err(|e| TestCaseError::fail(format!("{}: {e}", at())))?;
                            model.cached.remove(&id);
                        }
                        Op::InvalidateGroup(group) => {
                            using_alias($alias)
                                .invalidate_cache_tags(format!("{ns}:group:{group}"))
                                .await
                                .map_err(|e| TestCaseError::fail(format!("{}: {e}", at())))?;
                            model.cached.retain(|id, _| group_of(*id) != group);
                        }
                        Op::InvalidateAll => {
                            read_cache()
                                .invalidate_tags(format!("{ns}:all"))
                                .await
                                .map_err(|e| TestCaseError::fail(format!("{}: {e}", at())))?;
                            model.cached.clear();
                        }
                        Op::InvalidatePrefix(half) => {
                            read_cache()
                                .invalidate_prefix(&format!("{ns}:half:{half}"))
                                .await
                                .map_err(|e| TestCaseError::fail(format!("{}: {e}", at())))?;
                            model.cached.retain(|id, _| half_of(*id) != half);
                        }
                        Op::Refresh(id) => {
                            let got = read_cache().refresh_cache(call(id)).await;
                            let db = model.db(id);
                            prop_assert_eq!(got, (id, db), "refresh: {}", at());
                            model.cached.insert(id, db);
                        }
                    }
                }
                Ok(())
            }

            proptest! {
                #![proptest_config(ProptestConfig { cases: $cases, failure_persistence: None, ..ProptestConfig::default() })]

                #[test]
                fn every_returned_value_matches_the_model(ops in proptest::collection::vec(op(), 1..60)) {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(run(ops))?;
                }
            }
        }
    };
}

model_test!(memory, "rel_model_memory", 200, |_: &str| "memory://"
    .to_owned());
model_test!(sled, "rel_model_sled", 60, |ns: &str| format!(
    "sled://?temporary=true&key_prefix={ns}:"
));
model_test!(redis, "rel_model_redis", 40, |ns: &str| with_option(
    &require_url(env::REDIS_URL),
    "key_prefix",
    &format!("{ns}:")
));
model_test!(
    memcached,
    "rel_model_memcached",
    40,
    |ns: &str| with_option(
        &require_url(env::MEMCACHED_URL),
        "key_prefix",
        &format!("{ns}:")
    )
);
