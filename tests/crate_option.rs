//! The macros' `crate = "..."` option: generated code names easy-cache through the given
//! path only. Here the facade is reachable as `renamed_cache`, and `easy_cache` names this
//! test crate itself (`extern crate self`), so any emitted `::easy_cache::…` path the
//! option missed would fail to resolve and this file would not compile.

extern crate easy_cache as renamed_cache;
// Unused is the point: nothing may name it.
#[allow(unused_extern_crates)]
extern crate self as easy_cache;

use renamed_cache::{ECached, create_cache_key, ecached};
use std::sync::atomic::{AtomicUsize, Ordering};

static RUNS: AtomicUsize = AtomicUsize::new(0);

// Every kind of emitted code: template key with `:hash`, tags (constant and templated),
// prefix, timeout, and a key function with a `Meta`.
#[ecached(
    "renamed:{id}:{name:hash}",
    600,
    tags = ["renamed", "renamed:{id}"],
    prefix = "p:{id}",
    crate = "renamed_cache"
)]
async fn load(id: u64, name: &str) -> String {
    RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{id}/{name}")
}

#[ecached(crate = "renamed_cache", tags = tags_of, timeout = timeout_of)]
async fn automatic(id: u64) -> Option<u64> {
    Some(id)
}

fn tags_of(meta: &renamed_cache::Meta<'_>) -> Vec<String> {
    vec![format!("auto:{}", meta.function_name())]
}

fn timeout_of(id: &u64) -> std::time::Duration {
    std::time::Duration::from_secs(60 + id)
}

#[derive(ECached)]
#[ecached(crate = "renamed_cache")]
#[ecached(property = doubled, returns = u64, key = "doubled:{self.id}", tags = ["users"])]
struct User {
    #[ecached(id)]
    id: u64,
}

impl User {
    async fn compute_doubled(&self) -> u64 {
        self.id * 2
    }
}

struct Repo;

#[ecached]
impl Repo {
    #[ecached(key = "repo:{n}", crate = "renamed_cache")]
    async fn get(&self, n: u32) -> u32 {
        n + 1
    }
}

#[tokio::test]
async fn emitted_paths_follow_the_crate_option() {
    assert_eq!(load(1, "a").await, "1/a");
    assert_eq!(load(1, "a").await, "1/a");
    assert_eq!(RUNS.load(Ordering::SeqCst), 1);
    assert!(
        load_cache()
            .cache_key(&1, "a")
            .starts_with("p:1:renamed:1:")
    );
    load_cache().invalidate_cache_by_tags(&1).await.unwrap();
    assert_eq!(load(1, "a").await, "1/a");
    assert_eq!(RUNS.load(Ordering::SeqCst), 2);

    assert_eq!(automatic(3).await, Some(3));
    assert!(automatic_cache().invalidate_cache_by_key(&3).await.unwrap());

    let user = User { id: 21 };
    assert_eq!(user.doubled().await, 42);
    assert_eq!(User::doubled_cache().cache_key(&user), "doubled:21");
    assert_eq!(create_cache_key!("user", user), "user:21");

    assert_eq!(Repo.get(1).await, 2);
    assert_eq!(Repo::get_cache().cache_key(&1), "repo:1");
}
