//! One call of a cached function: read, validate, maybe compute once, store.

use super::FnCache;
use super::entry::{self, Stamp};
use super::inflight::{self, Leader, Outcome, Role, WriteGate};
use super::near::fill::{NearRead, NearStart};
use super::near::probe::NearOps;
use super::pin::{Pinned, pin_versions};
use super::read::{Read, ReadNow};
use super::refresh;
use super::spec::{CallSpec, ValueTags};
use super::wait::WaitBound;
use crate::backend::timeout::Timeout;
use crate::backend::{CacheInstance, Write};
use crate::codec::Codec;
use crate::error::Result;
use crate::keys::versions::{Token, tag_version_key};
use crate::policy::ReturnPolicy;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::ops::ControlFlow;

/// A call past its start (see [`FnCache::begin`]) that did not hit.
pub(super) struct Begun<T> {
    refreshing: bool,
    stamp: Stamp,
    /// The miss of the read that needed no waiting, when the instance could answer it.
    known_miss: Option<Vec<Option<Token>>>,
    /// How to fill the near cache after the backend answers (`None`: no near cache).
    near: Option<NearRead<T>>,
}

impl FnCache {
    /// Runs one call: returns the cached value when it is valid, else runs `compute`,
    /// returns its result and stores what the policy `P` allows, encoded with `C`.
    ///
    /// Never fails because of the cache: a failing backend or undecodable stored bytes
    /// lead to running `compute` (logged, rate-limited). With `near` (the value type can
    /// live in a near cache) and an instance that has one, a hit there returns at once.
    pub async fn call<C, P, R, Fut>(
        &'static self,
        spec: CallSpec<'_>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<NearOps<P::Value>>,
        compute: Fut,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        let begun = match self.begin::<C, P::Value>(&spec, value_tags.is_some(), near) {
            ControlFlow::Break(value) => return P::from_value(value),
            ControlFlow::Continue(begun) => begun,
        };
        let Some(instance) = self.instance() else {
            return compute.await;
        };
        self.call_on::<C, P, R, Fut>(&*instance, spec, begun, value_tags, compute)
            .await
    }

    /// The start of every call: takes the refresh mark, looks in the near cache, and
    /// reads where the instance answers without waiting (in-process stores: a hit returns
    /// here, within the poll). `value_tagged`: the function has tags of its value.
    pub(super) fn begin<C: Codec, T: DeserializeOwned>(
        &self,
        spec: &CallSpec<'_>,
        value_tagged: bool,
        near: Option<NearOps<T>>,
    ) -> ControlFlow<T, Begun<T>> {
        let refreshing = refresh::take(self.id());
        let versioned = !spec.versions.is_empty() || value_tagged;
        let near = match self.near_start(near, spec, versioned, refreshing) {
            NearStart::Hit(value) => return ControlFlow::Break(value),
            NearStart::Read(near) => near,
        };
        let stamp = self.stamp::<C, T>(spec.stamp);
        let mut known_miss = None;
        if !refreshing {
            match self.read_now::<C, T>(spec, stamp) {
                ReadNow::Done(Read::Hit(value)) => {
                    self.near_fill_read(near.as_ref(), None, spec, &value);
                    return ControlFlow::Break(value);
                }
                ReadNow::Done(Read::Miss(snapshot)) => known_miss = Some(snapshot),
                ReadNow::Unavailable => {}
            }
        }
        ControlFlow::Continue(Begun {
            refreshing,
            stamp,
            known_miss,
            near,
        })
    }

    /// The rest of a call on `instance`, after [`begin`](Self::begin): read, join or lead
    /// the single flight, compute, store. The async and the sync call (`call_blocking`)
    /// both end here.
    pub(super) async fn call_on<C, P, R, Fut>(
        &self,
        instance: &dyn CacheInstance,
        spec: CallSpec<'_>,
        begun: Begun<P::Value>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        compute: Fut,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        let Begun {
            refreshing,
            stamp,
            mut known_miss,
            near,
        } = begun;
        let near = near.as_ref();
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
                Ok(Read::Hit(value)) => {
                    self.near_fill_read(near, Some(instance), &spec, &value);
                    return P::from_value(value);
                }
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
                match inflight::join_or_lead(
                    self.id(),
                    spec.key,
                    spec.versions,
                    value_tags.is_some(),
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
                    instance, &spec, stamp, snapshot, value_tags, near, compute, leader,
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
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<&NearRead<P::Value>>,
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
                self.store::<C, P::Value>(
                    instance, spec, stamp, pinned, value_tags, near, value, &gate,
                )
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
        value_tags: Option<ValueTags<'_, T>>,
        near: Option<&NearRead<T>>,
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
            ops.push(Write::keep_alive(*key, spec.timeout));
        }
        let tokens = pinned.tokens;
        let value_tag_versions = match value_tags {
            Some(tags_of) => {
                match value_tag_versions_of(instance, tags_of(value), spec.timeout, &mut ops).await
                {
                    Ok(versions) => versions,
                    Err(err) => {
                        self.warn.warn(
                            self.name(),
                            format_args!(
                                "reading tag versions failed on {}: {err}",
                                instance.name()
                            ),
                        );
                        return None;
                    }
                }
            }
            None => Vec::new(),
        };
        let mut buf = Vec::new();
        entry::encode_header(stamp, &tokens, &value_tag_versions, &mut buf);
        let header_len = buf.len();
        if let Err(err) = C::encode(value, &mut buf) {
            self.warn
                .warn(self.name(), format_args!("value not cached: {err}"));
            return None;
        }
        let entry = Bytes::from(buf);
        if !spec.timeout.is_zero() && gate.begin_write() {
            ops.push(Write::set(spec.key, entry.clone(), spec.timeout));
            match instance.write_batch(&ops).await {
                Ok(()) => self.near_fill_written(near, instance, spec, value),
                Err(err) => self.warn.warn(
                    self.name(),
                    format_args!("cache write failed on {}: {err}", instance.name()),
                ),
            }
        }
        Some(entry.slice(header_len..))
    }
}

/// Versions of tags known only after the call. Read now: an invalidation of these tags
/// during the computation cannot be detected (documented limit of value tags).
/// An absent one is created with `add`, so a concurrent invalidation's token wins over
/// ours; a present one is kept alive as long as the entry.
async fn value_tag_versions_of(
    instance: &dyn CacheInstance,
    tags: Vec<String>,
    timeout: Timeout,
    ops: &mut Vec<Write>,
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
                    ops.push(Write::keep_alive(key.clone(), timeout));
                    token
                }
                None => {
                    let token = Token::fresh();
                    ops.push(Write::add(key.clone(), token.to_bytes(), timeout));
                    token
                }
            };
            (key, token)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::DefaultCodec;
    use crate::engine::CacheTarget;
    use crate::policy::OkOnly;
    use crate::testing::{MapCache, NoAliases};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn build() -> Arc<dyn CacheInstance> {
        Arc::new(MapCache::default())
    }

    static SQUARE: FnCache = FnCache::new(
        "tests::call",
        "app::square",
        CacheTarget::Instance(build),
        &NoAliases,
        true,
    );
    static RUNS: AtomicU32 = AtomicU32::new(0);

    /// What `#[ecached(key = "square:{n}")]` expands to, by hand.
    async fn square(n: u64) -> Result<u64, String> {
        let key = format!("square:{n}");
        let spec = CallSpec {
            key: &key,
            versions: &[],
            timeout: Timeout::Never,
            stamp: 7,
        };
        SQUARE
            .call::<DefaultCodec, OkOnly, _, _>(spec, None, None, async move {
                RUNS.fetch_add(1, Ordering::SeqCst);
                Ok(n * n)
            })
            .await
    }

    #[tokio::test]
    async fn the_second_call_is_a_hit() {
        assert_eq!(square(4).await, Ok(16));
        assert_eq!(square(4).await, Ok(16));
        assert_eq!(RUNS.load(Ordering::SeqCst), 1, "the second call was a hit");
    }
}
