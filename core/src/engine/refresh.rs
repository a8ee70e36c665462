//! `refresh_cache`: run one call of a function bypassing its cached value, then store.
//!
//! The handle runs the call's future inside a task-local scope naming the function (a
//! thread-local one for a sync call); the function's engine takes the mark at its start,
//! so calls nested inside it are unaffected.

use std::cell::Cell;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

tokio::task_local! {
    static REFRESHING: Cell<Option<&'static str>>;
}

thread_local! {
    /// The mark of a sync call's refresh (see [`refresh_blocking`]).
    static REFRESHING_HERE: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Refresh scopes open now, async or sync, in any task or thread. Every call asks
/// [`take`]; while this is 0 (nearly always) it answers without touching the task-local
/// or the thread-local. A scope's own calls run after its increment, in the same task or
/// thread, so they always see it.
static OPEN_SCOPES: AtomicUsize = AtomicUsize::new(0);

/// Counts one open scope while it lives (also when its future is dropped unfinished or
/// its call panics).
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

/// Runs the sync `call` with a refresh mark for function `id`; returns its output and
/// whether the function took the mark.
pub(crate) fn refresh_blocking<R>(id: &'static str, call: impl FnOnce() -> R) -> (R, bool) {
    /// Puts back the outer mark, also when `call` panics.
    struct Restore(Option<&'static str>);
    impl Drop for Restore {
        fn drop(&mut self) {
            REFRESHING_HERE.with(|mark| mark.set(self.0));
        }
    }
    let _open = OpenScope::open();
    let _restore = Restore(REFRESHING_HERE.with(|mark| mark.replace(Some(id))));
    let output = call();
    let taken = REFRESHING_HERE.with(|mark| mark.get().is_none());
    (output, taken)
}

/// Whether any refresh scope is open (then a call's start must look for its mark).
#[inline]
pub(crate) fn any_open() -> bool {
    OPEN_SCOPES.load(Ordering::Relaxed) != 0
}

/// True (once) when the current call of function `id` must refresh.
#[inline]
pub(crate) fn take(id: &str) -> bool {
    if !any_open() {
        return false;
    }
    let take_from = |mark: &Cell<Option<&'static str>>| {
        let hit = mark.get() == Some(id);
        if hit {
            mark.set(None);
        }
        hit
    };
    REFRESHING.try_with(take_from).unwrap_or(false) || REFRESHING_HERE.with(take_from)
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

    #[test]
    fn a_sync_scope_marks_this_thread_until_it_ends() {
        let (inner, taken) = refresh_blocking("f8", || (take("f3"), take("f8"), take("f8")));
        assert_eq!(inner, (false, true, false));
        assert!(taken);
        let ((), taken) = refresh_blocking("f8", || {});
        assert!(!taken);
        assert!(!take("f8"), "no mark outside a scope");
    }
}
