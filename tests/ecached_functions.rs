//! `#[ecached]` on free async functions, on the embedded default (in-memory) cache.

use easy_cache::{
    create_cache_key, ecached, invalidate_cache_key, invalidate_cache_prefix, invalidate_cache_tags,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

static SQUARE_RUNS: AtomicUsize = AtomicUsize::new(0);

/// Squares `n` (doc comments survive the macro).
#[ecached("square:{n}", 600)]
async fn square(n: u64) -> u64 {
    SQUARE_RUNS.fetch_add(1, Ordering::SeqCst);
    n * n
}

#[tokio::test]
async fn caches_by_template_key_and_invalidates_by_key() {
    assert_eq!(square(3).await, 9);
    assert_eq!(square(3).await, 9);
    assert_eq!(SQUARE_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(square_cache().cache_key(&3), "square:3");
    assert!(square_cache().invalidate_cache_by_key(&3).await.unwrap());
    assert_eq!(square(3).await, 9);
    assert_eq!(SQUARE_RUNS.load(Ordering::SeqCst), 2);
    assert!(
        invalidate_cache_key(&create_cache_key!("square", 3))
            .await
            .unwrap()
    );
    assert_eq!(square(3).await, 9);
    assert_eq!(SQUARE_RUNS.load(Ordering::SeqCst), 3);
}

static USER_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("user:{id}", 600, tags = ["users", "user:{id}"], prefix = "org:{org}")]
async fn load_user(org: &str, id: u64) -> String {
    USER_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{org}/{id}")
}

#[tokio::test]
async fn tags_and_prefix_invalidate_in_one_write() {
    let runs = || USER_RUNS.load(Ordering::SeqCst);
    assert_eq!(load_user("acme", 1).await, "acme/1");
    assert_eq!(load_user("acme", 2).await, "acme/2");
    assert_eq!(load_user("acme", 1).await, "acme/1");
    assert_eq!(runs(), 2);
    assert_eq!(load_user_cache().cache_key("acme", &1), "org:acme:user:1");

    // One entry's own tag, by name.
    invalidate_cache_tags(create_cache_key!("user", 1))
        .await
        .unwrap();
    load_user("acme", 1).await;
    load_user("acme", 2).await;
    assert_eq!(runs(), 3);

    // Every tag of a call ("users" and "user:1"), through the handle: both entries go.
    load_user_cache()
        .invalidate_cache_by_tags(&1)
        .await
        .unwrap();
    load_user("acme", 1).await;
    load_user("acme", 2).await;
    assert_eq!(runs(), 5);

    // A shared tag, by the free function.
    invalidate_cache_tags(["users"]).await.unwrap();
    load_user("acme", 1).await;
    load_user("acme", 2).await;
    assert_eq!(runs(), 7);

    // The prefix, through the handle and by the free function; other prefixes stay.
    load_user("other", 1).await;
    assert_eq!(runs(), 8);
    load_user_cache()
        .invalidate_cache_by_prefix("acme")
        .await
        .unwrap();
    load_user("acme", 1).await;
    load_user("other", 1).await;
    assert_eq!(runs(), 9);
    invalidate_cache_prefix("org:acme").await.unwrap();
    load_user("acme", 2).await;
    assert_eq!(runs(), 10);
    load_user("acme", 2).await;
    assert_eq!(runs(), 10);
}

static SHORT_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("short:{n}", timeout = Duration::from_millis(100))]
async fn short_lived(n: u8) -> u8 {
    SHORT_RUNS.fetch_add(1, Ordering::SeqCst);
    n
}

#[tokio::test]
async fn timeouts_expire_entries() {
    short_lived(1).await;
    short_lived(1).await;
    assert_eq!(SHORT_RUNS.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    short_lived(1).await;
    assert_eq!(SHORT_RUNS.load(Ordering::SeqCst), 2);
}
