//! The counters of every function called so far, listed by function and cache, for
//! [`cache_stats`] and the stats of a function's several states.

use super::counters::Counters;
use super::stats::Stats;
use std::sync::Mutex;

/// A function's state that was called: its id (a function's body and handle may have a
/// state each, with one id), its cache alias, its counters.
struct Listed {
    id: &'static str,
    cache: &'static str,
    counters: &'static Counters,
}

/// The functions called so far (a function is listed on its first call past a hit).
static LISTED: Mutex<Vec<Listed>> = Mutex::new(Vec::new());

/// Lists a function's state, whose stats [`cache_stats`] sums under `cache`.
pub(crate) fn list(id: &'static str, cache: &'static str, counters: &'static Counters) {
    listed().push(Listed {
        id,
        cache,
        counters,
    });
}

fn listed() -> std::sync::MutexGuard<'static, Vec<Listed>> {
    LISTED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The stats of the listed states of the function `id`, added together.
pub(crate) fn function_stats(id: &str) -> Stats {
    sum(|listed| listed.id == id)
}

fn sum(mut pick: impl FnMut(&Listed) -> bool) -> Stats {
    let counters: Vec<&'static Counters> = listed()
        .iter()
        .filter(|listed| pick(listed))
        .map(|listed| listed.counters)
        .collect();
    counters
        .into_iter()
        .fold(Stats::default(), |sum, counters| {
            sum.merge(counters.snapshot())
        })
}

/// The stats of every function called so far that caches under the alias `cache`
/// (`"default"` for functions without `cache_alias`; `"instance"` sums the functions
/// given a `cache_instance`), added together.
///
/// ```
/// let stats = easy_cache_core::observe::cache_stats("nothing-here");
/// assert_eq!(stats.calls(), 0);
/// assert_eq!(stats.hit_ratio(), None);
/// ```
pub fn cache_stats(cache: &str) -> Stats {
    sum(|listed| listed.cache == cache)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::outcome::Outcome;
    use std::time::Duration;

    #[test]
    fn stats_of_a_cache_add_its_functions() {
        static ONE: Counters = Counters::new();
        static TWO: Counters = Counters::new();
        for counters in [&ONE, &TWO] {
            for _ in 0..3 {
                counters.hit(false);
            }
            counters.outcome(Outcome::Miss);
        }
        ONE.computation(Duration::from_millis(5));
        list("one", "stats-test-cache", &ONE);
        list("two", "stats-test-cache", &TWO);
        list("one-again", "stats-test-other", &ONE);
        let sum = cache_stats("stats-test-cache");
        assert_eq!((sum.hits, sum.misses), (6, 2));
        assert_eq!(sum.max_compute_time, Duration::from_millis(5));
        assert_eq!(sum.hit_ratio(), Some(0.75));
        assert_eq!(function_stats("two"), TWO.snapshot());
    }
}
