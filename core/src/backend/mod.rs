//! The backend interface: an object-safe async key-value store of bytes.

pub(crate) mod in_process;
pub(crate) mod redact;
pub(crate) mod resilient;
pub(crate) mod timeout;
pub(crate) mod url;

use self::in_process::InProcess;
use self::timeout::Timeout;
use crate::engine::near::NearCache;
use crate::error::Result;
use async_trait::async_trait;
use bytes::Bytes;

/// One write of a batch: see [`CacheInstance::write_batch`].
///
/// ```
/// use easy_cache_core::testing::*;
/// use easy_cache_core::{Bytes, CacheInstance, Timeout, Write};
///
/// run(async {
///     let cache = MapCache::default();
///     let writes = [
///         Write::set("a", "1", Timeout::Never),
///         Write::add("a", "2", Timeout::Never), // `a` is present: skipped, no error
///         Write::keep_alive("a", Timeout::secs(60)),
///     ];
///     cache.write_batch(&writes).await?;
///     assert_eq!(cache.get("a").await?, Some(Bytes::from("1")));
///     Ok(())
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// The storage key.
    pub key: String,
    /// The bytes to store (empty for [`WriteMode::KeepAlive`]).
    pub value: Bytes,
    /// How long the entry lives, or at least lives from now on ([`WriteMode::KeepAlive`]).
    pub timeout: Timeout,
    /// What the write does.
    pub mode: WriteMode,
}

/// What a [`Write`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Store the value, replacing what is there ([`CacheInstance::set`]).
    Set,
    /// Store the value only if nothing is stored there ([`CacheInstance::add`]).
    Add,
    /// Keep the key, if it is stored, alive for at least the timeout from now
    /// ([`CacheInstance::keep_alive`]).
    KeepAlive,
}

impl Write {
    /// A [`WriteMode::Set`] write.
    pub fn set(key: impl Into<String>, value: impl Into<Bytes>, timeout: Timeout) -> Self {
        Write {
            key: key.into(),
            value: value.into(),
            timeout,
            mode: WriteMode::Set,
        }
    }

    /// A [`WriteMode::Add`] write.
    pub fn add(key: impl Into<String>, value: impl Into<Bytes>, timeout: Timeout) -> Self {
        Write {
            key: key.into(),
            value: value.into(),
            timeout,
            mode: WriteMode::Add,
        }
    }

    /// A [`WriteMode::KeepAlive`] write.
    pub fn keep_alive(key: impl Into<String>, timeout: Timeout) -> Self {
        Write {
            key: key.into(),
            value: Bytes::new(),
            timeout,
            mode: WriteMode::KeepAlive,
        }
    }
}

/// A cache backend: bytes in, bytes out, addressed by string keys.
///
/// Every method is async and fallible; the engine treats any error as a miss (reads) or a
/// skipped store (writes) and logs it, so a backend never has to panic or retry forever.
/// Only the single-key methods are required; the batch methods default to loops, and a
/// backend that can do them in one round trip should override them.
///
/// ```
/// use async_trait::async_trait;
/// use bytes::Bytes;
/// use easy_cache_core::{CacheInstance, Result, Timeout};
/// use std::{collections::HashMap, sync::Mutex};
///
/// /// A toy backend that never expires anything.
/// #[derive(Default)]
/// struct MapCache(Mutex<HashMap<String, Bytes>>);
///
/// #[async_trait]
/// impl CacheInstance for MapCache {
///     fn name(&self) -> &str { "map" }
///     async fn get(&self, key: &str) -> Result<Option<Bytes>> {
///         Ok(self.0.lock().unwrap().get(key).cloned())
///     }
///     async fn set(&self, key: &str, value: Bytes, _timeout: Timeout) -> Result<()> {
///         self.0.lock().unwrap().insert(key.to_owned(), value);
///         Ok(())
///     }
///     async fn add(&self, key: &str, value: Bytes, _timeout: Timeout) -> Result<bool> {
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
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let cache = MapCache::default();
/// cache.set("a", Bytes::from_static(b"1"), Timeout::Default).await?;
/// assert_eq!(cache.get_many(&["a", "b"]).await?, vec![Some(Bytes::from_static(b"1")), None]);
/// # Ok::<(), easy_cache_core::Error>(()) }).unwrap();
/// ```
#[async_trait]
pub trait CacheInstance: Send + Sync + 'static {
    /// A short name for logs: the scheme and, where useful, the address (never a password).
    fn name(&self) -> &str;

    /// The value stored under `key`, or `None`.
    async fn get(&self, key: &str) -> Result<Option<Bytes>>;

    /// The in-process face of this backend, when it has one (an in-process store):
    /// reads it answers without waiting. The engine reads through it before awaiting
    /// [`get`](Self::get) or [`get_many`](Self::get_many): it spares an in-memory hit the
    /// boxed future of an async trait method. A wrapper backend forwards it (or wraps it).
    fn in_process(&self) -> Option<&dyn InProcess> {
        None
    }

    /// The near cache of this backend, when it has one: decoded values kept in process in
    /// front of it (see [`NearCache`]). A backend that returns one calls
    /// [`NearCache::changed`] after each of its writes and deletes, so that no value it
    /// replaced or removed is served from there afterwards.
    fn near_cache(&self) -> Option<&NearCache> {
        None
    }

    /// The lifetime of values stored with [`Timeout::Default`] (`None`: kept until evicted,
    /// or unknown). The engine reads it to know when such a value stops being fresh, for
    /// fail-safe and refresh ahead; a wrapper backend forwards it.
    fn default_timeout(&self) -> Option<std::time::Duration> {
        None
    }

    /// Fail-safe, refresh, jitter and timeout defaults for the functions that cache here
    /// (see [`ResilientInstance`](crate::ResilientInstance)); a function's own options win.
    /// A wrapper backend forwards it.
    fn resilience(&self) -> Option<&crate::Resilience> {
        None
    }

    /// The values stored under `keys`, in the same order (`None` where absent).
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.get(key).await?);
        }
        Ok(out)
    }

    /// Stores `value` under `key` for `timeout`.
    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()>;

    /// Stores every pair for `timeout`.
    async fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        for (key, value) in entries {
            self.set(key, value.clone(), timeout).await?;
        }
        Ok(())
    }

    /// Stores `value` under `key` only if the key is absent; returns whether it stored.
    /// Must be atomic: tag versions rely on it.
    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool>;

    /// Removes `key`; returns whether something was there (backends that cannot tell
    /// return `true`).
    async fn delete(&self, key: &str) -> Result<bool>;

    /// Removes every key in `keys`.
    async fn delete_many(&self, keys: &[&str]) -> Result<()> {
        for key in keys {
            self.delete(key).await?;
        }
        Ok(())
    }

    /// Applies writes in order; a backend with pipelines does it in one round trip.
    /// A failing [`WriteMode::Add`] (key present) is not an error.
    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        for Write {
            key,
            value,
            timeout,
            mode,
        } in writes
        {
            match mode {
                WriteMode::Set => self.set(key, value.clone(), *timeout).await?,
                WriteMode::Add => drop(self.add(key, value.clone(), *timeout).await?),
                WriteMode::KeepAlive => self.keep_alive(key, *timeout).await?,
            }
        }
        Ok(())
    }

    /// Makes `key`, if it is stored, live at least `timeout` from now: a longer remaining
    /// lifetime is kept, a shorter one is lengthened, [`Timeout::Never`] removes the expiry.
    /// An absent key stays absent.
    ///
    /// The engine calls it on the version keys of tags and prefixes each time it stores an
    /// entry that depends on them, so a version key lives as long as the longest-lived
    /// entry that needs it, and no longer. The default does nothing: version keys then keep
    /// the lifetime they were created with (the first entry's), which costs early misses
    /// for longer-lived entries, never a wrong value.
    async fn keep_alive(&self, _key: &str, _timeout: Timeout) -> Result<()> {
        Ok(())
    }
}
