//! Threads' copies of hit values (the near cache's per-thread front, found from the
//! arguments before any key is built): each copy stops serving once its key, tag, prefix,
//! lifetime, refresh or alias says so, and changes made on other threads count.
//!
//! One test, its steps in sequence: a copy is shared by nothing else, but every change
//! anywhere in the process (here: the steps themselves) ends copies, so steps running side
//! by side in one process would only see misses where this test expects hits.

use easy_cache::{MemoryCache, caches, ecached, test_clock};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static RUNS: AtomicU64 = AtomicU64::new(0);

/// A new value on every computation: a hit returns an older one.
fn computed(base: u64) -> u64 {
    base * 1000 + RUNS.fetch_add(1, Ordering::SeqCst) + 1
}

#[ecached("copies:{id}", 600, tags = ["copies", "copy:{id}"], prefix = "org:{org}")]
fn load(org: &str, id: u64) -> u64 {
    computed(id)
}

/// The same key parts as `load`, another function: never each other's copy.
#[ecached("copies_other:{id}", prefix = "org:{org}")]
fn other(org: &str, id: u64) -> u64 {
    computed(id + 500)
}

#[ecached]
fn automatic(name: String, n: u8) -> String {
    format!("{name}/{n}/{}", computed(u64::from(n)))
}

/// Entries that carry their logical lifetime (fail-safe), read against the test clock.
#[ecached("copies_short:{id}", 60, fail_safe = 600)]
fn short_lived(id: u64) -> Result<u64, String> {
    Ok(computed(id))
}

#[ecached("copies_aliased:{id}", cache_alias = "thread_copies_alias")]
fn aliased(id: u64) -> u64 {
    computed(id)
}

/// An automatic key names the instantiation: `size::<u8>` and `size::<u64>` differ.
#[ecached]
fn size<T>(id: u64) -> usize {
    let _ = id;
    std::mem::size_of::<T>()
}

struct Shelf {
    id: u64,
}

impl Shelf {
    const KIND: &'static str = "shelf";

    /// A method whose key reads a field of `self` and an associated constant.
    #[ecached("copies_shelf:{Self::KIND}:{self.id}:{n}")]
    fn count(&self, n: u32) -> u64 {
        computed(self.id + u64::from(n))
    }
}

#[ecached("copies_async:{id}")]
async fn load_async(id: u64) -> u64 {
    computed(id)
}

/// Calls `f` three times: the first computes, the second hits the near cache and is
/// copied, the third is answered by the copy. Returns the value (all three agree).
fn settled<T: PartialEq + std::fmt::Debug>(f: impl Fn() -> T) -> T {
    let first = f();
    assert_eq!(f(), first);
    assert_eq!(f(), first);
    first
}

/// Runs `f` on another thread and waits for it.
fn elsewhere(f: impl FnOnce() + Send + 'static) {
    std::thread::spawn(f).join().expect("the other thread");
}

#[test]
fn copies_serve_until_anything_they_depend_on_changes_on_any_thread() {
    caches::insert("thread_copies_alias", Arc::new(MemoryCache::default()));

    // Hits, then copies: no computation after the first.
    let before = RUNS.load(Ordering::SeqCst);
    let value = settled(|| load("acme", 1));
    assert_eq!(RUNS.load(Ordering::SeqCst), before + 1);
    let hits = load_cache().stats().hits;
    assert_eq!(load("acme", 1), value);
    assert_eq!(
        load_cache().stats().hits,
        hits + 1,
        "a copy's hit is counted"
    );

    // Other arguments, another function with the same arguments: their own values.
    assert_ne!(settled(|| load("acme", 2)), value);
    assert_ne!(settled(|| load("other", 1)), value);
    assert_ne!(settled(|| other("acme", 1)), value);
    assert_eq!(load("acme", 1), value);

    // Each way of invalidating, from another thread: the next call here computes.
    let mut value = value;
    let invalidations: [(&str, fn()); 5] = [
        ("key", || {
            assert!(load_cache().invalidate_cache_by_key("acme", &1).unwrap());
        }),
        ("tag", || load_cache().invalidate_tags("copies").unwrap()),
        ("tag of the call", || {
            load_cache().invalidate_cache_by_tags(&1).unwrap();
        }),
        ("prefix", || {
            load_cache().invalidate_cache_by_prefix("acme").unwrap();
        }),
        ("alias re-registered", || {
            caches::insert("thread_copies_unrelated", Arc::new(MemoryCache::default()));
        }),
    ];
    for (how, invalidate) in invalidations {
        elsewhere(invalidate);
        let next = settled(|| load("acme", 1));
        if how == "alias re-registered" {
            assert_eq!(next, value, "{how}: the value is still valid, read again");
        } else {
            assert_ne!(next, value, "{how}: a copy served an invalidated value");
        }
        value = next;
    }

    // A refresh computes despite the copy; later calls see its value.
    let refreshed = load_cache().refresh_cache(|| load("acme", 1));
    assert_ne!(refreshed, value);
    assert_eq!(settled(|| load("acme", 1)), refreshed);

    // Automatic keys: string and integer parts.
    let a = settled(|| automatic("ab".to_owned(), 1));
    let b = settled(|| automatic("a".to_owned(), 1));
    assert!(a.starts_with("ab/1/") && b.starts_with("a/1/"), "{a} {b}");
    assert_eq!(automatic("ab".to_owned(), 1), a);

    // Instantiations of a generic function; methods keyed by a field of `self`.
    assert_eq!(settled(|| size::<u8>(1)), 1);
    assert_eq!(settled(|| size::<u64>(1)), 8);
    assert_eq!(size::<u8>(1), 1);
    let (left, right) = (Shelf { id: 7 }, Shelf { id: 8 });
    let counted = settled(|| left.count(1));
    assert_ne!(settled(|| right.count(1)), counted);
    assert_eq!(left.count(1), counted);

    // A logical lifetime ends the copy as it ends the entry (the test clock is this
    // thread's).
    let lived = settled(|| short_lived(3));
    test_clock::advance(Duration::from_secs(61));
    assert_ne!(short_lived(3), lived, "expired");

    // An alias pointed at another instance: its copies end with the old instance's
    // entries.
    let old = settled(|| aliased(4));
    elsewhere(|| caches::insert("thread_copies_alias", Arc::new(MemoryCache::default())));
    assert_ne!(aliased(4), old, "the new instance is empty");

    // Async functions keep copies too.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let value = settled(|| runtime.block_on(load_async(5)));
    runtime
        .block_on(load_async_cache().invalidate_cache_by_key(&5))
        .unwrap();
    assert_ne!(runtime.block_on(load_async(5)), value);
}
