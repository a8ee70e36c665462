//! The bound on how long one call waits for other calls computing its key (single
//! flight), in total across take-overs: a hung computation must not hold its waiters
//! forever.

use super::blocking::{self, Deadline};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// How long a call waits for another call computing the same key before it computes on
/// its own, unless the function sets `single_flight_wait`.
pub const DEFAULT_SINGLE_FLIGHT_WAIT: Duration = Duration::from_secs(30);

/// One call's waiting budget; the clock starts at its first wait.
pub(crate) struct WaitBound {
    limit: Duration,
    /// The deadline on tokio's clock (paused in tests) and on the system's (for a sync
    /// call, whose thread no runtime drives).
    deadline: Option<(Instant, std::time::Instant)>,
    spent: bool,
}

impl WaitBound {
    pub(crate) fn new(limit: Duration) -> Self {
        WaitBound {
            limit,
            deadline: None,
            spent: false,
        }
    }

    /// True once a wait has run out of budget: the call computes on its own from then on.
    pub(crate) fn spent(&self) -> bool {
        self.spent
    }

    /// `wait`'s output, or `None` when the budget ran out first.
    pub(crate) async fn wait<F: Future>(&mut self, wait: F) -> Option<F::Output> {
        let deadline = *self.deadline.get_or_insert_with(|| {
            (
                Instant::now() + self.limit,
                std::time::Instant::now() + self.limit,
            )
        });
        let Some(timer) = timer(deadline) else {
            // No tokio timer here: wait as long as it takes.
            return Some(wait.await);
        };
        tokio::select! {
            biased;
            output = wait => Some(output),
            () = timer => {
                self.spent = true;
                None
            }
        }
    }
}

/// A timer ending at `deadline`: in a sync call, one its executor honours (a tokio timer
/// would wait for a runtime this thread may be blocking); else a tokio timer, when this
/// task runs on a tokio runtime with timers enabled. Another executor, or a runtime built
/// without `enable_time`, has none: tokio panics when a timer is created there, and a
/// cache must not take the caller down for it.
fn timer((on_tokio, on_system): (Instant, std::time::Instant)) -> Option<Timer> {
    if blocking::active() {
        return Some(Timer::Parked(Deadline::new(on_system)));
    }
    tokio::runtime::Handle::try_current().ok()?;
    catch_unwind(AssertUnwindSafe(|| tokio::time::sleep_until(on_tokio)))
        .ok()
        .map(|sleep| Timer::Tokio(Box::pin(sleep)))
}

enum Timer {
    Tokio(Pin<Box<Sleep>>),
    Parked(Deadline),
}

impl Future for Timer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.get_mut() {
            Timer::Tokio(sleep) => sleep.as_mut().poll(cx),
            Timer::Parked(deadline) => Pin::new(deadline).poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_wait_ends_at_the_bound_and_the_budget_is_shared_by_later_waits() {
        let mut bound = WaitBound::new(Duration::from_secs(5));
        let start = Instant::now();
        assert_eq!(bound.wait(std::future::ready(1)).await, Some(1));
        assert!(!bound.spent());
        tokio::time::advance(Duration::from_secs(3)).await;
        // The second wait has only the 2 s left of the budget.
        assert_eq!(bound.wait(std::future::pending::<()>()).await, None);
        assert!(bound.spent());
        assert_eq!(start.elapsed(), Duration::from_secs(5));
    }

    #[test]
    fn a_sync_call_inside_a_runtime_waits_on_its_own_clock() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let start = std::time::Instant::now();
        // The runtime's thread is blocked: a tokio timer would never fire here.
        let got = runtime.block_on(async {
            blocking::block_on(async {
                let mut bound = WaitBound::new(Duration::from_millis(30));
                bound.wait(std::future::pending::<()>()).await
            })
        });
        assert_eq!(got, None);
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn without_a_tokio_timer_a_wait_is_unbounded_and_does_not_panic() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build() // no enable_time
            .unwrap();
        let mut bound = WaitBound::new(Duration::from_millis(1));
        let got = runtime.block_on(bound.wait(async { 7 }));
        assert_eq!(got, Some(7));
        let now = (Instant::now(), std::time::Instant::now());
        assert!(timer(now).is_none(), "outside a runtime");
    }
}
