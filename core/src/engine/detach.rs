//! Moving the rest of a call off its caller: the computation of a refresh ahead of expiry,
//! and one that passed its soft timeout, go on in a task of the caller's tokio runtime and
//! store their value when done.
//!
//! A computation can move only when its future, its output and its value are `Send +
//! 'static` and the function has no value tags (their closure borrows the call). Whether
//! they are is decided where `#[ecached]` expands, by autoref (like the near-cache probe):
//! [`SpawnProbe`] gives a [`Spawner`] when they are, `None` otherwise, and the engine's
//! generic code needs no such bounds. Without a spawner (or a runtime) a refresh runs in
//! the call that found it due, and a soft timeout waits on.

use super::FnCache;
use super::entry::Stamp;
use super::inflight::{Leader, WriteGate};
use super::near::fill::NearRead;
use super::spec::CallSpec;
use crate::backend::CacheInstance;
use crate::backend::timeout::Timeout;
use crate::codec::Codec;
use crate::keys::versions::Token;
use crate::policy::ReturnPolicy;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

/// The rest of one call, owned: what a task needs to finish it.
pub(crate) struct Job<C, P: ReturnPolicy<R>, R, F> {
    pub cache: &'static FnCache,
    pub instance: Arc<dyn CacheInstance>,
    pub key: String,
    pub versions: Vec<String>,
    pub timeout: Timeout,
    pub stamp: Stamp,
    /// The versions read before the computation (see `pin_versions`).
    pub snapshot: Vec<Option<Token>>,
    pub near: Option<NearRead<P::Value>>,
    /// The computation, maybe already under way.
    pub compute: Pin<Box<F>>,
    /// Its write gate, when it is already under way (else the job opens one).
    pub gate: Option<WriteGate>,
    pub leader: Option<Leader>,
    pub codec: PhantomData<fn() -> C>,
}

/// Whether a job went to a task (`Err`: no runtime here, the job given back).
pub(crate) type Spawned<C, P, R, F> = Result<(), Box<Job<C, P, R, F>>>;

/// What starts a job of one function, monomorphized where `#[ecached]` expands.
type SpawnFn<C, P, R, F> = fn(Job<C, P, R, F>) -> Spawned<C, P, R, F>;

/// Starts jobs of one function on the caller's runtime (see the module docs).
pub struct Spawner<C, P, R, F>
where
    P: ReturnPolicy<R>,
{
    spawn: SpawnFn<C, P, R, F>,
}

impl<C, P: ReturnPolicy<R>, R, F> Clone for Spawner<C, P, R, F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<C, P: ReturnPolicy<R>, R, F> Copy for Spawner<C, P, R, F> {}

impl<C, P: ReturnPolicy<R>, R, F> Spawner<C, P, R, F> {
    /// Runs `job` in a task of the current tokio runtime; gives it back when there is none.
    pub(crate) fn spawn(&self, job: Job<C, P, R, F>) -> Spawned<C, P, R, F> {
        (self.spawn)(job)
    }
}

impl<C, P: ReturnPolicy<R>, R, F> std::fmt::Debug for Spawner<C, P, R, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Spawner")
    }
}

/// Asks whether a call's computation can move to a task (see the module docs).
pub struct SpawnProbe<C, P, R, F>(PhantomData<Types<C, P, R, F>>);

/// The types a probe is about (no value of them is held).
type Types<C, P, R, F> = fn() -> (C, P, R, F);

impl<C, P, R, F> SpawnProbe<C, P, R, F> {
    /// The probe for the computation `_compute`.
    pub fn of(_compute: &F) -> Self {
        SpawnProbe(PhantomData)
    }
}

/// Chosen when the computation can move.
pub trait ViaSpawn<C, P: ReturnPolicy<R>, R, F> {
    /// A spawner for it.
    fn spawner(&self) -> Option<Spawner<C, P, R, F>>;
}

impl<C, P, R, F> ViaSpawn<C, P, R, F> for SpawnProbe<C, P, R, F>
where
    C: Codec,
    P: ReturnPolicy<R> + 'static,
    P::Value: Clone + Send + Sync + 'static,
    R: Send + 'static,
    F: Future<Output = R> + Send + 'static,
{
    fn spawner(&self) -> Option<Spawner<C, P, R, F>> {
        Some(Spawner {
            spawn: spawn_job::<C, P, R, F>,
        })
    }
}

/// Chosen otherwise: the computation stays with its caller. Without bounds, so that a
/// return type that cannot be cached at all is reported by the call's own bounds, not here.
pub trait ViaNoSpawn {
    /// [`NoSpawner`].
    fn spawner(&self) -> NoSpawner;
}

impl<C, P, R, F> ViaNoSpawn for &SpawnProbe<C, P, R, F> {
    fn spawner(&self) -> NoSpawner {
        NoSpawner
    }
}

/// What [`ViaNoSpawn`] gives: no way to move the computation.
#[derive(Debug, Clone, Copy)]
pub struct NoSpawner;

/// What a call takes as its way to move the computation: a probe's answer.
pub trait IntoSpawner<C, P, R, F> {
    /// The spawner, if any.
    fn into_spawner(self) -> Option<Spawner<C, P, R, F>>
    where
        P: ReturnPolicy<R>;
}

impl<C, P, R, F> IntoSpawner<C, P, R, F> for NoSpawner {
    fn into_spawner(self) -> Option<Spawner<C, P, R, F>>
    where
        P: ReturnPolicy<R>,
    {
        None
    }
}

impl<C, P: ReturnPolicy<R>, R, F> IntoSpawner<C, P, R, F> for Option<Spawner<C, P, R, F>> {
    fn into_spawner(self) -> Option<Spawner<C, P, R, F>> {
        self
    }
}

fn spawn_job<C, P, R, F>(job: Job<C, P, R, F>) -> Spawned<C, P, R, F>
where
    C: Codec,
    P: ReturnPolicy<R> + 'static,
    P::Value: Clone + Send + Sync + 'static,
    R: Send + 'static,
    F: Future<Output = R> + Send + 'static,
{
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return Err(Box::new(job));
    };
    runtime.spawn(Box::new(job).run());
    Ok(())
}

impl<C, P: ReturnPolicy<R>, R, F> Job<C, P, R, F> {
    /// The rest of the call `spec` of `cache`, owned, with its computation (maybe under way,
    /// then with its `gate`) and its single-flight lead.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        cache: &'static FnCache,
        instance: Arc<dyn CacheInstance>,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        snapshot: Vec<Option<Token>>,
        near: Option<NearRead<P::Value>>,
        compute: Pin<Box<F>>,
        gate: Option<WriteGate>,
        leader: Option<Leader>,
    ) -> Self {
        Job {
            cache,
            instance,
            key: spec.key.to_owned(),
            versions: spec.versions.iter().map(|v| (*v).to_owned()).collect(),
            timeout: spec.timeout,
            stamp,
            snapshot,
            near,
            compute,
            gate,
            leader,
            codec: PhantomData,
        }
    }
}

impl<C, P, R, F> Job<C, P, R, F>
where
    C: Codec,
    P: ReturnPolicy<R>,
    F: Future<Output = R>,
{
    /// Computes and stores; returns the computation's output.
    pub(crate) async fn run(self: Box<Self>) -> R {
        let Job {
            cache,
            instance,
            key,
            versions,
            timeout,
            stamp,
            snapshot,
            near,
            compute,
            gate,
            leader,
            codec: _,
        } = *self;
        let versions: Vec<&str> = versions.iter().map(String::as_str).collect();
        let spec = CallSpec {
            key: &key,
            versions: &versions,
            timeout,
            stamp: 0,
            local: None,
        };
        cache
            .compute_plain::<C, P, R, _>(
                &*instance, &spec, stamp, snapshot, None, near, compute, leader, gate,
            )
            .await
    }
}
