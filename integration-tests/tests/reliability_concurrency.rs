//! No stale reads after invalidation under concurrency: many readers call a tagged cached
//! function while a writer bumps the data version and then invalidates the tag. Once an
//! invalidation has returned, every call that starts afterwards must see at least the version
//! written before it, including when a reader that started earlier writes its older result
//! into the cache after the invalidation.

mod reliability;

use easy_cache::{caches, ecached, using_alias};
use easy_cache_integration_tests::env::{self, require_url};
use reliability::{namespace, with_option};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

const READERS: usize = 8;
const ROUNDS: u64 = 2_000;

macro_rules! stale_read_test {
    ($module:ident, $alias:tt, $url:expr) => {
        mod $module {
            use super::*;

            /// The data: its current version.
            static VERSION: AtomicU64 = AtomicU64::new(0);
            /// The version written before the last invalidation that has returned.
            static INVALIDATED: AtomicU64 = AtomicU64::new(0);

            #[ecached("{ns}:doc", 600, tags = ["{ns}:doc"], cache_alias = $alias)]
            async fn doc(ns: &str) -> u64 {
                let _ = ns;
                let version = VERSION.load(Ordering::SeqCst);
                // Hold the value a little, so writes of old results race invalidations.
                if fastrand::bool() {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    tokio::task::yield_now().await;
                }
                version
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn no_stale_read_after_invalidation() {
                let make_url = $url;
                let url: String = make_url();
                caches::insert($alias, caches::from_url(&url).expect("backend URL"));
                let ns = Arc::new(namespace($alias));
                let done = Arc::new(AtomicBool::new(false));
                let readers: Vec<_> = (0..READERS)
                    .map(|_| {
                        let (ns, done) = (ns.clone(), done.clone());
                        tokio::spawn(async move {
                            let (mut calls, mut stale) = (0u64, Vec::new());
                            while !done.load(Ordering::SeqCst) {
                                let floor = INVALIDATED.load(Ordering::SeqCst);
                                let got = doc(&ns).await;
                                calls += 1;
                                if got < floor {
                                    stale.push((floor, got));
                                }
                                // A hit may never yield (memory): let the writer run.
                                tokio::task::yield_now().await;
                            }
                            (calls, stale)
                        })
                    })
                    .collect();
                for round in 1..=ROUNDS {
                    VERSION.store(round, Ordering::SeqCst);
                    using_alias($alias)
                        .invalidate_tags(format!("{ns}:doc"))
                        .await
                        .expect("invalidation");
                    INVALIDATED.store(round, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..3))).await;
                }
                done.store(true, Ordering::SeqCst);
                let (mut calls, mut stale) = (0, Vec::new());
                for reader in readers {
                    let (n, s) = reader.await.expect("reader panicked");
                    calls += n;
                    stale.extend(s);
                }
                eprintln!("[{}] {calls} calls, {} stale", $alias, stale.len());
                assert!(
                    calls >= ROUNDS,
                    "[{}] readers made only {calls} calls",
                    $alias
                );
                assert!(
                    stale.is_empty(),
                    "[{}] {} of {calls} calls returned a version older than the last \
                     invalidation before they started; (floor, got) e.g. {:?}",
                    $alias,
                    stale.len(),
                    &stale[..stale.len().min(10)]
                );
            }
        }
    };
}

stale_read_test!(memory, "rel_stale_memory", || "memory://".to_owned());
stale_read_test!(redis, "rel_stale_redis", || with_option(
    &require_url(env::REDIS_URL),
    "timeout_ms",
    "1000"
));
stale_read_test!(memcached, "rel_stale_memcached", || with_option(
    &require_url(env::MEMCACHED_URL),
    "timeout_ms",
    "1000"
));
