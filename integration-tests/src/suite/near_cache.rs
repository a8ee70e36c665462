//! The near cache in front of the backend: every way of changing an entry reaches it before
//! it returns, and an invalidation during a computation is not lost.
//!
//! The cached function is written out as `#[ecached]` expands it (this crate does not use
//! the macro), one per run, so each run has a near cache store of its own.

use super::Backend;
use crate::support::namespace;
use easy_cache_core::__private::{
    Args0, CacheHandle, CacheTarget, CallSpec, FnCache, InstanceLookup, NearProbe,
    NearViaClone as _, NoPrefix, NoTags,
};
use easy_cache_core::{
    CacheInstance, DefaultCodec, Invalidator, Timeout, prefix_version_key, tag_version_key,
};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// Resolves every alias to the one instance under test.
struct Only(Arc<dyn CacheInstance>);

impl InstanceLookup for Only {
    fn generation(&self) -> u64 {
        0
    }
    fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> {
        Some(Arc::clone(&self.0))
    }
}

/// A cached function on the instance: `key` → the number of computations so far, tagged
/// `tag`, under the prefix `prefix`.
struct Function {
    cache: &'static FnCache,
    runs: &'static AtomicU32,
    tag_key: String,
    prefix_key: String,
}

impl Function {
    fn new(instance: Arc<dyn CacheInstance>, ns: &str) -> Self {
        // Leaked: `FnCache::call` takes a `'static` state, as the macro's statics are.
        let id: &'static str = Box::leak(format!("suite::near_cache::{ns}").into_boxed_str());
        let lookup: &'static Only = Box::leak(Box::new(Only(instance)));
        Function {
            cache: Box::leak(Box::new(FnCache::new(
                id,
                id,
                CacheTarget::Alias("suite"),
                lookup,
                true,
            ))),
            runs: Box::leak(Box::new(AtomicU32::new(0))),
            tag_key: tag_version_key(&format!("{ns}tag")),
            prefix_key: prefix_version_key(&format!("{ns}prefix")),
        }
    }

    fn call(&self, key: &str) -> impl Future<Output = u32> + use<> {
        let runs = self.runs;
        self.call_with(key, async move { runs.fetch_add(1, Ordering::SeqCst) + 1 })
    }

    fn call_with<F: Future<Output = u32> + Send + 'static>(
        &self,
        key: &str,
        compute: F,
    ) -> impl Future<Output = u32> + use<F> {
        let (cache, key) = (self.cache, key.to_owned());
        let (tag_key, prefix_key) = (self.tag_key.clone(), self.prefix_key.clone());
        async move {
            let versions = [tag_key.as_str(), prefix_key.as_str()];
            let spec = CallSpec {
                key: &key,
                versions: &versions,
                timeout: Timeout::secs(600),
                stamp: 11,
                local: None,
            };
            let near = NearProbe::<u32>::new().near_ops();
            cache
                .call::<DefaultCodec, easy_cache_core::__private::AnyValue, _, _>(
                    spec, None, near, compute,
                )
                .await
        }
    }
}

/// Every change reaches the near cache: invalidation by key, tag and prefix, a raw delete
/// and set on the instance, a refresh; an invalidation by key or tag during a computation
/// is not lost.
pub async fn near_cache(backend: &Backend) {
    let instance = backend.open(backend.near_options());
    let name = instance.name().to_owned();
    assert!(
        instance.near_cache().is_some(),
        "[{name}] opened with `{}`: a near cache",
        backend.near_options()
    );
    let ns = namespace("near");
    let f = Function::new(Arc::clone(&instance), &ns);
    let invalidator = Invalidator::on_instance(Arc::clone(&instance));
    let key = format!("{ns}k");
    let tag = format!("{ns}tag");
    let prefix = format!("{ns}prefix");

    let runs = || f.runs.load(Ordering::SeqCst);
    let check = |got: u32, what: &str, computed: bool, runs_before: u32| {
        let now = runs();
        assert_eq!(
            now,
            runs_before + u32::from(computed),
            "[{name}] {what}: computed {} times, expected {}",
            now - runs_before,
            u32::from(computed)
        );
        assert_eq!(got, now, "[{name}] {what}: the latest value");
    };

    let before = runs();
    check(f.call(&key).await, "first call", true, before);
    let before = runs();
    check(f.call(&key).await, "second call: a hit", false, before);

    invalidator
        .invalidate_key(&key)
        .await
        .expect("invalidate_key");
    let before = runs();
    check(f.call(&key).await, "after invalidate_key", true, before);

    invalidator
        .invalidate_tags(tag.as_str())
        .await
        .expect("invalidate_tags");
    let before = runs();
    check(f.call(&key).await, "after invalidate_tags", true, before);

    invalidator
        .invalidate_prefix(&prefix)
        .await
        .expect("invalidate_prefix");
    let before = runs();
    check(f.call(&key).await, "after invalidate_prefix", true, before);
    let before = runs();
    check(f.call(&key).await, "then a hit", false, before);

    instance.delete(&key).await.expect("raw delete");
    let before = runs();
    check(f.call(&key).await, "after a raw delete", true, before);
    let junk = easy_cache_core::Bytes::from_static(b"not an entry");
    instance
        .set(&key, junk, Timeout::Never)
        .await
        .expect("raw set");
    let before = runs();
    check(f.call(&key).await, "after a raw set", true, before);

    let handle = CacheHandle::new(f.cache, Args0(String::new), NoTags, NoPrefix);
    let before = runs();
    let fresh = handle.refresh_cache(f.call(&key)).await;
    check(fresh, "refresh", true, before);
    let before = runs();
    check(
        f.call(&key).await,
        "after a refresh: its value",
        false,
        before,
    );

    for by_tag in [false, true] {
        let race = format!("{ns}race:{by_tag}");
        let (started, started_rx) = tokio::sync::oneshot::channel();
        let (go, go_rx) = tokio::sync::oneshot::channel::<()>();
        let counter = f.runs;
        let call = tokio::spawn(f.call_with(&race, async move {
            let _ = started.send(());
            let _ = go_rx.await;
            counter.fetch_add(1, Ordering::SeqCst) + 1
        }));
        started_rx.await.expect("the computation starts");
        if by_tag {
            invalidator
                .invalidate_tags(tag.as_str())
                .await
                .expect("invalidate_tags");
        } else {
            invalidator
                .invalidate_key(&race)
                .await
                .expect("invalidate_key");
        }
        go.send(()).expect("the computation waits");
        let raced = call.await.expect("the call");
        let before = runs();
        let after = f.call(&race).await;
        assert!(
            after > raced && runs() == before + 1,
            "[{name}] invalidated (by tag: {by_tag}) during its computation: value {raced} must \
             not be served afterwards (got {after})"
        );
    }
}
