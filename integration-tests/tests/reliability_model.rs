//! Model-based property test on every backend: random sequences of calls, data updates,
//! invalidations by key, tag and prefix, refreshes and clock advances, checked call by call
//! against a plain model of what a correct cache returns. Each case gets a fresh instance
//! under the backend's alias and its own key namespace.
//!
//! Two properties per backend: one without expiry (many fast cases), and one whose entries
//! live [`TTL`] while the clock advances by real sleeps (few cases). Backends expire with
//! some slack (memcached's clock ticks once a second), so around an expiry the model
//! accepts either the cached value or a fresh one; outside that window it demands one.

mod reliability;

use easy_cache::{caches, ecached, using_alias};
use easy_cache_integration_tests::env::{self, require_url};
use proptest::prelude::*;
use reliability::{namespace, with_option};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const IDS: u64 = 6;
/// How long entries of the expiring function live.
const TTL: Duration = Duration::from_secs(2);

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
    /// Let this much time pass (only in the expiring property).
    Advance(Duration),
}

fn op(advances: bool) -> impl Strategy<Value = Op> {
    let advance = prop::sample::select(vec![300u64, 1_100, 2_600])
        .prop_map(|ms| Op::Advance(Duration::from_millis(ms)));
    prop_oneof![
        4 => (0..IDS).prop_map(Op::Call),
        2 => (0..IDS).prop_map(Op::Update),
        1 => (0..IDS).prop_map(Op::InvalidateKey),
        1 => (0..3u64).prop_map(Op::InvalidateGroup),
        1 => Just(Op::InvalidateAll),
        1 => (0..2u64).prop_map(Op::InvalidatePrefix),
        1 => (0..IDS).prop_map(Op::Refresh),
        if advances { 2 } else { 0 } => advance,
    ]
}

/// A cached version and when it was stored: between `earliest` and `latest` (a call's
/// start and end, widened when the model cannot tell which of two calls stored it).
#[derive(Debug, Clone, Copy)]
struct Entry {
    version: u64,
    earliest: Instant,
    latest: Instant,
}

/// What a correct cache holds: the data (id → version) and the cached entries.
#[derive(Default)]
struct Model {
    db: HashMap<u64, u64>,
    cached: HashMap<u64, Entry>,
}

/// Expiry as the model sees it: entries live `ttl`, give or take `slack`.
#[derive(Clone, Copy)]
struct Expiry {
    ttl: Option<Duration>,
    slack: Duration,
}

impl Model {
    fn db(&self, id: u64) -> u64 {
        self.db.get(&id).copied().unwrap_or(0)
    }

    /// Checks what a call of `id` made between `start` and `end` returned, and records the
    /// entry it leaves behind.
    fn call(
        &mut self,
        id: u64,
        got: u64,
        (start, end): (Instant, Instant),
        expiry: Expiry,
    ) -> Result<(), String> {
        let fresh = Entry {
            version: self.db(id),
            earliest: start,
            latest: end,
        };
        let Some(entry) = self.cached.get(&id).copied() else {
            return self.expect(id, got, fresh, fresh);
        };
        let Some(ttl) = expiry.ttl else {
            return self.expect(id, got, entry, entry);
        };
        if end + expiry.slack < entry.earliest + ttl {
            self.expect(id, got, entry, entry)
        } else if start > entry.latest + ttl + expiry.slack {
            self.expect(id, got, fresh, fresh)
        } else if got == entry.version && got == fresh.version {
            // Either the old entry or a new one: the store time lies somewhere in between.
            let widened = Entry {
                latest: end,
                ..entry
            };
            self.expect(id, got, widened, widened)
        } else {
            self.expect(id, got, entry, fresh)
        }
    }

    /// `got` must be the version of `a` or of `b`; the matching one is now cached.
    fn expect(&mut self, id: u64, got: u64, a: Entry, b: Entry) -> Result<(), String> {
        let entry = if got == a.version {
            a
        } else if got == b.version {
            b
        } else {
            return Err(format!(
                "got version {got} of id {id}, expected {} or {}",
                a.version, b.version
            ));
        };
        self.cached.insert(id, entry);
        Ok(())
    }
}

macro_rules! model_test {
    ($module:ident, $alias:tt, cases = $cases:expr, timeout = $timeout:expr, expiry = $expiry:expr, $url:expr) => {
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
            #[ecached("{ns}:model:{id}", timeout = $timeout, tags = ["{ns}:group:{group}", "{ns}:all"], prefix = "{ns}:half:{half}", cache_alias = $alias)]
            async fn read(ns: &str, id: u64, group: u64, half: u64) -> (u64, u64) {
                let _ = (ns, group, half);
                (id, db_version(id))
            }

            async fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
                let expiry: Expiry = $expiry;
                let ns = namespace($alias);
                let make_url = $url;
                let url: String = make_url(&ns);
                caches::insert($alias, caches::from_url(&url).expect("backend URL"));
                *DB.lock().unwrap() = Some(HashMap::new());
                let mut model = Model::default();
                let call = |id: u64| read(&ns, id, group_of(id), half_of(id));
                for (step, op) in ops.iter().enumerate() {
                    let at = || format!("[{}] step {step} {op:?} in {ops:?}", $alias);
                    let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(format!("{}: {e}", at()));
                    match *op {
                        Op::Call(id) => {
                            let start = Instant::now();
                            let (got_id, got) = call(id).await;
                            prop_assert_eq!(got_id, id, "{}", at());
                            model
                                .call(id, got, (start, Instant::now()), expiry)
                                .map_err(|e| fail(&e))?;
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
                                .map_err(|e| fail(&e))?;
                            model.cached.remove(&id);
                        }
                        Op::InvalidateGroup(group) => {
                            using_alias($alias)
                                .invalidate_tags(format!("{ns}:group:{group}"))
                                .await
                                .map_err(|e| fail(&e))?;
                            model.cached.retain(|id, _| group_of(*id) != group);
                        }
                        Op::InvalidateAll => {
                            read_cache()
                                .invalidate_tags(format!("{ns}:all"))
                                .await
                                .map_err(|e| fail(&e))?;
                            model.cached.clear();
                        }
                        Op::InvalidatePrefix(half) => {
                            read_cache()
                                .invalidate_prefix(&format!("{ns}:half:{half}"))
                                .await
                                .map_err(|e| fail(&e))?;
                            model.cached.retain(|id, _| half_of(*id) != half);
                        }
                        Op::Refresh(id) => {
                            let start = Instant::now();
                            let got = read_cache().refresh_cache(call(id)).await;
                            let version = model.db(id);
                            prop_assert_eq!(got, (id, version), "refresh: {}", at());
                            let entry = Entry { version, earliest: start, latest: Instant::now() };
                            model.cached.insert(id, entry);
                        }
                        Op::Advance(by) => tokio::time::sleep(by).await,
                    }
                }
                Ok(())
            }

            proptest! {
                #![proptest_config(ProptestConfig { cases: $cases, failure_persistence: None, ..ProptestConfig::default() })]

                #[test]
                fn every_returned_value_matches_the_model(
                    ops in proptest::collection::vec(op($expiry.ttl.is_some()), 1..if $expiry.ttl.is_some() { 25 } else { 60 })
                ) {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    rt.block_on(run(ops))?;
                }
            }
        }
    };
}

/// No expiry: the model is exact.
const NEVER: Expiry = Expiry {
    ttl: None,
    slack: Duration::ZERO,
};
/// Entries live [`TTL`]; these stores expire within a quarter second of it.
const PRECISE: Expiry = Expiry {
    ttl: Some(TTL),
    slack: Duration::from_millis(250),
};
/// memcached's clock ticks once a second, so an entry may go up to a second early or late.
const COARSE: Expiry = Expiry {
    ttl: Some(TTL),
    slack: Duration::from_millis(1_250),
};

fn memory(_: &str) -> String {
    "memory://".to_owned()
}

fn sled(ns: &str) -> String {
    format!("sled://?temporary=true&key_prefix={ns}:")
}

fn redb(ns: &str) -> String {
    format!("redb://?temporary=true&key_prefix={ns}:")
}

fn redis(ns: &str) -> String {
    with_option(
        &require_url(env::REDIS_URL),
        "key_prefix",
        &format!("{ns}:"),
    )
}

fn memcached(ns: &str) -> String {
    with_option(
        &require_url(env::MEMCACHED_URL),
        "key_prefix",
        &format!("{ns}:"),
    )
}

use easy_cache::Timeout;
model_test!(
    memory_model,
    "rel_model_memory",
    cases = 200,
    timeout = Timeout::Never,
    expiry = NEVER,
    memory
);
model_test!(
    sled_model,
    "rel_model_sled",
    cases = 60,
    timeout = Timeout::Never,
    expiry = NEVER,
    sled
);
model_test!(
    redb_model,
    "rel_model_redb",
    cases = 60,
    timeout = Timeout::Never,
    expiry = NEVER,
    redb
);
model_test!(
    redis_model,
    "rel_model_redis",
    cases = 40,
    timeout = Timeout::Never,
    expiry = NEVER,
    redis
);
model_test!(
    memcached_model,
    "rel_model_memcached",
    cases = 40,
    timeout = Timeout::Never,
    expiry = NEVER,
    memcached
);
model_test!(
    memory_expiring,
    "rel_model_memory_exp",
    cases = 8,
    timeout = TTL,
    expiry = PRECISE,
    memory
);
model_test!(
    sled_expiring,
    "rel_model_sled_exp",
    cases = 6,
    timeout = TTL,
    expiry = PRECISE,
    sled
);
model_test!(
    redb_expiring,
    "rel_model_redb_exp",
    cases = 6,
    timeout = TTL,
    expiry = PRECISE,
    redb
);
model_test!(
    redis_expiring,
    "rel_model_redis_exp",
    cases = 6,
    timeout = TTL,
    expiry = PRECISE,
    redis
);
model_test!(
    memcached_expiring,
    "rel_model_memcached_exp",
    cases = 6,
    timeout = TTL,
    expiry = COARSE,
    memcached
);
