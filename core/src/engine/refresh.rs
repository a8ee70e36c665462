//! `refresh_cache`: run one call of a function bypassing its cached value, then store.
//!
//! The handle runs the call's future inside a task-local scope naming the function; the
//! function's engine takes the mark at its start, so calls nested inside it are unaffected.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static REFRESHING: Cell<usize>;
}

/// Runs `call` with a refresh mark for function `id`; returns its output and whether the
/// function took the mark (false: the future was not a call of that function).
pub(crate) async fn refresh_scope<F: Future>(id: usize, call: F) -> (F::Output, bool) {
    REFRESHING
        .scope(Cell::new(id), async move {
            let output = call.await;
            let taken = REFRESHING.with(|mark| mark.get() != id);
            (output, taken)
        })
        .await
}

/// True (once) when the current call of function `id` must refresh.
pub(crate) fn take(id: usize) -> bool {
    REFRESHING
        .try_with(|mark| {
            let hit = mark.get() == id;
            if hit {
                mark.set(0);
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
        let (inner, taken) = refresh_scope(7, async { (take(3), take(7), take(7)) }).await;
        assert_eq!(inner, (false, true, false));
        assert!(taken);
        let ((), taken) = refresh_scope(7, async {}).await;
        assert!(!taken);
        assert!(!take(7), "no mark outside a scope");
    }
}
