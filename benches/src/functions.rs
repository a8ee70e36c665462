//! The decorated functions the benches and examples measure, the caches they use, and
//! the raw baselines' lookups.

use crate::counting::{CountingCache, Counts};
use crate::{env, memcached_side};
use easy_cache::memcached::MemcachedCache;
use easy_cache::redb::redb::{ReadableDatabase, ReadableTable, TableDefinition};
use easy_cache::redb::{RedbCache, RedbConfig};
use easy_cache::sled::{SledCache, SledConfig};
use easy_cache::{Codec, DefaultCodec, caches, ecached};
use redis::aio::ConnectionManager;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Alias of the Redis cache (the `redis_hit_*` lines).
pub const REDIS: &str = "bench_redis";
/// Alias of the Redis cache behind a [`CountingCache`] (`redis_miss_round_trips`).
pub const REDIS_COUNTED: &str = "bench_redis_counted";
/// Alias of the Redis cache with a near cache (the `redis_near_*` lines).
pub const REDIS_NEAR: &str = "bench_redis_near";
/// Alias of the two-server Memcached cache (the `memcached_*` lines).
pub const MEMCACHED: &str = "bench_memcached";
/// Alias of the sled cache (`sled_hit_vs_raw_get`).
pub const SLED: &str = "bench_sled";
/// Alias of the redb cache (`redb_hit_vs_raw_get`).
pub const REDB: &str = "bench_redb";

/// A tagged Redis hit: it reads the entry, two tag versions and a prefix version, in one
/// `MGET` (or one `GET` with the versions tracked in memory).
#[ecached("redis_hit:{n}", tags = ["bench", "bench:{n}"], prefix = "bench_prefix:{n}", cache_alias = "bench_redis")]
pub async fn redis_tagged(n: u64) -> u64 {
    n * n
}

/// The same tagged Redis hit on a cache with a near cache: served in process, no command.
#[ecached("redis_near:{n}", tags = ["bench", "bench:{n}"], prefix = "bench_prefix:{n}", cache_alias = "bench_redis_near")]
pub async fn redis_near_tagged(n: u64) -> u64 {
    n * n
}

/// Runs of [`redis_tagged_counted`]'s body: how many calls were misses.
pub static COUNTED_RUNS: AtomicU64 = AtomicU64::new(0);

/// A tagged Redis miss then store: the same shape on the counting front; called with a new `n` each time, so every
/// call is a miss that stores.
#[ecached("redis_miss:{n}", tags = ["bench", "bench:{n}"], prefix = "bench_prefix:{n}", cache_alias = "bench_redis_counted")]
pub async fn redis_tagged_counted(n: u64) -> u64 {
    COUNTED_RUNS.fetch_add(1, Ordering::SeqCst);
    n * n
}

/// A plain hit on Memcached (one key, one server).
#[ecached("mc_hit:{n}", cache_alias = "bench_memcached")]
pub async fn memcached_plain(n: u64) -> u64 {
    n * n
}

/// A Memcached hit with two tags, whose keys spread over the servers (requests per server).
#[ecached("mc_tagged:{n}", tags = ["bench", "bench:{n}"], cache_alias = "bench_memcached")]
pub async fn memcached_tagged(n: u64) -> u64 {
    n * n
}

/// A plain hit on sled.
#[ecached("sled_hit:{n}", cache_alias = "bench_sled")]
pub async fn sled_plain(n: u64) -> u64 {
    n * n
}

/// A plain hit on redb.
#[ecached("redb_hit:{n}", cache_alias = "bench_redb")]
pub async fn redb_plain(n: u64) -> u64 {
    n * n
}

/// Registers the Redis of `$EASY_CACHE_TEST_REDIS_URL` as [`REDIS`]; returns the URL.
pub fn install_redis() -> String {
    let url = env::url(env::REDIS_URL);
    caches::insert(REDIS, caches::from_url(&url).expect("a Redis cache"));
    url
}

/// Registers the Redis of `$EASY_CACHE_TEST_REDIS_URL` with a near cache
/// (`near_capacity=10000`) as [`REDIS_NEAR`]; returns the URL it used.
pub fn install_redis_near() -> String {
    let url = with_near(&env::url(env::REDIS_URL));
    caches::insert(REDIS_NEAR, caches::from_url(&url).expect("a Redis cache"));
    url
}

/// `url` with `near_capacity=10000` added.
pub fn with_near(url: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}near_capacity=10000")
}

/// Calls [`redis_near_tagged`]`(n)` until it is served by the near cache: a miss stores
/// (a value just written is not kept near), the next call reads it back and keeps it.
pub async fn warm_redis_near(n: u64) {
    for _ in 0..3 {
        redis_near_tagged(n).await;
    }
}

/// Registers the same Redis behind a counting front as [`REDIS_COUNTED`].
pub fn install_redis_counted() -> Arc<Counts> {
    let url = env::url(env::REDIS_URL);
    let cache = CountingCache::new(caches::from_url(&url).expect("a Redis cache"));
    let counts = Arc::clone(cache.counts());
    caches::insert(REDIS_COUNTED, Arc::new(cache));
    counts
}

/// Registers the first two Memcached servers as [`MEMCACHED`]; returns their addresses.
pub fn install_memcached() -> Vec<String> {
    let config = memcached_side::config(&env::url(env::MEMCACHED_URL));
    let servers = config.servers.clone();
    let cache = MemcachedCache::new(config).expect("a Memcached cache");
    caches::insert(MEMCACHED, Arc::new(cache));
    servers
}

/// Registers a temporary sled database as [`SLED`]; returns its tree, for the raw baseline.
pub fn install_sled() -> easy_cache::sled::sled::Tree {
    let cache = SledCache::new(SledConfig::temporary()).expect("a sled cache");
    let tree = cache.tree().expect("the sled tree");
    caches::insert(SLED, Arc::new(cache));
    tree
}

/// Registers a temporary redb database as [`REDB`], with the raw baseline's record
/// `redb_raw:7` = 49 written in its table; returns the cache, for the raw baseline.
pub fn install_redb() -> Arc<RedbCache> {
    let cache = Arc::new(RedbCache::new(RedbConfig::temporary()).expect("a redb cache"));
    let db = cache.database().expect("the redb database");
    let txn = db.begin_write().expect("a write transaction");
    txn.open_table(redb_table(&cache))
        .expect("the table")
        .insert(&b"redb_raw:7"[..], encoded(49).as_slice())
        .expect("raw insert");
    txn.commit().expect("commit");
    caches::insert(
        REDB,
        Arc::clone(&cache) as Arc<dyn easy_cache::CacheInstance>,
    );
    cache
}

/// The table of `cache`'s records.
fn redb_table(cache: &RedbCache) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(&cache.config().table)
}

/// The raw redb baseline: format the key (as the decorated function does), a read
/// transaction, open the table, get, decode.
pub fn redb_raw_get(cache: &RedbCache, n: u64) -> u64 {
    let key = format!("redb_raw:{n}");
    let txn = cache
        .database()
        .expect("open")
        .begin_read()
        .expect("a read transaction");
    let table = txn.open_table(redb_table(cache)).expect("the table");
    let value = table
        .get(key.as_bytes())
        .expect("redb get")
        .expect("stored");
    decoded(value.value())
}

/// A `u64` in the default codec, as a raw baseline stores it.
pub fn encoded(value: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    DefaultCodec::encode(&value, &mut bytes).expect("a u64 encodes");
    bytes
}

/// Decodes what [`encoded`] made.
pub fn decoded(bytes: &[u8]) -> u64 {
    DefaultCodec::decode(bytes).expect("a stored u64")
}

/// The raw Redis baseline: one `GET`, decode.
pub async fn redis_raw_get(conn: &mut ConnectionManager, key: &str) -> u64 {
    let bytes: Vec<u8> = redis::cmd("GET")
        .arg(key)
        .query_async(conn)
        .await
        .expect("GET of the baseline key");
    decoded(&bytes)
}

/// The keys a hit of [`redis_tagged`]`(7)` reads: the entry, two tag versions, the prefix
/// version.
pub const REDIS_TAGGED_KEYS: [&str; 4] = [
    "redis_hit:7",
    "ec:t:bench",
    "ec:t:bench:7",
    "ec:p:bench_prefix:7",
];

/// A reference, not a target's baseline: one raw `MGET` of `keys`, the read a tagged hit
/// makes; returns the bytes found.
pub async fn redis_raw_mget(conn: &mut ConnectionManager, keys: &[&str]) -> usize {
    let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
        .arg(keys)
        .query_async(conn)
        .await
        .expect("MGET of the hit's keys");
    values.iter().flatten().map(Vec::len).sum()
}

/// Stores the raw Redis baseline's value under `key`.
pub async fn redis_raw_set(conn: &mut ConnectionManager, key: &str, value: u64) {
    let () = redis::cmd("SET")
        .arg(key)
        .arg(encoded(value))
        .query_async(conn)
        .await
        .expect("SET of the baseline key");
}
