//! Helpers shared by the `fail_safe*` tests: a scripted upstream per test namespace, and
//! ways to wait for a computation moved to a task.
// Every test crate includes this module but uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

pub const MINUTE: Duration = Duration::from_secs(60);

/// A random namespace per test: the tests of a backend share its functions.
pub fn namespace(topic: &str) -> String {
    format!("{}{:016x}", topic.replace('_', ""), fastrand::u64(..))
}

/// What the computation of a namespace does next.
#[derive(Clone)]
pub enum Behave {
    Value(u64),
    Fail,
    Panic,
    /// Waits for the notification, then returns the value.
    Block(Arc<Notify>, u64),
}

#[derive(Default)]
pub struct Upstream {
    behave: Mutex<HashMap<String, Behave>>,
    runs: Mutex<HashMap<String, usize>>,
}

impl Upstream {
    pub fn set(&self, ns: &str, behave: Behave) {
        self.behave.lock().unwrap().insert(ns.to_owned(), behave);
    }

    pub fn runs(&self, ns: &str) -> usize {
        self.runs.lock().unwrap().get(ns).copied().unwrap_or(0)
    }

    pub async fn compute(&self, ns: &str) -> Result<u64, String> {
        *self.runs.lock().unwrap().entry(ns.to_owned()).or_default() += 1;
        let behave = self.behave.lock().unwrap().get(ns).cloned();
        match behave.unwrap_or(Behave::Value(1)) {
            Behave::Value(value) => Ok(value),
            Behave::Fail => Err("upstream down".to_owned()),
            Behave::Panic => panic!("upstream panicked (expected by the test)"),
            Behave::Block(release, value) => {
                release.notified().await;
                Ok(value)
            }
        }
    }
}

/// Lets a released refresh finish in its task (its store, if it made one, lands).
pub async fn settle() {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Calls `get` until it returns `want` (a moved computation stores in a task of this
/// runtime: it runs while this one waits); panics after 10 s.
pub async fn eventually<F, Fut>(want: u64, mut get: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    for _ in 0..1000 {
        if get().await == Ok(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("never got {want}");
}

/// `url` with the query options `options` (`a=1&b=2`) added.
pub fn with_options(url: &str, options: &str) -> String {
    let joint = if url.contains('?') { '&' } else { '?' };
    format!("{url}{joint}{options}")
}

/// Checks a function whose entries live 60 s plus a jitter of up to 30 s, on `upstream`'s
/// namespace `ns`: 200 entries written together have not all expired at 75 s, nor all
/// lived on. `spread(ns, id)` calls it.
pub async fn check_jitter_spreads_expiry<F, Fut>(upstream: &Upstream, ns: &str, spread: F)
where
    F: Fn(u64) -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    for id in 0..200 {
        assert_eq!(spread(id).await, Ok(1));
    }
    // Lifetimes are 60 s plus up to 30 s: at 75 s about half have expired.
    easy_cache::test_clock::advance(Duration::from_secs(75));
    for id in 0..200 {
        assert_eq!(spread(id).await, Ok(1));
    }
    let recomputed = upstream.runs(ns) - 200;
    assert!(
        (40..=160).contains(&recomputed),
        "{recomputed} of 200 expired"
    );
}

/// Checks a function with a refresh point at 30 s of 60 (`early()` calls it): a hit past it
/// returns the cached value at once, and one refresh runs in the background.
pub async fn check_refresh_in_the_background<F, Fut>(upstream: &Upstream, ns: &str, early: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    assert_eq!(early().await, Ok(1));
    let release = Arc::new(Notify::new());
    upstream.set(ns, Behave::Block(Arc::clone(&release), 2));
    easy_cache::test_clock::advance(Duration::from_secs(31));
    assert_eq!(early().await, Ok(1), "the cached value, at once");
    assert_eq!(early().await, Ok(1));
    tokio::task::yield_now().await;
    assert_eq!(upstream.runs(ns), 2, "one refresh");
    release.notify_one();
    eventually(2, &early).await;
    assert_eq!(upstream.runs(ns), 2);
}

/// Checks a fail-safe function (60 s) with a soft timeout (`patient()` calls it): once its
/// value is stale and the computation hangs, the stale value comes back after the soft
/// timeout, and the computation, kept, updates the cache when it ends.
pub async fn check_soft_timeout_serves_stale<F, Fut>(upstream: &Upstream, ns: &str, patient: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<u64, String>>,
{
    assert_eq!(patient().await, Ok(1));
    easy_cache::test_clock::advance(MINUTE + Duration::from_secs(1));
    let release = Arc::new(Notify::new());
    upstream.set(ns, Behave::Block(Arc::clone(&release), 2));
    assert_eq!(patient().await, Ok(1), "stale after the soft timeout");
    release.notify_one();
    eventually(2, &patient).await;
    assert_eq!(
        upstream.runs(ns),
        2,
        "the slow computation was kept, not restarted"
    );
}
