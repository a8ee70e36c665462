//! Running the engine from sync code (`#[ecached]` on a plain `fn`), in or out of a tokio
//! runtime, without ever blocking on a runtime from inside one.
//!
//! The engine's futures run on the calling thread, on [`block_on`]: a minimal executor that
//! parks the thread between polls. Everything those futures wait on is woken from other
//! threads (a single-flight leader's outcome, a write gate, a background reply), so
//! parking a runtime worker, even the only thread of a current-thread runtime, cannot
//! deadlock. A backend that answers in process (memory, sled) is driven right there; the
//! others (Redis, Memcached) need a reactor, so their operations go to one crate-owned
//! runtime started on first use (see `background`).

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Instant;

thread_local! {
    /// Whether this thread is inside [`block_on`]: waits then need a timer that does not
    /// rely on a runtime being driven (see [`Deadline`]).
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// The earliest [`Deadline`] polled during the current poll of [`block_on`].
    static NEXT_DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Whether the current code runs inside [`block_on`].
pub(crate) fn active() -> bool {
    ACTIVE.with(Cell::get)
}

/// Wakes the thread that runs [`block_on`].
struct Unpark {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}

/// Restores this thread's executor state when a poll ends, also by a panic (a panicking
/// computation unwinds through [`block_on`]).
struct PollScope {
    was_active: bool,
    outer_deadline: Option<Instant>,
}

impl PollScope {
    fn enter() -> Self {
        PollScope {
            was_active: ACTIVE.with(|a| a.replace(true)),
            outer_deadline: NEXT_DEADLINE.with(|d| d.replace(None)),
        }
    }

    /// Ends the poll: the earliest deadline it polled.
    fn leave(self) -> Option<Instant> {
        NEXT_DEADLINE.with(Cell::get)
        // `drop` restores the outer state.
    }
}

impl Drop for PollScope {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.set(self.was_active));
        NEXT_DEADLINE.with(|d| d.set(self.outer_deadline));
    }
}

/// Runs `future` to completion on this thread, parking it while the future waits.
///
/// Tokio's cooperative budget is switched off for the future: called from a task that
/// spent its budget, tokio's channels would answer "pending, try again" forever, since the
/// budget comes back only when that task yields, which this loop never does.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let unpark = Arc::new(Unpark {
        thread: std::thread::current(),
        woken: AtomicBool::new(false),
    });
    let waker = Waker::from(Arc::clone(&unpark));
    let mut context = Context::from_waker(&waker);
    let mut future = pin!(tokio::task::coop::unconstrained(future));
    loop {
        let scope = PollScope::enter();
        let polled = future.as_mut().poll(&mut context);
        let deadline = scope.leave();
        if let Poll::Ready(output) = polled {
            return output;
        }
        // `park` may return spuriously, and a nested `block_on` on this thread may have
        // consumed an unpark meant for this one: the flag says whether a wake came.
        while !unpark.woken.swap(false, Ordering::Acquire) {
            match deadline {
                None => std::thread::park(),
                Some(at) => match at.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => std::thread::park_timeout(left),
                    _ => break,
                },
            }
        }
    }
}

/// A timer for code running inside [`block_on`]: ready at `at`. It registers its deadline
/// with the executor, which parks no longer than that, so it needs no runtime driving it.
pub(crate) struct Deadline {
    at: Instant,
}

impl Deadline {
    pub(crate) fn new(at: Instant) -> Self {
        Deadline { at }
    }
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.at {
            return Poll::Ready(());
        }
        let at = self.at;
        NEXT_DEADLINE.with(|d| d.set(Some(d.get().map_or(at, |other| other.min(at)))));
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn runs_a_future_woken_from_another_thread() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(7).unwrap();
        });
        assert_eq!(block_on(rx), Ok(7));
        sender.join().unwrap();
        assert!(!active(), "the flag is cleared after the call");
    }

    #[test]
    fn a_deadline_ends_a_wait_that_nothing_wakes() {
        let start = Instant::now();
        block_on(async {
            assert!(active());
            Deadline::new(Instant::now() + Duration::from_millis(30)).await;
        });
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn nested_calls_on_one_thread_do_not_lose_wakes() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u8>();
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            tx.send(1).unwrap();
        });
        let got = block_on(async move {
            let inner = block_on(async { 2 });
            rx.await.unwrap() + inner
        });
        assert_eq!(got, 3);
        sender.join().unwrap();
    }
}
