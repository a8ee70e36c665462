//! The seed README's book store, on the embedded in-memory cache.
//!
//! Run: `cargo run --example bookstore`. It prints cold and warm timings, then shows a
//! book's tag invalidating exactly the favourite lists that contain it, and a refresh.

use easy_cache::{Meta, create_cache_key, create_tag_cache_key, ecached, invalidate_cache_tags};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};
use std::time::{Duration, Instant};

/// How long the pretend database takes to answer.
const DB_LATENCY: Duration = Duration::from_millis(40);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Book {
    id: u64,
    title: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct User {
    id: u64,
    name: String,
    state: String,
}

/// The pretend database.
struct Db {
    books: HashMap<u64, Book>,
    users: Vec<User>,
    favorites: HashMap<u64, Vec<u64>>,
}

static DB: LazyLock<RwLock<Db>> = LazyLock::new(|| {
    let books = [(1, "Dune"), (2, "Solaris"), (3, "Neuromancer")]
        .into_iter()
        .map(|(id, title)| {
            (
                id,
                Book {
                    id,
                    title: title.to_owned(),
                },
            )
        })
        .collect();
    let users = vec![
        User {
            id: 1,
            name: "ann".into(),
            state: "active".into(),
        },
        User {
            id: 2,
            name: "bob".into(),
            state: "active".into(),
        },
        User {
            id: 3,
            name: "cyd".into(),
            state: "deleted".into(),
        },
    ];
    let favorites = HashMap::from([(1, vec![1, 2]), (2, vec![3])]);
    RwLock::new(Db {
        books,
        users,
        favorites,
    })
});

fn db() -> std::sync::RwLockReadGuard<'static, Db> {
    DB.read().expect("db lock")
}

impl User {
    /// Users in a state, cached per state and tagged for all states at once.
    #[ecached("users_by_state:{state}", 60, tags = ["users_by_states"])]
    async fn by_state(state: &str) -> Vec<User> {
        tokio::time::sleep(DB_LATENCY).await;
        db().users
            .iter()
            .filter(|u| u.state == state)
            .cloned()
            .collect()
    }

    /// One tag per favourite book, known only from the returned list.
    fn books_tags(meta: &Meta<'_>) -> Vec<String> {
        meta.returned_value::<Vec<Book>>()
            .map(|books| {
                books
                    .iter()
                    .map(|b| create_cache_key!("book", b.id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The user's favourite books, cached for 10 minutes per user.
    #[ecached("user_favorite_books:{self.id}", 600, tags = User::books_tags)]
    async fn favorite_books(&self) -> Vec<Book> {
        tokio::time::sleep(DB_LATENCY).await;
        let db = db();
        let ids = db.favorites.get(&self.id).cloned().unwrap_or_default();
        ids.iter()
            .filter_map(|id| db.books.get(id).cloned())
            .collect()
    }
}

async fn timed<T>(label: &str, call: impl std::future::Future<Output = T>) -> T {
    let started = Instant::now();
    let value = call.await;
    println!(
        "  {label:<44} {:>9.3} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    value
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let ann = db().users[0].clone();
    let bob = db().users[1].clone();

    println!(
        "cold and warm calls (database latency {} ms):",
        DB_LATENCY.as_millis()
    );
    timed(
        "User::by_state(\"active\")   cold",
        User::by_state("active"),
    )
    .await;
    let active = timed(
        "User::by_state(\"active\")   warm",
        User::by_state("active"),
    )
    .await;
    println!("  -> {} active users", active.len());
    timed("ann.favorite_books()        cold", ann.favorite_books()).await;
    let books = timed("ann.favorite_books()        warm", ann.favorite_books()).await;
    timed("bob.favorite_books()        cold", bob.favorite_books()).await;
    println!(
        "  -> ann likes {:?}",
        books.iter().map(|b| &b.title).collect::<Vec<_>>()
    );

    println!("\nbook 2 is renamed; invalidate its tag (one write):");
    DB.write()
        .expect("db lock")
        .books
        .get_mut(&2)
        .expect("book 2")
        .title = "Solaris (2nd ed.)".into();
    invalidate_cache_tags(create_tag_cache_key!("book", 2))
        .await
        .expect("invalidate");
    let books = timed(
        "ann.favorite_books()        recomputed",
        ann.favorite_books(),
    )
    .await;
    timed(
        "bob.favorite_books()        still cached",
        bob.favorite_books(),
    )
    .await;
    println!(
        "  -> ann likes {:?}",
        books.iter().map(|b| &b.title).collect::<Vec<_>>()
    );

    println!("\nbob adds a favourite; refresh his entry:");
    DB.write().expect("db lock").favorites.insert(2, vec![3, 1]);
    let refreshed = timed(
        "refresh_cache(bob.favorite_books())",
        User::favorite_books_cache().refresh_cache(bob.favorite_books()),
    )
    .await;
    let books = timed("bob.favorite_books()        warm", bob.favorite_books()).await;
    assert_eq!(books, refreshed);
    println!(
        "  -> bob likes {:?}",
        books.iter().map(|b| &b.title).collect::<Vec<_>>()
    );

    println!("\ninvalidate every state list by its shared tag:");
    User::by_state_cache()
        .invalidate_tags("users_by_states")
        .await
        .expect("invalidate");
    timed(
        "User::by_state(\"active\")   recomputed",
        User::by_state("active"),
    )
    .await;
    println!(
        "\nkey of ann's favourites: {}",
        User::favorite_books_cache().cache_key(&ann)
    );

    // Counted per function with or without the `metrics` feature (no exporter needed).
    println!("\nhow the cache did:");
    for (name, stats) in [
        ("User::by_state", User::by_state_cache().stats()),
        ("favorite_books", User::favorite_books_cache().stats()),
        (
            "every function",
            easy_cache::observe::cache_stats("default"),
        ),
    ] {
        println!(
            "  {name:<16} {} hits, {} misses: hit ratio {:.0}%, slowest computation {:?}",
            stats.hits,
            stats.misses,
            stats.hit_ratio().unwrap_or(0.0) * 100.0,
            stats.max_compute_time,
        );
    }
}
