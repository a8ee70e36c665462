//! `add` is atomic: of many tasks adding one key at once, exactly one stores, also when the
//! key holds an expired value.

use super::Backend;
use easy_cache_core::{CacheInstance, Timeout};
use std::sync::Arc;

use crate::support::{bytes, namespace};

/// 50 tasks `add` one key at once, released together: exactly one stores, and its value is
/// the one read back. Twice: on an absent key, then on a key whose value has expired.
pub async fn add_is_atomic_under_50_concurrent_tasks(backend: &Backend) {
    let cache = backend.open(backend.concurrency_options);
    let name = cache.name().to_owned();
    let ns = namespace("add-race");
    for round in 0..2 {
        let key = format!("{ns}race-{round}");
        if round == 1 {
            // The second race is over an expired value: it counts as absent.
            let (life, gone) = backend.brief_life();
            let stored = cache.set(&key, bytes("expired"), Timeout::After(life));
            stored.await.unwrap_or_else(|e| panic!("[{name}] set: {e}"));
            tokio::time::sleep(gone).await;
        }
        let winners = race(&cache, &key).await;
        assert_eq!(
            winners.len(),
            1,
            "[{name}] round {round}: winners {winners:?}"
        );
        let stored = cache.get(&key).await.unwrap();
        assert_eq!(
            stored,
            Some(bytes(&format!("adder-{}", winners[0]))),
            "[{name}] round {round}"
        );
        cache.delete(&key).await.unwrap();
    }
}

/// The tasks whose `add` of `key` stored.
async fn race(cache: &Arc<dyn CacheInstance>, key: &str) -> Vec<usize> {
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let (cache, barrier, key) = (Arc::clone(cache), Arc::clone(&barrier), key.to_owned());
            tokio::spawn(async move {
                barrier.wait().await;
                let won = cache
                    .add(&key, bytes(&format!("adder-{i}")), Timeout::Never)
                    .await
                    .unwrap_or_else(|e| panic!("[{}] add of task {i}: {e}", cache.name()));
                won.then_some(i)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        winners.extend(task.await.expect("an adder panicked"));
    }
    winners
}
