//! `hard_timeout`: a computation that takes longer is abandoned, and the call's result is
//! the timeout error (or, for a fail-safe function with a stale value, that value: an `Err`
//! is a failure like any other).

use super::FnCache;
use super::wait::WaitBound;
use crate::error::{Error, ErrorKind};
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

/// A return type that can carry "the computation timed out": `Result<_, E>` with
/// `E: From<easy_cache::Error>`.
#[diagnostic::on_unimplemented(
    message = "`hard_timeout` needs a function returning `Result<_, E>` with `E: From<easy_cache::Error>`",
    label = "the result of a computation that timed out must be able to say so",
    note = "add `impl From<easy_cache::Error> for YourError`, or return `Result<_, easy_cache::Error>` / `anyhow::Result<_>`"
)]
pub trait TimedOut {
    /// The result of a computation abandoned with `error`.
    fn timed_out(error: Error) -> Self;
}

impl<T, E: From<Error>> TimedOut for Result<T, E> {
    fn timed_out(error: Error) -> Self {
        Err(E::from(error))
    }
}

/// `compute`'s output, or the timeout error once `limit` has passed (on the caller's tokio
/// runtime; without a tokio timer, `compute` runs unbounded).
pub async fn hard_timeout<F>(limit: Duration, compute: F) -> F::Output
where
    F: Future,
    F::Output: TimedOut,
{
    match WaitBound::new(limit).wait(compute).await {
        Some(output) => output,
        None => F::Output::timed_out(abandoned(limit)),
    }
}

/// Asks whether a return type `R` can carry "timed out" (see [`TimedOut`]), for the
/// instance's default hard timeout: `(&TimedOutProbe::<R>::new()).timed_out()` is
/// `Some` when it can, `None` otherwise (autoref: no bound on the user's types).
pub struct TimedOutProbe<R>(PhantomData<fn() -> R>);

impl<R> TimedOutProbe<R> {
    /// A probe of `R`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        TimedOutProbe(PhantomData)
    }
}

/// How a probed `R` that can carry "timed out" makes one (picked first).
pub trait ViaTimedOut<R> {
    /// `Some(R::timed_out)`.
    fn timed_out(&self) -> Option<fn(Error) -> R>;
}

impl<R: TimedOut> ViaTimedOut<R> for TimedOutProbe<R> {
    fn timed_out(&self) -> Option<fn(Error) -> R> {
        Some(R::timed_out)
    }
}

/// The fallback for any other `R`.
pub trait ViaNoTimedOut<R> {
    /// `None`.
    fn timed_out(&self) -> Option<fn(Error) -> R>;
}

impl<R> ViaNoTimedOut<R> for &TimedOutProbe<R> {
    fn timed_out(&self) -> Option<fn(Error) -> R> {
        None
    }
}

/// `compute` under the hard timeout the function's cache instance sets by default (see
/// `Resilience::hard_timeout`), when `timed_out` can say so; else `compute` as it is. The
/// limit is read when the computation starts (the instance is resolved by then).
pub async fn default_hard_timeout<F: Future>(
    cache: &'static FnCache,
    timed_out: Option<fn(Error) -> F::Output>,
    compute: F,
) -> F::Output {
    let limit = timed_out.and(cache.default_hard_timeout());
    match (limit, timed_out) {
        (Some(limit), Some(timed_out)) => match WaitBound::new(limit).wait(compute).await {
            Some(output) => output,
            None => timed_out(abandoned(limit)),
        },
        _ => compute.await,
    }
}

fn abandoned(limit: Duration) -> Error {
    Error::new(
        ErrorKind::Timeout,
        format!("the computation took longer than its hard timeout ({limit:?}): abandoned"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_slow_computation_becomes_the_timeout_error() {
        let slow = async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<u32, Error>(1)
        };
        let got = hard_timeout(Duration::from_secs(1), slow).await;
        assert_eq!(got.unwrap_err().kind(), ErrorKind::Timeout);
        let quick = hard_timeout(Duration::from_secs(1), async { Ok::<u32, Error>(2) }).await;
        assert_eq!(quick.unwrap(), 2);
    }
}
