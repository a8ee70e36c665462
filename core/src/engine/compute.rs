//! Running a function's computation for a call that missed, and storing its value: under
//! a write gate (a key invalidation meanwhile keeps the value out), with the versions
//! pinned before it starts, and, for fail-safe functions holding a stale value, with the
//! fallback to it and the soft timeout around the computation.

use super::FnCache;
use super::clock;
use super::detach::{Job, Spawner};
use super::entry::{self, Stamp};
use super::inflight::{Leader, Outcome, WriteGate};
use super::near::fill::NearRead;
use super::pin::{Pinned, pin_versions};
use super::read::Stale;
use super::resilience::Lifetime;
use super::spec::{CallSpec, ValueTags};
use super::wait::WaitBound;
use crate::backend::timeout::Timeout;
use crate::backend::{CacheInstance, Write};
use crate::codec::Codec;
use crate::error::Result;
use crate::keys::versions::{Token, tag_version_key};
use crate::observe::slow::Stopwatch;
use crate::observe::{BackendOp, Outcome as Observed};
use crate::policy::ReturnPolicy;
use bytes::Bytes;
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

/// A fail-safe call's fallback: the stale value its read found, and how to move its
/// computation to a task at the soft timeout.
pub(crate) struct Fallback<C, P: ReturnPolicy<R>, R, Fut> {
    pub stale: Stale<P::Value>,
    pub mover: Option<Mover<C, P, R, Fut>>,
}

/// How to move a computation to a task, and the instance the task stores to.
pub(crate) struct Mover<C, P: ReturnPolicy<R>, R, Fut> {
    pub spawner: Spawner<C, P, R, Fut>,
    pub instance: Arc<dyn CacheInstance>,
}

impl FnCache {
    /// Computes, stores what the policy `P` allows, reports to single-flight waiters; a
    /// fail-safe call with a stale value at hand (`fallback`) serves it if the computation
    /// fails, or outlasts its soft timeout.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn compute_and_store<C, P, R, Fut>(
        &'static self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        snapshot: Vec<Option<Token>>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<NearRead<P::Value>>,
        compute: Fut,
        leader: Option<Leader>,
        fallback: Option<Fallback<C, P, R, Fut>>,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        let Some(fallback) = fallback else {
            let unwinding = ErrorIfUnwinding(Some(self));
            let result = self
                .compute_plain::<C, P, R, Fut>(
                    instance, spec, stamp, snapshot, value_tags, near, compute, leader, None,
                )
                .await;
            unwinding.disarm();
            return self.observe_result::<P, R>(result);
        };
        // Open before the computation starts: a key invalidation from now on keeps its
        // value out of the cache.
        let gate = WriteGate::open(spec.key);
        let moved_snapshot = snapshot.clone();
        let pinned = self.pin(instance, spec, snapshot).await;
        let Fallback { stale, mover } = fallback;
        let mut running = Box::pin(compute);
        let watch = Stopwatch::start();
        let attempt = AssertUnwindSafe(running.as_mut()).catch_unwind();
        let outcome = match (self.resilience(instance).soft_timeout, mover) {
            (Some(soft), Some(mover)) => match WaitBound::new(soft).wait(attempt).await {
                Some(outcome) => outcome,
                None => {
                    // Past the soft timeout: the stale value now, the computation in a task.
                    let job = Job::new(
                        self,
                        mover.instance,
                        spec,
                        stamp,
                        moved_snapshot,
                        near,
                        running,
                        Some(gate),
                        leader,
                    );
                    return match mover.spawner.spawn(job) {
                        Ok(()) => {
                            self.observe_outcome(Observed::Stale);
                            P::from_value(stale.value)
                        }
                        // No runtime to move to: finish here.
                        Err(job) => self.observe_result::<P, R>(job.run().await),
                    };
                }
            },
            _ => attempt.await,
        };
        self.observe_computation(watch.elapsed());
        let failure = match outcome {
            Ok(result) if !P::failed(&result) => {
                self.observe_outcome(Observed::Miss);
                return self
                    .finish::<C, P, R>(
                        instance, spec, stamp, pinned, value_tags, near, result, gate, leader,
                    )
                    .await;
            }
            Ok(result) => Ok(result),
            Err(panic) => Err(panic),
        };
        let value_tagged = value_tags.is_some();
        if self
            .serve_stale::<C, P::Value>(
                instance,
                spec,
                stamp,
                pinned,
                &stale,
                value_tagged,
                near.as_ref(),
                &gate,
            )
            .await
        {
            release(gate, leader, Outcome::Uncacheable);
            self.observe_outcome(Observed::Stale);
            return P::from_value(stale.value);
        }
        self.observe_outcome(Observed::Error);
        match failure {
            Ok(result) => {
                release(gate, leader, Outcome::Uncacheable);
                result
            }
            // Re-raised while the leader guard lives: its waiters see a panicked leader.
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }

    /// Computes and stores, nothing around it (a call without a stale value, a moved
    /// computation). `gate`: the write gate of a computation already under way.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn compute_plain<C, P, R, Fut>(
        &self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        snapshot: Vec<Option<Token>>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<NearRead<P::Value>>,
        compute: Fut,
        leader: Option<Leader>,
        gate: Option<WriteGate>,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        // Open before the computation starts: a key invalidation from now on keeps its
        // value out of the cache.
        let gate = gate.unwrap_or_else(|| WriteGate::open(spec.key));
        let pinned = self.pin(instance, spec, snapshot).await;
        let watch = Stopwatch::start();
        let result = compute.await;
        self.observe_computation(watch.elapsed());
        self.finish::<C, P, R>(
            instance, spec, stamp, pinned, value_tags, near, result, gate, leader,
        )
        .await
    }

    /// The versions to store the entry with (`None`: do not store).
    async fn pin(
        &self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        snapshot: Vec<Option<Token>>,
    ) -> Option<Pinned> {
        if spec.timeout.is_zero() {
            return None;
        }
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
    }

    /// Stores `result` when the policy allows, then releases the gate and the waiters.
    #[allow(clippy::too_many_arguments)]
    async fn finish<C, P, R>(
        &self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        pinned: Option<Pinned>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<NearRead<P::Value>>,
        result: R,
        gate: WriteGate,
        leader: Option<Leader>,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
    {
        let stored = match (P::cacheable(&result), pinned) {
            (Some(value), Some(pinned)) => {
                self.store::<C, P::Value>(
                    instance,
                    spec,
                    stamp,
                    pinned,
                    value_tags,
                    near.as_ref(),
                    value,
                    &gate,
                )
                .await
            }
            _ => None,
        };
        release(
            gate,
            leader,
            stored.map_or(Outcome::Uncacheable, Outcome::Value),
        );
        result
    }

    /// After a failed computation: whether the stale value may be served instead (its key
    /// was not invalidated meanwhile). If so, writes it back fresh for the throttle period
    /// (not for value-tagged functions: their tags' versions would have to be read anew,
    /// and could validate a value a tag invalidation replaced), so the next calls hit.
    #[allow(clippy::too_many_arguments)]
    async fn serve_stale<C: Codec, T: serde::Serialize>(
        &self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        pinned: Option<Pinned>,
        stale: &Stale<T>,
        value_tagged: bool,
        near: Option<&NearRead<T>>,
        gate: &WriteGate,
    ) -> bool {
        if !gate.is_open() {
            return false;
        }
        let now = clock::now_ms();
        self.warn.warn(
            self.name(),
            format_args!(
                "computation failed: serving the value that went stale {} ms ago (fail-safe)",
                now.saturating_sub(stale.times.fresh_until)
            ),
        );
        let throttled = self.resilience(instance).throttled(stale.times, now);
        if let (false, Some(pinned), Some((timeout, times))) = (value_tagged, pinned, throttled) {
            let lifetime = Lifetime {
                physical: timeout,
                times: Some(times),
                fresh_until: Some(times.fresh_until),
            };
            let mut buf = Vec::new();
            entry::encode_header(stamp, Some(times), &pinned.tokens, &[], &mut buf);
            if C::encode(&stale.value, &mut buf).is_ok() && gate.begin_write() {
                let set = [Write::set(spec.key, Bytes::from(buf), timeout)];
                if instance.write_batch(&set).await.is_ok() {
                    self.near_fill_written(near, instance, spec, &stale.value, &lifetime);
                }
            }
        }
        true
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
        let lifetime = self.resilience(instance).lifetime(
            spec.timeout,
            instance.default_timeout(),
            clock::now_ms(),
        );
        let mut ops = Vec::new();
        // Version keys live as long as the longest-lived entry that needs them.
        for (key, _) in spec
            .versions
            .iter()
            .zip(&pinned.existed)
            .filter(|(_, e)| **e)
        {
            ops.push(Write::keep_alive(*key, lifetime.physical));
        }
        let tokens = pinned.tokens;
        let value_tag_versions = match value_tags {
            Some(tags_of) => {
                match value_tag_versions_of(instance, tags_of(value), lifetime.physical, &mut ops)
                    .await
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
        entry::encode_header(
            stamp,
            lifetime.times,
            &tokens,
            &value_tag_versions,
            &mut buf,
        );
        let header_len = buf.len();
        if let Err(err) = C::encode(value, &mut buf) {
            self.warn
                .warn(self.name(), format_args!("value not cached: {err}"));
            return None;
        }
        let entry = Bytes::from(buf);
        if !spec.timeout.is_zero() && gate.begin_write() {
            ops.push(Write::set(spec.key, entry.clone(), lifetime.physical));
            let watch = self.backend_watch();
            let written = instance.write_batch(&ops).await;
            self.observe_backend(BackendOp::Write, watch);
            match written {
                Ok(()) => self.near_fill_written(near, instance, spec, value, &lifetime),
                Err(err) => self.warn.warn(
                    self.name(),
                    format_args!("cache write failed on {}: {err}", instance.name()),
                ),
            }
        }
        Some(entry.slice(header_len..))
    }
}

/// Ends a computation: its gate closes (a waiting invalidation goes on), then its waiters
/// get `outcome`.
fn release(gate: WriteGate, leader: Option<Leader>, outcome: Outcome) {
    drop(gate);
    if let Some(leader) = leader {
        leader.finish(outcome);
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

/// Counts a call whose computation panicked (without fail-safe the panic goes on to the
/// caller, past the point that counts outcomes) as an error.
struct ErrorIfUnwinding<'a>(Option<&'a FnCache>);

impl ErrorIfUnwinding<'_> {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for ErrorIfUnwinding<'_> {
    fn drop(&mut self) {
        if let Some(cache) = self.0
            && std::thread::panicking()
        {
            cache.observe_outcome(Observed::Error);
        }
    }
}
