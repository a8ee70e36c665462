//! One call of a cached function: read, validate, maybe compute once, store.

use super::FnCache;
use super::compute::{Fallback, Mover};
use super::detach::{IntoSpawner, Job, NoSpawner, Spawner};
use super::entry::Stamp;
use super::inflight::{self, Outcome, Role, WriteGate};
use super::near::fill::{NearRead, NearStart};
use super::near::probe::NearOps;
use super::read::{Read, ReadNow, Stale};
use super::refresh;
use super::spec::{CallSpec, ValueTags};
use super::wait::WaitBound;
use crate::backend::CacheInstance;
use crate::codec::Codec;
use crate::error::Result;
use crate::keys::versions::Token;
use crate::observe::Outcome as Observed;
use crate::policy::ReturnPolicy;
use futures::future::Either;
use serde::de::DeserializeOwned;
use std::future::{Future, ready};
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;
use tracing::{Instrument, instrument::Instrumented};

/// A call past its start (see [`FnCache::begin`]) that did not hit.
pub(super) struct Begun<T> {
    refreshing: bool,
    stamp: Stamp,
    /// What the read that needed no waiting found, when the instance could answer it.
    known: Option<Read<T>>,
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
    pub fn call<C, P, R, Fut>(
        &'static self,
        spec: CallSpec<'_>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<NearOps<P::Value>>,
        compute: Fut,
    ) -> impl Future<Output = R>
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        self.call_with::<C, P, R, Fut, _, _>(spec, value_tags, near, compute, |_: &Fut| NoSpawner)
    }

    /// [`call`](Self::call), with a way to move the computation to a task (`spawner` makes
    /// it from the computation, on a call past the hit; `#[ecached]` passes a `SpawnProbe`):
    /// a refresh ahead of expiry then runs there while the caller gets the cached value, and
    /// a computation past its soft timeout goes on there while the caller gets the stale
    /// value.
    ///
    /// The call starts (refresh mark, near cache, in-process read) when this is called, not
    /// at the first poll: a hit is a ready future, with no state machine to run or drop.
    /// Generated code calls it from the decorated function's body, inside its task.
    // Inlined into the generated code: a hit then returns its value where the caller keeps
    // it, and the computation's future stays where it was built. Called, the returned
    // future and the computation (moved in as an argument) were copied through the stack
    // right after being written, and both copies stalled on store forwarding.
    #[inline]
    pub fn call_with<C, P, R, Fut, S, M>(
        &'static self,
        spec: CallSpec<'_>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<NearOps<P::Value>>,
        compute: Fut,
        spawner: M,
    ) -> impl Future<Output = R>
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
        S: IntoSpawner<C, P, R, Fut>,
        M: FnOnce(&Fut) -> S,
    {
        match self.begin::<C, P::Value>(&spec, value_tags.is_some(), near) {
            ControlFlow::Break(value) => Either::Left(ready(P::from_value(value))),
            ControlFlow::Continue(begun) => {
                Either::Right(self.call_past_begin::<C, P, R, Fut, S, M>(
                    spec, begun, value_tags, compute, spawner,
                ))
            }
        }
    }

    /// The rest of a call that [`begin`](Self::begin) did not answer. Boxed: a hit that
    /// `begin` answered would otherwise carry (and copy) its state in the caller's future;
    /// one allocation per call that waits on the instance instead.
    #[inline(never)]
    fn call_past_begin<'s, 't, C, P, R, Fut, S, M>(
        &'static self,
        spec: CallSpec<'s>,
        begun: Begun<P::Value>,
        value_tags: Option<ValueTags<'t, P::Value>>,
        compute: Fut,
        spawner: M,
    ) -> Pin<Box<Instrumented<impl Future<Output = R> + use<'s, 't, C, P, R, Fut, S, M>>>>
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
        S: IntoSpawner<C, P, R, Fut>,
        M: FnOnce(&Fut) -> S,
    {
        let spawner = spawner(&compute).into_spawner();
        let call = self.call_on::<C, P, R, Fut>(
            self.instance(),
            spec,
            begun,
            value_tags,
            compute,
            spawner,
        );
        Box::pin(call.instrument(self.call_span()))
    }

    /// The start of every call: takes the refresh mark, looks in the near cache, and
    /// reads where the instance answers without waiting (in-process stores: a hit returns
    /// here, within the poll). `value_tagged`: the function has tags of its value.
    pub(super) fn begin<C: Codec, T: DeserializeOwned>(
        &'static self,
        spec: &CallSpec<'_>,
        value_tagged: bool,
        near: Option<NearOps<T>>,
    ) -> ControlFlow<T, Begun<T>> {
        let refreshing = refresh::take(self.id());
        let versioned = !spec.versions.is_empty() || value_tagged;
        let (near, known) = match self.near_start(near, spec, versioned, refreshing) {
            NearStart::Hit(value) => {
                self.observe_hit(true);
                return ControlFlow::Break(value);
            }
            // The versions were valid when the entry was filled; the refresh reads them.
            NearStart::Due(value, near) => (
                Some(near),
                Some(Read::Due(value, vec![None; spec.versions.len()])),
            ),
            NearStart::Read(near) => (near, None),
        };
        let stamp = self.stamp::<C, T>(spec.stamp);
        let mut begun = Begun {
            refreshing,
            stamp,
            known,
            near,
        };
        if !refreshing && begun.known.is_none() {
            match self.read_now::<C, T>(spec, stamp) {
                ReadNow::Done(Read::Hit(value)) => {
                    self.observe_hit(false);
                    self.near_fill_read(begun.near.as_ref(), None, spec, &value);
                    return ControlFlow::Break(value);
                }
                ReadNow::Done(read) => begun.known = Some(read),
                ReadNow::Unavailable => {}
            }
        }
        ControlFlow::Continue(begun)
    }

    /// The rest of a call on `instance`, after [`begin`](Self::begin): read, join or lead
    /// the single flight, compute, store; without an instance (an alias not resolved),
    /// the computation alone. The async and the sync call (`call_blocking`) both end here.
    ///
    /// An `async` block rather than an `async fn`: an `async fn` copies each argument
    /// into a local of its state machine, and the state machine would hold both copies;
    /// the block uses its captures in place (the state is boxed and copied once per call).
    #[allow(clippy::manual_async_fn)] // On purpose: see above.
    pub(super) fn call_on<'s, 't, C, P, R, Fut>(
        &'static self,
        instance: Option<Arc<dyn CacheInstance>>,
        spec: CallSpec<'s>,
        mut begun: Begun<P::Value>,
        value_tags: Option<ValueTags<'t, P::Value>>,
        compute: Fut,
        spawner: Option<Spawner<C, P, R, Fut>>,
    ) -> impl Future<Output = R> + use<'s, 't, C, P, R, Fut>
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        async move {
            let Some(instance) = instance else {
                self.observe_unresolved();
                return compute.await;
            };
            self.observe_started(Some(&*instance));
            let read = match begun.known.take() {
                Some(read) => Ok(read),
                None => {
                    self.read::<C, P::Value>(&*instance, &spec, begun.stamp, begun.refreshing)
                        .await
                }
            };
            let read = match read {
                Ok(Read::Hit(value)) => {
                    self.observe_outcome(Observed::Hit);
                    self.near_fill_read(begun.near.as_ref(), Some(&*instance), &spec, &value);
                    return P::from_value(value);
                }
                read => read,
            };
            // Boxed: single flight, computation and store make a state machine of
            // kilobytes, which a remote hit would otherwise allocate and copy (a large
            // allocation and a memcpy per hit: a tenth of a Redis hit's CPU with 64
            // callers).
            Box::pin(self.call_past_read::<C, P, R, Fut>(
                &instance, spec, begun, read, value_tags, compute, spawner,
            ))
            .await
        }
    }

    /// The rest of [`call_on`](Self::call_on) after a first read that was not a hit.
    #[allow(clippy::too_many_arguments)]
    async fn call_past_read<C, P, R, Fut>(
        &'static self,
        instance: &Arc<dyn CacheInstance>,
        spec: CallSpec<'_>,
        begun: Begun<P::Value>,
        first: Result<Read<P::Value>>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        compute: Fut,
        spawner: Option<Spawner<C, P, R, Fut>>,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        let Begun {
            refreshing,
            stamp,
            known: _,
            near,
        } = begun;
        let mut first = Some(first);
        let mut wait = WaitBound::new(self.single_flight_wait());
        // Leaders seen to panic: after a waiter's take-over panics too, the remaining
        // waiters compute side by side instead of taking over one at a time.
        let mut panicked_leaders = 0;
        loop {
            let read = match first.take() {
                Some(read) => read,
                None => {
                    self.read::<C, P::Value>(&**instance, &spec, stamp, refreshing)
                        .await
                }
            };
            let (snapshot, mut stale) = match read {
                Ok(Read::Hit(value)) => {
                    self.observe_outcome(Observed::Hit);
                    self.near_fill_read(near.as_ref(), Some(&**instance), &spec, &value);
                    return P::from_value(value);
                }
                Ok(Read::Due(value, snapshot)) => {
                    self.observe_outcome(Observed::Hit);
                    let refreshed = Refresh {
                        instance,
                        spec: &spec,
                        stamp,
                        snapshot,
                        near,
                        value_tags,
                    };
                    return self.refresh_ahead(refreshed, value, compute, spawner).await;
                }
                Ok(Read::Miss(snapshot)) => (snapshot, None),
                Ok(Read::Stale(Stale {
                    value,
                    times,
                    snapshot,
                })) => {
                    let stale = Stale {
                        value,
                        times,
                        snapshot: Vec::new(),
                    };
                    (snapshot, Some(stale))
                }
                Err(err) => {
                    self.warn.warn(
                        self.name(),
                        format_args!(
                            "cache read failed on {}, running uncached: {err}",
                            instance.name()
                        ),
                    );
                    self.observe_outcome(Observed::Bypass);
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
                    Role::Leader(leader) => {
                        if stale.is_some() {
                            if let Some(value) = self
                                .stored_meanwhile::<C, P::Value>(instance, &spec, stamp)
                                .await
                            {
                                self.observe_outcome(Observed::Hit);
                                return P::from_value(value);
                            }
                        }
                        Some(leader)
                    }
                    Role::Waiter(waiter) => match self
                        .wait_for_leader(&**instance, &mut wait, waiter, stale.is_some())
                        .await
                    {
                        Some(Outcome::Value(bytes)) => match C::decode::<P::Value>(&bytes) {
                            Ok(value) => {
                                self.observe_outcome(Observed::Miss);
                                return P::from_value(value);
                            }
                            Err(_) => {
                                self.observe_outcome(Observed::Bypass);
                                return compute.await;
                            }
                        },
                        // The leader's computation failed: a fail-safe caller serves its
                        // stale value, as the leader did. Errors are not shared: each
                        // other caller gets its own function's result.
                        Some(Outcome::Uncacheable) => match stale {
                            Some(stale) => {
                                self.observe_outcome(Observed::Stale);
                                return P::from_value(stale.value);
                            }
                            None => None,
                        },
                        // The leader went away: look again at once, and one waiter leads.
                        Some(Outcome::Abandoned { panicked }) => {
                            panicked_leaders += usize::from(panicked);
                            continue;
                        }
                        None => {
                            // Past the soft timeout (or the whole waiting budget): a fail-safe
                            // caller serves its stale value rather than compute beside a
                            // leader that hangs.
                            if let Some(stale) = stale.take() {
                                self.observe_outcome(Observed::Stale);
                                return P::from_value(stale.value);
                            }
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
            let fallback = stale.map(|stale| Fallback {
                stale,
                mover: spawner
                    .filter(|_| value_tags.is_none())
                    .map(|spawner| Mover {
                        spawner,
                        instance: Arc::clone(instance),
                    }),
            });
            return self
                .compute_and_store::<C, P, R, Fut>(
                    &**instance,
                    &spec,
                    stamp,
                    snapshot,
                    value_tags,
                    near,
                    compute,
                    leader,
                    fallback,
                )
                .await;
        }
    }

    /// A hit past its refresh point: one recomputation of the key at a time in this
    /// process. Moved to a task when it can be (the caller gets `value` at once), else run
    /// here (the caller gets the fresh result). Any other call finding the key being
    /// computed gets `value`.
    async fn refresh_ahead<C, P, R, Fut>(
        &'static self,
        refresh: Refresh<'_, '_, P::Value>,
        value: P::Value,
        compute: Fut,
        spawner: Option<Spawner<C, P, R, Fut>>,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
        Fut: Future<Output = R>,
    {
        let Refresh {
            instance,
            spec,
            stamp,
            snapshot,
            near,
            value_tags,
        } = refresh;
        let Role::Leader(leader) =
            inflight::join_or_lead(self.id(), spec.key, spec.versions, value_tags.is_some())
        else {
            return P::from_value(value);
        };
        if let Some(value) = self
            .stored_meanwhile::<C, P::Value>(instance, spec, stamp)
            .await
        {
            return P::from_value(value);
        }
        if let Some(spawner) = spawner.filter(|_| value_tags.is_none()) {
            // The gate opens now: a write or invalidation from this point on wins over it.
            let gate = WriteGate::open(spec.key);
            let job = Job::new(
                self,
                Arc::clone(instance),
                spec,
                stamp,
                snapshot,
                near,
                Box::pin(compute),
                Some(gate),
                Some(leader),
            );
            return match spawner.spawn(job) {
                Ok(()) => P::from_value(value),
                Err(job) => job.run().await,
            };
        }
        self.compute_plain::<C, P, R, Fut>(
            &**instance,
            spec,
            stamp,
            snapshot,
            value_tags,
            near,
            compute,
            Some(leader),
            None,
        )
        .await
    }
}

impl FnCache {
    /// The outcome of the single flight `waiter` joined, within the call's waiting budget
    /// (`None`: spent); with a stale value at hand, within the soft timeout too.
    async fn wait_for_leader(
        &self,
        instance: &dyn CacheInstance,
        wait: &mut WaitBound,
        waiter: inflight::Waiter,
        stale: bool,
    ) -> Option<Outcome> {
        self.observe_wait();
        match self.resilience(instance).soft_timeout.filter(|_| stale) {
            Some(soft) => {
                WaitBound::new(soft.min(self.single_flight_wait()))
                    .wait(waiter.outcome())
                    .await
            }
            None => wait.wait(waiter.outcome()).await,
        }
    }

    /// Read again by a call that found its value stale or due and then took the lead: a
    /// flight that ended between its read and its lead stored a fresh value, which it
    /// returns instead of computing again. (Dropping the lead lets any waiter read it too.)
    async fn stored_meanwhile<C: Codec, T: DeserializeOwned>(
        &self,
        instance: &Arc<dyn CacheInstance>,
        spec: &CallSpec<'_>,
        stamp: Stamp,
    ) -> Option<T> {
        match self.read::<C, T>(&**instance, spec, stamp, false).await {
            Ok(Read::Hit(value)) => Some(value),
            _ => None,
        }
    }
}

/// What a refresh ahead of expiry needs of its call.
struct Refresh<'a, 'b, T> {
    instance: &'a Arc<dyn CacheInstance>,
    spec: &'a CallSpec<'b>,
    stamp: Stamp,
    snapshot: Vec<Option<Token>>,
    near: Option<NearRead<T>>,
    value_tags: Option<ValueTags<'a, T>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::timeout::Timeout;
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
            local: None,
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
