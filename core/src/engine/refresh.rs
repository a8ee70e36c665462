//! `refresh_cache`: run one call of a function bypassing its cached value, then store.
//!
//! The handle runs the call's future inside a task-local scope naming the function; the
//! function's engine takes the mark at its start, so calls nested inside it are unaffected.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

tokio::task_local! {
    static REFRESHING: Cell<Option<&'static str>>;
}

/// Refresh scopes open now, in any task. Every call asks [`take`]; while this is 0 (nearly
/// always) it answers without touching the task-local. A scope's own calls run after its
/// increment in the same task, so they always see it.
static OPEN_SCOPES: AtomicUsize = AtomicUsize::new(0);

/// Counts one open scope while it lives (also when its future is dropped unfinished).
struct OpenScope;

impl OpenScope {
    fn open() -> Self {
        OPEN_SCOPES.fetch_add(1, Ordering::Relaxed);
        OpenScope
    }
}

impl Drop for OpenScope {
    fn drop(&mut self) {
        OPEN_SCOPES.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Runs `call` with a refresh mark for function `id`; returns its output and whether the
/// function took the mark (false: the future was not a call of that function).
pub(crate) async fn refresh_scope<F: Future>(id: &'static str, call: F) -> (F::Output, bool) {
    let _open = OpenScope::open();
    REFRESHING
        .scope(Cell::new(Some(id)), async move {
            let output = call.await;
            let taken = REFRESHING.with(|mark| mark.get().is_none());
            (output, taken)
        })
        .await
}

/// True (once) when the current call of function `id` must refresh.
#[inline]
pub(crate) fn take(id: &str) -> bool {
    if OPEN_SCOPES.load(Ordering::Relaxed) == 0 {
        return false;
    }
    REFRESHING
        .try_with(|mark| {
            let hit = mark.get() == Some(id);
            if hit {
                mark.set(None);
            }
            hit
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_mark_is_taken_once_and_only_by_its_function() {
        let (inner, taken) =
            refresh_scope("f7", async { (take("f3"), take("f7"), take("f7")) }).await;
        assert_eq!(inner, (false, true, false));
        assert!(taken);
        let ((), taken) = refresh_scope("f7", async {}).await;
        assert!(!taken);
        assert!(!take("f7"), "no mark outside a scope");
    }
}
