//! The optional in-process face of a backend: reads answered without waiting.

use crate::error::Result;
use bytes::Bytes;

/// Reads a backend answers within the caller's poll (an in-process store), reached
/// through [`CacheInstance::in_process`](crate::CacheInstance::in_process). The engine
/// tries it on every read, before the async methods: a hit then completes without the
/// boxed future of an async trait method.
///
/// ```
/// use easy_cache_core::testing::run;
/// use easy_cache_core::{Bytes, CacheInstance, InProcess, Result, Timeout, async_trait};
/// use std::collections::HashMap;
/// use std::sync::Mutex;
///
/// /// A map whose reads need no waiting.
/// #[derive(Default)]
/// struct Instant(Mutex<HashMap<String, Bytes>>);
///
/// impl InProcess for Instant {
///     fn get_now(&self, key: &str) -> Result<Option<Bytes>> {
///         Ok(self.0.lock().unwrap().get(key).cloned())
///     }
///     fn get_many_now(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
///         let map = self.0.lock().unwrap();
///         Ok(keys.iter().map(|key| map.get(*key).cloned()).collect())
///     }
/// }
///
/// #[async_trait]
/// impl CacheInstance for Instant {
///     fn in_process(&self) -> Option<&dyn InProcess> {
///         Some(self)
///     }
///     fn name(&self) -> &str { "instant" }
///     async fn get(&self, key: &str) -> Result<Option<Bytes>> { self.get_now(key) }
///     async fn set(&self, key: &str, value: Bytes, _: Timeout) -> Result<()> {
///         self.0.lock().unwrap().insert(key.to_owned(), value);
///         Ok(())
///     }
///     async fn add(&self, key: &str, value: Bytes, _: Timeout) -> Result<bool> {
///         let mut map = self.0.lock().unwrap();
///         if map.contains_key(key) { return Ok(false); }
///         map.insert(key.to_owned(), value);
///         Ok(true)
///     }
///     async fn delete(&self, key: &str) -> Result<bool> {
///         Ok(self.0.lock().unwrap().remove(key).is_some())
///     }
/// }
///
/// run(async {
///     let cache = Instant::default();
///     cache.set("k", "v".into(), Timeout::Never).await?;
///     let now = cache.in_process().unwrap();
///     assert_eq!(now.get_many_now(&["k", "absent"])?, [Some(Bytes::from("v")), None]);
///     // `Instant` keeps the default `lend`: nothing lent, the engine calls `get_now`.
///     assert!(!now.lend("k", &mut |_| unreachable!())?);
///     Ok(())
/// });
/// ```
pub trait InProcess: Send + Sync {
    /// The value stored under `key`, or `None` (named apart from [`CacheInstance::get`](crate::CacheInstance::get), so both traits can be in scope).
    fn get_now(&self, key: &str) -> Result<Option<Bytes>>;

    /// The values stored under `keys`, in the same order (`None` where absent).
    fn get_many_now(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>>;

    /// Lends the value stored under `key` to `read` (`None` when nothing is stored) and
    /// returns `true`, when this store can lend its record without building [`Bytes`]
    /// (sled does: one allocation fewer per hit). The default lends nothing and returns
    /// `false` without calling `read`: the engine then uses [`get_now`](Self::get_now).
    /// `read` must not wait, and does not call back into the store. Whether a store lends
    /// is a property of the store: the engine remembers a `false` and stops asking.
    fn lend(&self, _key: &str, _read: &mut dyn FnMut(Option<&[u8]>)) -> Result<bool> {
        Ok(false)
    }
}
