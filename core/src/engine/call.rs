//! One call of a cached function: read, validate, maybe compute once, store.

use super::FnCache;
use super::flight::{self, Leader, Outcome, Role};
use super::pin::{Pinned, pin_versions};
use super::read::{Read, ReadNow};
use super::refresh;
use super::wait::WaitBound;
use super::write_gate::WriteGate;
use crate::envelope::{self, Stamp};
use crate::versions::{Token, tag_version_key};
use crate::{CacheInstance, Codec, Result, ReturnPolicy, Timeout, WriteOp};
use bytes::Bytes;
use std::future::Future;

/// What the generated code computed for one call before running the function.
///
/// ```
/// use easy_cache_core::{CallSpec, Timeout, tag_version_key};
/// let key = "user:7".to_owned();
/// let users = tag_version_key("users");
/// let versions = [users.as_str()];
/// let spec = CallSpec { key: &key, versions: &versions, timeout: Timeout::secs(600), fingerprint: 42 };
/// assert_eq!(spec.versions, ["ec:t:users"]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CallSpec<'a> {
    /// The full storage key (prefix included).
    pub key: &'a str,
    /// Version keys of the tags known from the arguments, and of the prefix.
    pub versions: &'a [&'a str],
    /// How long the value lives.
    pub timeout: Timeout,
    /// Identifies the cached type (a hash of the return type the macro saw).
    pub fingerprint: u64,
}

/// Tags computed from the returned value (a `Meta` tags function), after the call.
///
/// ```
/// use easy_cache_core::__private::DynamicTags;
/// let tags_of: DynamicTags<'_, Vec<u64>> = &|books: &Vec<u64>| books.iter().map(|id| format!("book:{id}")).collect();
/// assert_eq!(tags_of(&vec![1, 2]), ["book:1", "book:2"]);
/// ```
pub type DynamicTags<'a, T> = &'a (dyn Fn(&T) -> Vec<String> + Send + Sync);

impl FnCache {
    /// Runs one call: returns the cached value when it is valid, else runs `compute`,
    /// returns its result and stores what the policy `P` allows, encoded with `C`.
    ///
    /// Never fails because of the cache: a failing backend or undecodable stored bytes
    /// lead to running `compute` (logged, rate-limited).
    ///
    /// This is what `#[ecached]` expands to; by hand it looks like this:
    ///
    /// ```
    /// # use easy_cache_core::{async_trait, Bytes, CacheInstance, CacheTarget, FnCache, InstanceLookup, Result, Timeout};
    /// # use std::{collections::HashMap, sync::{Arc, Mutex}};
    /// # #[derive(Default)]
    /// # struct MapCache(Mutex<HashMap<String, Bytes>>);
    /// # #[async_trait]
    /// # impl CacheInstance for MapCache {
    /// #     fn name(&self) -> &str { "map" }
    /// #     async fn get(&self, k: &str) -> Result<Option<Bytes>> { Ok(self.0.lock().unwrap().get(k).cloned()) }
    /// #     async fn set(&self, k: &str, v: Bytes, _: Timeout) -> Result<()> { self.0.lock().unwrap().insert(k.into(), v); Ok(()) }
    /// #     async fn add(&self, k: &str, v: Bytes, _: Timeout) -> Result<bool> {
    /// #         let mut map = self.0.lock().unwrap();
    /// #         if map.contains_key(k) { return Ok(false); }
    /// #         map.insert(k.into(), v);
    /// #         Ok(true)
    /// #     }
    /// #     async fn delete(&self, k: &str) -> Result<bool> { Ok(self.0.lock().unwrap().remove(k).is_some()) }
    /// # }
    /// # struct NoAliases;
    /// # impl InstanceLookup for NoAliases {
    /// #     fn generation(&self) -> u64 { 0 }
    /// #     fn lookup(&self, _: &str) -> Option<Arc<dyn CacheInstance>> { None }
    /// # }
    /// # fn build() -> Arc<dyn CacheInstance> { Arc::new(MapCache::default()) }
    /// use easy_cache_core::{CallSpec, DefaultCodec, OkOnly};
    /// use std::sync::atomic::{AtomicU32, Ordering};
    ///
    /// static SQUARE: FnCache = FnCache::new("doc::call", "app::square", CacheTarget::Instance(build), &NoAliases, true);
    /// static RUNS: AtomicU32 = AtomicU32::new(0);
    ///
    /// async fn square(n: u64) -> Result<u64, String> {
    ///     let key = format!("square:{n}");
    ///     let spec = CallSpec { key: &key, versions: &[], timeout: Timeout::Never, fingerprint: 7 };
    ///     SQUARE.call::<DefaultCodec, OkOnly, _, _>(spec, None, async move {
    ///         RUNS.fetch_add(1, Ordering::SeqCst);
    ///         Ok(n * n)
    ///     }).await
    /// }
    ///
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// assert_eq!(square(4).await, Ok(16));
    /// assert_eq!(square(4).await, Ok(16));
    /// assert_eq!(RUNS.load(Ordering::SeqCst), 1, "the second call was a hit");
    /// # });
    /// ```
    pub async fn call<C, P, R, Fut>(
        &'static self,
        spec: CallSpec<'_>,
        dynamic_tags: Option<DynamicTags<'_, P::Value>>,
        compute: Fut,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        let refreshing = refresh::take(self.id());
        let stamp = self.stamp::<C, P::Value>(spec.fingerprint);
        // In-process stores answer within this poll: a hit returns here.
        let mut known_miss = None;
        if !refreshing {
            match self.read_now::<C, P::Value>(&spec, stamp) {
                ReadNow::Done(Read::Hit(value)) => return P::from_value(value),
                ReadNow::Done(Read::Miss(snapshot)) => known_miss = Some(snapshot),
                ReadNow::Unavailable => {}
            }
        }
        let Some(instance) = self.instance() else {
            return compute.await;
        };
        let instance = &*instance;
        let mut wait = WaitBound::new(self.single_flight_wait());
        // Leaders seen to panic: after a waiter's take-over panics too, the remaining
        // waiters compute side by side instead of taking over one at a time.
        let mut panicked_leaders = 0;
        loop {
            let read = match known_miss.take() {
                Some(snapshot) => Ok(Read::Miss(snapshot)),
                None => {
                    self.read::<C, P::Value>(instance, &spec, stamp, refreshing)
                        .await
                }
            };
            let snapshot = match read {
                Ok(Read::Hit(value)) => return P::from_value(value),
                Ok(Read::Miss(snapshot)) => snapshot,
                Err(err) => {
                    self.warn.warn(
                        self.name(),
                        format_args!(
                            "cache read failed on {}, running uncached: {err}",
                            instance.name()
                        ),
                    );
                    return compute.await;
                }
            };
            let alone =
                refreshing || !self.single_flight() || wait.spent() || panicked_leaders >= 2;
            let leader = if alone {
                None
            } else {
                match flight::join_or_lead(
                    self.id(),
                    spec.key,
                    spec.versions,
                    dynamic_tags.is_some(),
                ) {
                    Role::Leader(leader) => Some(leader),
                    Role::Waiter(waiter) => match wait.wait(waiter.outcome()).await {
                        Some(Outcome::Value(bytes)) => match C::decode::<P::Value>(&bytes) {
                            Ok(value) => return P::from_value(value),
                            Err(_) => return compute.await,
                        },
                        // Errors are not shared: each caller gets its own function's result.
                        Some(Outcome::Uncacheable) => None,
                        // The leader went away: look again at once, and one waiter leads.
                        Some(Outcome::Abandoned { panicked }) => {
                            panicked_leaders += usize::from(panicked);
                            continue;
                        }
                        None => {
                            self.warn.warn(
                                self.name(),
                                format_args!(
                                    "waited {:?} for another call computing the same key; computing here",
                                    self.single_flight_wait()
                                ),
                            );
                            None
                        }
                    },
                }
            };
            return self
                .compute_and_store::<C, P, R, Fut>(
                    instance,
                    &spec,
                    stamp,
                    snapshot,
                    dynamic_tags,
                    compute,
                    leader,
                )
                .await;
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn compute_and_store<C, P, R, Fut>(
        &self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        snapshot: Vec<Option<Token>>,
        dynamic_tags: Option<DynamicTags<'_, P::Value>>,
        compute: Fut,
        leader: Option<Leader>,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        // Open before the computation starts: a key invalidation from now on keeps its
        // value out of the cache.
        let gate = WriteGate::open(spec.key);
        let pinned = if spec.timeout.is_zero() {
            None
        } else {
            match pin_versions(instance, spec.versions, snapshot, spec.timeout).await {
                Ok(pinned) => pinned,
                Err(err) => {
                    self.warn.warn(
                        self.name(),
                        format_args!("creating tag versions failed on {}: {err}", instance.name()),
                    );
                    None
                }
            }
        };
        let result = compute.await;
        let stored = match (P::cacheable(&result), pinned) {
            (Some(value), Some(pinned)) => {
                self.store::<C, P::Value>(instance, spec, stamp, pinned, dynamic_tags, value, &gate)
                    .await
            }
            _ => None,
        };
        drop(gate);
        if let Some(leader) = leader {
            leader.finish(stored.map_or(Outcome::Uncacheable, Outcome::Value));
        }
        result
    }

    /// Encodes and writes one entry; returns the encoded value for single-flight waiters.
    #[allow(clippy::too_many_arguments)]
    async fn store<C: Codec, T: serde::Serialize>(
        &self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        pinned: Pinned,
        dynamic_tags: Option<DynamicTags<'_, T>>,
        value: &T,
        gate: &WriteGate,
    ) -> Option<Bytes> {
        let mut ops = Vec::new();
        // Version keys live as long as the longest-lived entry that needs them.
        for (key, _) in spec
            .versions
            .iter()
            .zip(&pinned.existed)
            .filter(|(_, e)| **e)
        {
            ops.push(WriteOp::KeepAlive {
                key: (*key).to_owned(),
                timeout: spec.timeout,
            });
        }
        let tokens = pinned.tokens;
        let named = match dynamic_tags {
            Some(tags_of) => match named_versions(instance, tags_of(value), spec.timeout, &mut ops)
                .await
            {
                Ok(named) => named,
                Err(err) => {
                    self.warn.warn(
                        self.name(),
                        format_args!("reading tag versions failed on {}: {err}", instance.name()),
                    );
                    return None;
                }
            },
            None => Vec::new(),
        };
        let mut buf = Vec::new();
        envelope::encode_header(stamp, &tokens, &named, &mut buf);
        let header_len = buf.len();
        if let Err(err) = C::encode(value, &mut buf) {
            self.warn
                .warn(self.name(), format_args!("value not cached: {err}"));
            return None;
        }
        let entry = Bytes::from(buf);
        if !spec.timeout.is_zero() && gate.begin_write() {
            ops.push(WriteOp::Set {
                key: spec.key.to_owned(),
                value: entry.clone(),
                timeout: spec.timeout,
            });
            if let Err(err) = instance.write_batch(&ops).await {
                self.warn.warn(
                    self.name(),
                    format_args!("cache write failed on {}: {err}", instance.name()),
                );
            }
        }
        Some(entry.slice(header_len..))
    }
}

/// Versions of tags known only after the call. Read now: an invalidation of these tags
/// during the computation cannot be detected (documented limit of value-derived tags).
/// An absent one is created with `add`, so a concurrent invalidation's token wins over
/// ours; a present one is kept alive as long as the entry.
async fn named_versions(
    instance: &dyn CacheInstance,
    tags: Vec<String>,
    timeout: Timeout,
    ops: &mut Vec<WriteOp>,
) -> Result<Vec<(String, Token)>> {
    if tags.is_empty() {
        return Ok(Vec::new());
    }
    let keys: Vec<String> = tags.iter().map(|t| tag_version_key(t)).collect();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let current = instance.get_many(&refs).await?;
    Ok(keys
        .into_iter()
        .zip(current)
        .map(|(key, now)| {
            let token = match now.as_deref().and_then(Token::from_stored) {
                Some(token) => {
                    ops.push(WriteOp::KeepAlive {
                        key: key.clone(),
                        timeout,
                    });
                    token
                }
                None => {
                    let token = Token::fresh();
                    ops.push(WriteOp::Add {
                        key: key.clone(),
                        value: token.to_bytes(),
                        timeout,
                    });
                    token
                }
            };
            (key, token)
        })
        .collect())
}
