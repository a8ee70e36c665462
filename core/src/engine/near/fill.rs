//! The engine's side of the near cache: the lookup before the backend is asked, and the
//! fills after a backend hit or a stored computation.

use super::local;
use super::probe::NearOps;
use super::store::{Fill, Lookup};
use super::{Keep, NearCache, Watch};
use crate::backend::CacheInstance;
use crate::engine::FnCache;
use crate::engine::resilience::Lifetime;
use crate::engine::spec::CallSpec;

/// What the near cache said before a call asked the backend.
pub(crate) enum NearStart<T> {
    Hit(T),
    /// A hit past its refresh point: serve it and start the refresh, which fills the
    /// near cache through this.
    Due(T, NearRead<T>),
    /// Ask the backend; fill through this afterwards (`None`: no near cache).
    Read(Option<NearRead<T>>),
}

/// What a call remembers to fill the near cache after its backend read or computation.
pub(crate) struct NearRead<T> {
    ops: NearOps<T>,
    /// The near cache's id, to fill only the one that was watched.
    near: u64,
    watch: Watch,
    /// The lifetime of an entry found changed, kept if the backend confirms it.
    recheck: Option<Keep>,
    /// Whether entries carry tag or prefix versions (then they are checked after a
    /// version changed).
    versioned: bool,
}

impl FnCache {
    /// Looks the call up in the near cache (unless `refreshing`), and takes what a fill
    /// needs: the counts seen before the backend is read.
    pub(crate) fn near_start<T>(
        &self,
        ops: Option<NearOps<T>>,
        spec: &CallSpec<'_>,
        versioned: bool,
        refreshing: bool,
    ) -> NearStart<T> {
        let Some(ops) = ops.filter(|_| self.near_possible()) else {
            return NearStart::Read(None);
        };
        let start = |instance: &dyn CacheInstance| {
            let Some(near) = instance.near_cache() else {
                return NearStart::Read(None);
            };
            let mut due = None;
            let recheck = if refreshing {
                None
            } else {
                // Before the lookup: a change landing during it leaves the copy stale.
                let seen = spec.local.map(|_| local::seen(spec.key));
                match (ops.lookup)(&self.near, near, spec.key) {
                    Lookup::Hit(value, until) => {
                        if let (Some(key), Some(seen)) = (spec.local, seen) {
                            (ops.keep_local)(key, &value, until, seen);
                        }
                        return NearStart::Hit(value);
                    }
                    Lookup::Due(value) => {
                        due = Some(value);
                        None
                    }
                    Lookup::Check(keep) => Some(keep),
                    Lookup::Miss => None,
                }
            };
            // Taken before the backend is read (a hit needs none).
            let watch = near.watch(spec.key);
            let read = NearRead {
                ops,
                near: near.id(),
                watch,
                recheck,
                versioned,
            };
            match due {
                Some(value) => NearStart::Due(value, read),
                None => NearStart::Read(Some(read)),
            }
        };
        match self.with_instance(|instance, _| start(instance)) {
            Some(started) => started,
            // Not resolved yet (a first call): resolve now, so this call's value is kept.
            None => match self.instance() {
                Some(instance) => start(&*instance),
                None => NearStart::Read(None),
            },
        }
    }

    /// Keeps `value`, just read from the backend and found valid, unless its key changed
    /// since the read began.
    pub(crate) fn near_fill_read<T>(
        &self,
        read: Option<&NearRead<T>>,
        instance: Option<&dyn CacheInstance>,
        spec: &CallSpec<'_>,
        value: &T,
    ) {
        if read.is_none() {
            return;
        }
        let Some(instance) = instance else {
            // An in-process read: the instance is borrowed again, without waiting.
            self.with_instance(|instance, _| {
                self.near_fill_read(read, Some(instance), spec, value)
            });
            return;
        };
        let Some((read, near)) = self.near_target(read, Some(instance)) else {
            return;
        };
        let keep = read
            .recheck
            .unwrap_or_else(|| near.keep(spec.timeout, false));
        let fill = Fill {
            checked_at: read.checked_at(),
            ..Fill::default()
        };
        (read.ops.put)(&self.near, near, spec.key, value, keep, fill);
        // Counted after the insert: a change that landed during the read either moved
        // the count already, or removes this entry after it.
        if near.key_changed_since(spec.key, read.watch) {
            (read.ops.remove)(&self.near, near, spec.key);
        }
    }

    /// Keeps `value`, just computed and written to the backend with `lifetime`, while its
    /// write gate is held (a key invalidation waits for it, then removes the entry).
    pub(crate) fn near_fill_written<T>(
        &self,
        read: Option<&NearRead<T>>,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        value: &T,
        lifetime: &Lifetime,
    ) {
        let Some((read, near)) = self.near_target(read, Some(instance)) else {
            return;
        };
        if !near.config().keeps_writes() {
            return;
        }
        let keep = near.keep_until(lifetime.fresh_until);
        let fill = Fill {
            refresh_at: lifetime
                .times
                .map(|times| times.refresh_at)
                .filter(|&at| at != 0),
            checked_at: read.checked_at(),
            ..Fill::default()
        };
        (read.ops.put)(&self.near, near, spec.key, value, keep, fill);
    }

    fn near_target<'a, T>(
        &self,
        read: Option<&'a NearRead<T>>,
        instance: Option<&'a dyn CacheInstance>,
    ) -> Option<(&'a NearRead<T>, &'a NearCache)> {
        let read = read?;
        let near = instance?.near_cache()?;
        (near.id() == read.near).then_some((read, near))
    }
}

impl<T> NearRead<T> {
    /// The versions count an entry filled by this call is known current at: the one seen
    /// before its versions were read (`None` when it carries none).
    fn checked_at(&self) -> Option<u64> {
        self.versioned.then_some(self.watch.versions)
    }
}

#[cfg(test)]
mod tests {
    use super::super::NearConfig;
    use super::super::probe::{NearProbe, NearViaClone};
    use super::*;
    use crate::alias_lookup::InstanceLookup;
    use crate::backend::timeout::Timeout;
    use crate::codec::DefaultCodec;
    use crate::engine::CacheTarget;
    use crate::engine::refresh::refresh_scope;
    use crate::error::Result;
    use crate::handle::invalidator::Invalidator;
    use crate::policy::AnyValue;
    use crate::testing::MapCache;
    use async_trait::async_trait;
    use bytes::Bytes;
    use std::future::Future;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, OnceLock};

    /// A map backend with a near cache, told of each of its sets and deletes.
    struct NearMap {
        map: MapCache,
        near: NearCache,
    }

    #[async_trait]
    impl CacheInstance for NearMap {
        fn name(&self) -> &str {
            "near-map"
        }
        fn near_cache(&self) -> Option<&NearCache> {
            Some(&self.near)
        }
        async fn get(&self, key: &str) -> Result<Option<Bytes>> {
            self.map.get(key).await
        }
        async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
            self.map.set(key, value, timeout).await?;
            self.near.changed(key);
            Ok(())
        }
        async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
            self.map.add(key, value, timeout).await
        }
        async fn delete(&self, key: &str) -> Result<bool> {
            let deleted = self.map.delete(key).await;
            self.near.changed(key);
            deleted
        }
    }

    /// One function's instance, built on first use.
    struct OneInstance(OnceLock<Arc<NearMap>>, NearConfig);

    impl OneInstance {
        const fn new(config: NearConfig) -> Self {
            OneInstance(OnceLock::new(), config)
        }
        fn get(&self) -> Arc<NearMap> {
            Arc::clone(self.0.get_or_init(|| {
                Arc::new(NearMap {
                    map: MapCache::default(),
                    near: NearCache::new(self.1),
                })
            }))
        }
    }

    impl InstanceLookup for OneInstance {
        fn generation(&self) -> u64 {
            0
        }
        fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> {
            Some(self.get())
        }
    }

    /// A function of its own (each test has one: the near cache counts are per instance).
    struct Function {
        cache: &'static FnCache,
        instance: &'static OneInstance,
        runs: &'static AtomicU32,
    }

    macro_rules! function {
        ($config:expr) => {{
            static INSTANCE: OneInstance = OneInstance::new($config);
            static CACHE: FnCache = FnCache::new(
                concat!(module_path!(), line!()),
                "near::tests::f",
                CacheTarget::Alias("near"),
                &INSTANCE,
                true,
            );
            static RUNS: AtomicU32 = AtomicU32::new(0);
            Function {
                cache: &CACHE,
                instance: &INSTANCE,
                runs: &RUNS,
            }
        }};
    }

    const USERS: &str = "ec:t:users";

    impl Function {
        /// A call under `key` depending on the `users` tag; the value is the number of
        /// computations so far (a hit returns an older number).
        fn call(&self, key: &'static str) -> impl Future<Output = u32> + use<> {
            let runs = self.runs;
            self.call_with(key, async move { runs.fetch_add(1, Ordering::SeqCst) + 1 })
        }

        /// `key` as stored: in a namespace of the function's own. Computations in flight are
        /// tracked by storage key across instances, so tests running side by side with the
        /// same keys would close each other's write gates.
        fn key(&self, key: &str) -> &'static str {
            Box::leak(format!("{}/{key}", self.cache.id()).into_boxed_str())
        }

        fn call_with<F: Future<Output = u32> + Send + 'static>(
            &self,
            key: &'static str,
            compute: F,
        ) -> impl Future<Output = u32> + use<F> {
            let cache = self.cache;
            let key = self.key(key);
            async move {
                let spec = CallSpec {
                    key,
                    versions: &[USERS],
                    timeout: Timeout::secs(600),
                    stamp: 3,
                    local: None,
                };
                let near = NearProbe::<u32>::new().near_ops();
                cache
                    .call::<DefaultCodec, AnyValue, _, _>(spec, None, near, compute)
                    .await
            }
        }

        fn runs(&self) -> u32 {
            self.runs.load(Ordering::SeqCst)
        }

        fn invalidator(&self) -> Invalidator {
            Invalidator::on_instance(self.instance.get())
        }

        /// Removes the stored bytes without telling the near cache: a later hit can only
        /// come from the near cache.
        async fn drop_behind_its_back(&self, key: &str) {
            self.instance.get().map.delete(self.key(key)).await.unwrap();
        }
    }

    const NEAR: NearConfig = NearConfig::new(100);

    #[tokio::test]
    async fn a_hit_comes_from_the_near_cache() {
        let f = function!(NEAR);
        assert_eq!(f.call("a").await, 1);
        f.drop_behind_its_back("a").await;
        assert_eq!(f.call("a").await, 1, "served without the backend");
        assert_eq!(f.runs(), 1);
    }

    #[tokio::test]
    async fn invalidations_by_key_tag_and_prefix_reach_it() {
        let f = function!(NEAR);
        let invalidator = f.invalidator();
        assert_eq!(f.call("k").await, 1);
        invalidator.invalidate_key(f.key("k")).await.unwrap();
        assert_eq!(f.call("k").await, 2, "after a key invalidation");
        invalidator.invalidate_tags("users").await.unwrap();
        assert_eq!(f.call("k").await, 3, "after a tag invalidation");
        assert_eq!(f.call("k").await, 3);
        // The prefix works as a tag does: one version key, read with the entry.
        f.instance.get().near.changed(USERS);
        f.instance.get().map.delete(USERS).await.unwrap();
        assert_eq!(f.call("k").await, 4, "after its version changed");
    }

    #[tokio::test]
    async fn another_tags_invalidation_keeps_the_entry_after_a_check() {
        let f = function!(NEAR);
        assert_eq!(f.call("k").await, 1);
        f.invalidator().invalidate_tags("books").await.unwrap();
        assert_eq!(f.call("k").await, 1, "checked against the backend: current");
        f.drop_behind_its_back("k").await;
        assert_eq!(f.call("k").await, 1, "and kept in the near cache");
    }

    #[tokio::test]
    async fn raw_writes_and_deletes_on_the_instance_reach_it() {
        let f = function!(NEAR);
        let instance = f.instance.get();
        assert_eq!(f.call("k").await, 1);
        instance.delete(f.key("k")).await.unwrap();
        assert_eq!(f.call("k").await, 2, "after a raw delete");
        instance
            .set(f.key("k"), "junk".into(), Timeout::Never)
            .await
            .unwrap();
        assert_eq!(
            f.call("k").await,
            3,
            "after a raw set (undecodable: recomputed)"
        );
    }

    #[tokio::test]
    async fn a_refresh_replaces_the_near_value() {
        let f = function!(NEAR);
        assert_eq!(f.call("k").await, 1);
        let (fresh, taken) = refresh_scope(f.cache.id(), f.call("k")).await;
        assert!(taken);
        assert_eq!(fresh, 2);
        f.drop_behind_its_back("k").await;
        assert_eq!(
            f.call("k").await,
            2,
            "the refreshed value, from the near cache"
        );
    }

    /// A call whose computation waits for `go` after saying it started.
    fn paused(f: &Function, key: &'static str) -> (tokio::task::JoinHandle<u32>, Pause) {
        let (started, started_rx) = tokio::sync::oneshot::channel();
        let (go, go_rx) = tokio::sync::oneshot::channel::<()>();
        let runs = f.runs;
        let call = f.call_with(key, async move {
            let _ = started.send(());
            let _ = go_rx.await;
            runs.fetch_add(1, Ordering::SeqCst) + 1
        });
        (tokio::spawn(call), Pause { started_rx, go })
    }

    struct Pause {
        started_rx: tokio::sync::oneshot::Receiver<()>,
        go: tokio::sync::oneshot::Sender<()>,
    }

    #[tokio::test]
    async fn an_invalidation_during_a_computation_is_not_lost() {
        for by_tag in [true, false] {
            let f = if by_tag {
                function!(NEAR)
            } else {
                function!(NEAR)
            };
            let (call, pause) = paused(&f, "k");
            pause.started_rx.await.unwrap();
            if by_tag {
                f.invalidator().invalidate_tags("users").await.unwrap();
            } else {
                f.invalidator().invalidate_key(f.key("k")).await.unwrap();
            }
            pause.go.send(()).unwrap();
            assert_eq!(call.await.unwrap(), 1, "the caller gets its value");
            assert_eq!(
                f.call("k").await,
                2,
                "computed before the invalidation (by tag: {by_tag}): never served after it"
            );
        }
    }

    #[tokio::test]
    async fn a_key_changed_during_a_backend_read_is_not_kept() {
        let f = function!(NEAR);
        assert_eq!(f.call("k").await, 1, "resolves the instance");
        let instance = f.instance.get();
        let spec = CallSpec {
            key: "r",
            versions: &[],
            timeout: Timeout::Never,
            stamp: 3,
            local: None,
        };
        let fill_after = |change: bool| {
            let NearStart::Read(Some(read)) =
                f.cache
                    .near_start(NearProbe::<u32>::new().near_ops(), &spec, false, true)
            else {
                panic!("the function has a near cache")
            };
            if change {
                instance.near.changed("r");
            }
            f.cache
                .near_fill_read(Some(&read), Some(&*instance), &spec, &7u32);
            (read.ops.lookup)(&f.cache.near, &instance.near, "r")
        };
        assert!(matches!(fill_after(false), Lookup::Hit(7, _)), "kept");
        assert!(matches!(fill_after(true), Lookup::Miss), "dropped");
    }

    /// Resolves `near` to a map without a near cache, then (generation 1) to one with.
    struct GainsANearCache(std::sync::atomic::AtomicU64, OneInstance);

    impl InstanceLookup for GainsANearCache {
        fn generation(&self) -> u64 {
            self.0.load(Ordering::SeqCst)
        }
        fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> {
            match self.generation() {
                0 => Some(Arc::new(MapCache::default())),
                _ => Some(self.1.get()),
            }
        }
    }

    #[tokio::test]
    async fn an_alias_rebound_to_an_instance_with_a_near_cache_uses_it() {
        static LOOKUP: GainsANearCache =
            GainsANearCache(std::sync::atomic::AtomicU64::new(0), OneInstance::new(NEAR));
        static CACHE: FnCache = FnCache::new(
            "near::tests::rebound",
            "near::tests::rebound",
            CacheTarget::Alias("near"),
            &LOOKUP,
            true,
        );
        static RUNS: AtomicU32 = AtomicU32::new(0);
        let call = || {
            let spec = CallSpec {
                key: "rebound:k",
                versions: &[],
                // Never expires: a value read from the backend is kept near.
                timeout: Timeout::Never,
                stamp: 3,
                local: None,
            };
            CACHE.call::<DefaultCodec, AnyValue, _, _>(
                spec,
                None,
                NearProbe::<u32>::new().near_ops(),
                async { RUNS.fetch_add(1, Ordering::SeqCst) + 1 },
            )
        };
        assert_eq!(call().await, 1);
        assert!(!CACHE.near_possible(), "the map has no near cache");
        LOOKUP.0.store(1, Ordering::SeqCst);
        assert_eq!(call().await, 2, "computed on the new instance");
        assert_eq!(call().await, 2, "read from it, and kept near");
        LOOKUP.1.get().map.delete("rebound:k").await.unwrap();
        assert_eq!(call().await, 2, "a near hit: the stored bytes are gone");
    }
}
