//! The bound on how long one call waits for other calls computing its key (single
//! flight), in total across take-overs: a hung computation must not hold its waiters
//! forever.

use super::blocking::{self, Deadline};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
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
        let (on_tokio, on_system) = *self.deadline.get_or_insert_with(|| {
            (
                Instant::now() + self.limit,
                std::time::Instant::now() + self.limit,
            )
        });
        // In a sync call, a timer its executor honours: a tokio timer would wait for a
        // runtime this thread may be blocking.
        if blocking::active() {
            return self.race(wait, Deadline::new(on_system)).await;
        }
        match tokio_timer(on_tokio) {
            Some(sleep) => self.race(wait, sleep).await,
            // No tokio timer here: wait as long as it takes.
            None => Some(wait.await),
        }
    }

    /// `wait`'s output, or `None` (the budget spent) when `timer` ends first.
    async fn race<F: Future>(
        &mut self,
        wait: F,
        timer: impl Future<Output = ()>,
    ) -> Option<F::Output> {
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

/// A tokio timer ending at `deadline`, when this task runs on a tokio runtime with timers
/// enabled. Another executor, or a runtime built without `enable_time`, has none: tokio
/// panics when a timer is created there, and a cache must not take the caller down for it.
fn tokio_timer(deadline: Instant) -> Option<Sleep> {
    tokio::runtime::Handle::try_current().ok()?;
    catch_unwind(AssertUnwindSafe(|| tokio::time::sleep_until(deadline))).ok()
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
        assert!(tokio_timer(Instant::now()).is_none(), "outside a runtime");
    }
}
