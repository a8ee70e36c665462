//! `hard_timeout`: a computation that takes longer is abandoned, and the call's result is
//! the timeout error (or, for a fail-safe function with a stale value, that value: an `Err`
//! is a failure like any other).

use super::wait::WaitBound;
use crate::error::{Error, ErrorKind};
use std::future::Future;
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
        None => F::Output::timed_out(Error::new(
            ErrorKind::Timeout,
            format!("the computation took longer than its hard timeout ({limit:?}): abandoned"),
        )),
    }
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
