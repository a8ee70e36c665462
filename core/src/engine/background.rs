//! The runtime that runs network backends' operations for sync callers, and a network
//! backend seen from sync code: each operation runs there, with owned copies of its
//! arguments (a spawned future must be `'static`).

use crate::backend::timeout::Timeout;
use crate::backend::{CacheInstance, Write};
use crate::engine::near::NearCache;
use crate::error::{Error, ErrorKind, Result};
use async_trait::async_trait;
use bytes::Bytes;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use tokio::runtime::Runtime;

/// The runtime that runs network backends' operations for sync callers: started on first
/// use, two worker threads named `easy-cache-io`. `None` (logged once) when it cannot be
/// started; the callers then run uncached.
fn runtime() -> Option<&'static Runtime> {
    static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("easy-cache-io")
                .enable_all()
                .build()
                .map_err(|err| {
                    tracing::warn!(target: "easy_cache", error = %err, "cannot start the runtime of sync calls: they run uncached");
                })
                .ok()
        })
        .as_ref()
}

/// Runs `future` on the background runtime; its output, or `None` when the runtime cannot
/// start or the future panicked. Awaiting it needs no runtime (a oneshot channel).
pub(crate) async fn on_background<F>(future: F) -> Option<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let runtime = runtime()?;
    let (reply, answer) = tokio::sync::oneshot::channel();
    runtime.spawn(async move {
        let _ = reply.send(future.await);
    });
    answer.await.ok()
}

/// `instance`, with its operations run on the background runtime.
pub(crate) struct Background(Arc<dyn CacheInstance>);

impl Background {
    /// The instance as sync code drives it: itself when it answers in process (its
    /// futures complete on the calling thread), else wrapped.
    pub(crate) fn driven_here(instance: Arc<dyn CacheInstance>) -> Arc<dyn CacheInstance> {
        if instance.in_process().is_some() {
            instance
        } else {
            Arc::new(Background(instance))
        }
    }

    /// Runs `op` on the instance on the background runtime.
    async fn run<T, F>(&self, op: impl FnOnce(Arc<dyn CacheInstance>) -> F) -> Result<T>
    where
        F: Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        on_background(op(Arc::clone(&self.0)))
            .await
            .unwrap_or_else(|| {
                Err(Error::new(
                    ErrorKind::Backend,
                    format!("{}: no background runtime to run on", self.0.name()),
                ))
            })
    }
}

fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|&key| key.to_owned()).collect()
}

fn borrowed(keys: &[String]) -> Vec<&str> {
    keys.iter().map(String::as_str).collect()
}

#[async_trait]
impl CacheInstance for Background {
    fn name(&self) -> &str {
        self.0.name()
    }

    // The wrapped instance's, so a sync call fills it as an async call does.
    fn near_cache(&self) -> Option<&NearCache> {
        self.0.near_cache()
    }

    fn default_timeout(&self) -> Option<std::time::Duration> {
        self.0.default_timeout()
    }

    fn resilience(&self) -> Option<&crate::Resilience> {
        self.0.resilience()
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let key = key.to_owned();
        self.run(|i| async move { i.get(&key).await }).await
    }

    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let keys = owned(keys);
        self.run(|i| async move { i.get_many(&borrowed(&keys)).await })
            .await
    }

    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        let key = key.to_owned();
        self.run(|i| async move { i.set(&key, value, timeout).await })
            .await
    }

    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        let entries: Vec<(String, Bytes)> = entries
            .iter()
            .map(|(key, value)| ((*key).to_owned(), value.clone()))
            .collect();
        self.run(|i| async move {
            let entries: Vec<(&str, Bytes)> = entries
                .iter()
                .map(|(key, value)| (key.as_str(), value.clone()))
                .collect();
            i.set_many(&entries, timeout).await
        })
        .await
    }

    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        let key = key.to_owned();
        self.run(|i| async move { i.add(&key, value, timeout).await })
            .await
    }

    async fn delete(&self, key: &str) -> Result<bool> {
        let key = key.to_owned();
        self.run(|i| async move { i.delete(&key).await }).await
    }

    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        let keys = owned(keys);
        self.run(|i| async move { i.delete_many(&borrowed(&keys)).await })
            .await
    }

    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        let writes = writes.to_vec();
        self.run(|i| async move { i.write_batch(&writes).await })
            .await
    }

    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        let key = key.to_owned();
        self.run(|i| async move { i.keep_alive(&key, timeout).await })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::blocking::block_on;
    use crate::testing::{DownCache, MapCache};

    #[test]
    fn every_operation_reaches_the_instance_and_failures_stay_errors() {
        let map: Arc<dyn CacheInstance> = Arc::new(MapCache::default());
        let remote = Background::driven_here(Arc::clone(&map));
        assert_eq!(remote.name(), "map");
        block_on(async {
            remote.set("a", "1".into(), Timeout::Never).await.unwrap();
            assert!(remote.add("b", "2".into(), Timeout::Never).await.unwrap());
            remote
                .set_many(&[("c", "3".into())], Timeout::Never)
                .await
                .unwrap();
            remote
                .write_batch(&[Write::set("d", "4", Timeout::Never)])
                .await
                .unwrap();
            remote.keep_alive("d", Timeout::Never).await.unwrap();
            let all = remote.get_many(&["a", "b", "c", "d"]).await.unwrap();
            assert!(all.iter().all(Option::is_some), "{all:?}");
            assert!(remote.delete("a").await.unwrap());
            remote.delete_many(&["b", "c"]).await.unwrap();
            assert_eq!(remote.get("b").await.unwrap(), None);
        });
        assert!(
            map.in_process().is_none(),
            "answers only through futures: wrapped"
        );
        let down = Background::driven_here(Arc::new(DownCache));
        assert!(block_on(down.get("a")).is_err());
    }

    #[test]
    fn the_background_runtime_answers_in_and_out_of_runtimes() {
        let ask = || {
            block_on(on_background(async {
                tokio::task::yield_now().await;
                5
            }))
        };
        assert_eq!(ask(), Some(5));
        let current = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        assert_eq!(current.block_on(async { ask() }), Some(5));
        let threads = tokio::runtime::Runtime::new().unwrap();
        assert_eq!(threads.block_on(async { ask() }), Some(5));
        let panicked = block_on(on_background(async { panic!("a backend bug") }));
        assert_eq!(panicked, None::<()>);
    }
}
