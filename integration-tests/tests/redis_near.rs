//! The Redis near cache across processes, on a private server each: two independent caches
//! (own connections, as two processes have) on one Redis; B serves from its near cache; A
//! invalidates by key, tag and prefix; once B's connection has answered one round trip
//! after A's invalidation returned, B's next call is fresh. A push landing while B's read is
//! out drops that read's fill; a lost connection empties the near cache; a cluster is
//! refused.

use easy_cache_core::__private::{
    AnyValue, CacheTarget, CallSpec, FnCache, InstanceLookup, NearProbe, NearViaClone as _,
};
use easy_cache_core::{
    Bytes, CacheInstance, DefaultCodec, ErrorKind, Invalidator, NearCache, Result, Timeout, Write,
    async_trait, prefix_version_key, tag_version_key,
};
use easy_cache_integration_tests::redis_stats::command_calls;
use easy_cache_integration_tests::servers::{RedisServer, ServerMode, start_redis};
use easy_cache_redis::{RedisCache, RedisConfig};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Rounds per kind of invalidation.
const ROUNDS: u32 = 2000;

async fn private_redis() -> RedisServer {
    start_redis(ServerMode::from_env())
        .await
        .unwrap_or_else(|e| panic!("cannot start a private redis: {e}"))
}

/// A cache with a near cache, on a connection of its own.
fn near_cache(url: &str) -> Arc<RedisCache> {
    let url = format!("{url}?timeout_ms=1000&connect_timeout_ms=1000&near_capacity=1000");
    let cache = RedisCache::new(RedisConfig::from_url(&url).expect("redis URL"));
    Arc::new(cache.expect("a redis cache"))
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// The server's count of `GET` and `MGET`.
async fn reads(admin: &mut redis::aio::MultiplexedConnection) -> u64 {
    command_calls(admin, "get").await + command_calls(admin, "mget").await
}

/// One round trip on `cache`'s connection: every push the server sent it before has been
/// applied once this returns (pushes and replies arrive in order).
async fn round_trip(cache: &RedisCache) {
    cache
        .get("near-test:round-trip")
        .await
        .expect("a round trip");
}

/// Resolves every alias to one instance.
struct Only(Arc<dyn CacheInstance>);

impl InstanceLookup for Only {
    fn generation(&self) -> u64 {
        0
    }
    fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> {
        Some(Arc::clone(&self.0))
    }
}

/// Computations of every function of a test: a value is the count when it was computed,
/// so a value served after an invalidation must be above the count before it.
struct Counter(AtomicU32);

impl Counter {
    fn leak() -> &'static Counter {
        Box::leak(Box::new(Counter(AtomicU32::new(0))))
    }
    fn get(&self) -> u32 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A cached function on one instance, as `#[ecached]` expands it, tagged `tag` under the
/// prefix `prefix`: what two processes running the same code would each have.
struct Function {
    cache: &'static FnCache,
    runs: &'static Counter,
    versions: [String; 2],
}

impl Function {
    fn new(instance: Arc<dyn CacheInstance>, runs: &'static Counter) -> Self {
        let id: &'static str = "redis_near::f";
        let lookup: &'static Only = Box::leak(Box::new(Only(instance)));
        let cache = FnCache::new(id, id, CacheTarget::Alias("near"), lookup, true);
        Function {
            cache: Box::leak(Box::new(cache)),
            runs,
            versions: [
                tag_version_key("near-tag"),
                prefix_version_key("near-prefix"),
            ],
        }
    }

    fn call(&self, key: &str) -> impl Future<Output = u32> + use<> {
        let runs = self.runs;
        self.call_with(
            key,
            async move { runs.0.fetch_add(1, Ordering::SeqCst) + 1 },
        )
    }

    fn call_with<F: Future<Output = u32> + Send + 'static>(
        &self,
        key: &str,
        compute: F,
    ) -> impl Future<Output = u32> + use<F> {
        let (cache, key, versions) = (self.cache, key.to_owned(), self.versions.clone());
        async move {
            let versions = [versions[0].as_str(), versions[1].as_str()];
            let spec = CallSpec {
                key: &key,
                versions: &versions,
                timeout: Timeout::secs(600),
                stamp: 11,
                local: None,
            };
            let near = NearProbe::<u32>::new().near_ops();
            cache
                .call::<DefaultCodec, AnyValue, _, _>(spec, None, near, compute)
                .await
        }
    }

    /// Calls until a call is served by the near cache (no read at the server), at most
    /// 5 calls: a miss writes (not kept), the next call reads and keeps.
    async fn until_near(&self, key: &str, admin: &mut redis::aio::MultiplexedConnection) -> u32 {
        for _ in 0..5 {
            let before = reads(admin).await;
            let value = self.call(key).await;
            if reads(admin).await == before {
                return value;
            }
        }
        panic!("{key}: never served by the near cache");
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Key,
    Tag,
    Prefix,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_redis_another_instances_invalidation_reaches_it_by_key_tag_and_prefix() {
    let server = private_redis().await;
    let url = server.url();
    let (a, b) = (near_cache(&url), near_cache(&url));
    let runs = Counter::leak();
    let fa = Function::new(a.clone(), runs);
    let fb = Function::new(b.clone(), runs);
    let invalidator = Invalidator::on_instance(a.clone());
    let mut admin = raw(&url).await;

    // B serves from its near cache: 100 hits, no read at the server.
    let value = fb.until_near("k", &mut admin).await;
    let before = reads(&mut admin).await;
    for _ in 0..100 {
        assert_eq!(fb.call("k").await, value);
    }
    assert_eq!(
        reads(&mut admin).await - before,
        0,
        "near hits read nothing"
    );

    for kind in [Kind::Key, Kind::Tag, Kind::Prefix] {
        let (mut stale, mut near_hits) = (0, 0);
        for _ in 0..ROUNDS {
            // A computes the value (or hits it), B holds it in its near cache.
            fa.call("k").await;
            let held = fb.call("k").await;
            let held = if held == fb.call("k").await {
                near_hits += 1;
                held
            } else {
                fb.call("k").await
            };
            let before = runs.get();
            match kind {
                Kind::Key => drop(invalidator.invalidate_key("k").await.unwrap()),
                Kind::Tag => invalidator.invalidate_tags("near-tag").await.unwrap(),
                Kind::Prefix => invalidator.invalidate_prefix("near-prefix").await.unwrap(),
            }
            round_trip(&b).await;
            let after = fb.call("k").await;
            if after <= before {
                stale += 1;
                assert_eq!(after, held, "a stale value is the one B held");
            }
        }
        assert_eq!(
            stale, 0,
            "{kind:?}: stale reads of {ROUNDS} after an invalidation"
        );
        assert!(near_hits > 0, "{kind:?}: B served from its near cache");
        eprintln!("{kind:?}: {ROUNDS} rounds, 0 stale");
    }
    server.into_handle().remove().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_redis_raw_writes_of_another_client_reach_it() {
    let server = private_redis().await;
    let url = server.url();
    let b = near_cache(&url);
    let mut other = raw(&url).await;
    let fb = Function::new(b.clone(), Counter::leak());
    let mut admin = raw(&url).await;
    for round in 0..200u32 {
        fb.until_near("raw", &mut admin).await;
        let before = fb.runs.get();
        if round % 2 == 0 {
            redis::cmd("DEL")
                .arg("raw")
                .exec_async(&mut other)
                .await
                .unwrap();
        } else {
            // Junk in place of the entry: B must not keep serving what it held.
            redis::cmd("SET")
                .arg("raw")
                .arg("junk")
                .exec_async(&mut other)
                .await
                .unwrap();
        }
        round_trip(&b).await;
        assert!(fb.call("raw").await > before, "round {round}: served stale");
    }
    server.into_handle().remove().await.unwrap();
}

/// A Redis cache whose reads wait, once armed, after the server answered and before they
/// return: the engine's fill of the near cache happens after the release.
struct PausedReads {
    inner: Arc<RedisCache>,
    armed: AtomicBool,
    read_done: Notify,
    release: Notify,
}

impl PausedReads {
    async fn pause(&self) {
        if self.armed.swap(false, Ordering::SeqCst) {
            self.read_done.notify_one();
            self.release.notified().await;
        }
    }
}

#[async_trait]
impl CacheInstance for PausedReads {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn near_cache(&self) -> Option<&NearCache> {
        self.inner.near_cache()
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let value = self.inner.get(key).await;
        self.pause().await;
        value
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let values = self.inner.get_many(keys).await;
        self.pause().await;
        values
    }
    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        self.inner.set(key, value, timeout).await
    }
    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        self.inner.set_many(entries, timeout).await
    }
    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        self.inner.add(key, value, timeout).await
    }
    async fn delete(&self, key: &str) -> Result<bool> {
        self.inner.delete(key).await
    }
    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        self.inner.delete_many(keys).await
    }
    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        self.inner.write_batch(writes).await
    }
    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.inner.keep_alive(key, timeout).await
    }
}

/// The read/invalidate race, made deterministic: B's read is answered (the old value), A
/// invalidates, B's connection applies the push, then B's fill runs. The fill must be
/// dropped (the watch taken before the read moved); without that check B would keep the
/// old value after the invalidation, with no push left to remove it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_redis_a_push_during_a_read_drops_its_fill() {
    let server = private_redis().await;
    let url = server.url();
    let a = near_cache(&url);
    let b_cache = near_cache(&url);
    let b = Arc::new(PausedReads {
        inner: b_cache.clone(),
        armed: AtomicBool::new(false),
        read_done: Notify::new(),
        release: Notify::new(),
    });
    let runs = Counter::leak();
    let fa = Function::new(a.clone(), runs);
    let fb = Function::new(b.clone(), runs);
    let invalidator = Invalidator::on_instance(a.clone());
    for round in 0..50 {
        let key = format!("race:{round}");
        let stored = fa.call(&key).await; // in Redis, not yet in B's near cache
        b.armed.store(true, Ordering::SeqCst);
        let read = tokio::spawn(fb.call(&key));
        b.read_done.notified().await;
        let before = runs.get();
        if round % 2 == 0 {
            invalidator.invalidate_key(&key).await.unwrap();
        } else {
            invalidator.invalidate_tags("near-tag").await.unwrap();
        }
        round_trip(&b_cache).await;
        b.release.notify_one();
        assert_eq!(read.await.unwrap(), stored, "read before the invalidation");
        let after = fb.call(&key).await;
        assert!(
            after > before,
            "round {round}: the value read before the invalidation was kept ({after})"
        );
    }
    server.into_handle().remove().await.unwrap();
}

/// A lost connection (killed by the server, or the server restarted) empties the near
/// cache: a change made while B had no connection is never hidden behind what B held.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_redis_no_entry_survives_a_lost_connection() {
    let server = private_redis().await;
    let url = server.url();
    let b = near_cache(&url);
    let fb = Function::new(b.clone(), Counter::leak());
    let mut admin = raw(&url).await;

    for round in 0..20 {
        fb.until_near("lost", &mut admin).await;
        let before = fb.runs.get();
        // Kill every connection but the admin's, then change the entry: B hears nothing.
        redis::cmd("CLIENT")
            .arg(&["KILL", "TYPE", "normal", "SKIPME", "yes"][..])
            .exec_async(&mut admin)
            .await
            .unwrap();
        redis::cmd("DEL")
            .arg("lost")
            .exec_async(&mut admin)
            .await
            .unwrap();
        // B's next command finds its connection gone and opens another.
        let deadline = Instant::now() + Duration::from_secs(5);
        while b.get("near-test:probe").await.is_err() {
            assert!(Instant::now() < deadline, "no connection after the kill");
        }
        assert!(
            fb.call("lost").await > before,
            "round {round}: served stale"
        );
    }

    fb.until_near("lost", &mut admin).await;
    let before = fb.runs.get();
    server.stop().await.unwrap();
    server.start().await.unwrap();
    let mut admin = raw(&url).await;
    redis::cmd("SET")
        .arg("lost")
        .arg("junk")
        .exec_async(&mut admin)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.get("near-test:probe").await.is_err() {
        assert!(Instant::now() < deadline, "no connection after the restart");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        fb.call("lost").await > before,
        "served stale after a restart"
    );
    server.into_handle().remove().await.unwrap();
}

#[test]
fn near_redis_cluster_is_refused_with_a_config_error() {
    let err = easy_cache::caches::from_url("redis+cluster://a:7000,b:7000?near_capacity=100")
        .err()
        .expect("a near cache on a cluster is refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("cluster"), "{err}");
    let err =
        easy_cache::caches::from_url("redis://h:6379?near_capacity=100&client_tracking=false")
            .err()
            .expect("a near cache without tracking is refused");
    assert_eq!(err.kind(), ErrorKind::Config);
    let ok = easy_cache::caches::from_url("redis://h:6379?near_capacity=100").unwrap();
    assert!(ok.near_cache().is_some());
}
