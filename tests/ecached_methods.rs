//! `#[ecached]` on methods (`&self`, `self: Arc<Self>`), associated functions, key and tag
//! functions (of parameters or of a `Meta`), refresh, and the seed's favourite-books example.

use easy_cache::{Meta, create_cache_key, ecached, invalidate_cache_tags};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Book {
    id: u64,
    title: String,
}

struct User {
    id: u64,
    books: Vec<Book>,
    runs: AtomicUsize,
}

impl User {
    fn new(id: u64, books: Vec<Book>) -> Self {
        User {
            id,
            books,
            runs: AtomicUsize::new(0),
        }
    }

    /// One tag per favourite book, from the returned value (the seed's `get_books_tags`).
    fn books_tags(meta: &Meta<'_>) -> Vec<String> {
        match meta.returned_value::<Vec<Book>>() {
            Some(books) => books
                .iter()
                .map(|b| create_cache_key!("book", b.id))
                .collect(),
            None => Vec::new(),
        }
    }

    #[ecached("user_favorite_books:{self.id}", 600, tags = User::books_tags)]
    async fn favorite_books(&self) -> Vec<Book> {
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.books.clone()
    }

    #[ecached("user_books_count:{self.id}", prefix = "user:{self.id}")]
    async fn books_count(self: Arc<Self>) -> usize {
        self.runs.fetch_add(1, Ordering::SeqCst);
        self.books.len()
    }
}

fn book(id: u64) -> Book {
    Book {
        id,
        title: format!("Book {id}"),
    }
}

#[tokio::test]
async fn favourite_books_are_invalidated_by_a_book_tag_from_the_returned_value() {
    let user = User::new(101, vec![book(1), book(2)]);
    let other = User::new(102, vec![book(3)]);
    assert_eq!(user.favorite_books().await, vec![book(1), book(2)]);
    assert_eq!(other.favorite_books().await, vec![book(3)]);
    user.favorite_books().await;
    other.favorite_books().await;
    assert_eq!(user.runs.load(Ordering::SeqCst), 1);
    assert_eq!(other.runs.load(Ordering::SeqCst), 1);

    // Book 2's title changed: only lists containing it are stale.
    invalidate_cache_tags(create_cache_key!("book", 2))
        .await
        .unwrap();
    user.favorite_books().await;
    other.favorite_books().await;
    assert_eq!(user.runs.load(Ordering::SeqCst), 2);
    assert_eq!(other.runs.load(Ordering::SeqCst), 1);

    // The user added a book: invalidate their key through the type's handle.
    assert!(
        User::favorite_books_cache()
            .invalidate_cache_by_key(&user)
            .await
            .unwrap()
    );
    user.favorite_books().await;
    assert_eq!(user.runs.load(Ordering::SeqCst), 3);
    assert_eq!(
        User::favorite_books_cache().cache_key(&user),
        "user_favorite_books:101"
    );
}

#[tokio::test]
async fn arc_self_methods_and_refresh() {
    let user = Arc::new(User::new(201, vec![book(1)]));
    assert_eq!(user.clone().books_count().await, 1);
    assert_eq!(user.clone().books_count().await, 1);
    assert_eq!(user.runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        User::books_count_cache()
            .refresh_cache(user.clone().books_count())
            .await,
        1
    );
    assert_eq!(user.runs.load(Ordering::SeqCst), 2);
    user.clone().books_count().await;
    assert_eq!(
        user.runs.load(Ordering::SeqCst),
        2,
        "refresh stored the fresh value"
    );
    User::books_count_cache()
        .invalidate_cache_by_prefix(&*user)
        .await
        .unwrap();
    user.clone().books_count().await;
    assert_eq!(user.runs.load(Ordering::SeqCst), 3);
}

static STATE_RUNS: AtomicUsize = AtomicUsize::new(0);
static YEAR_RUNS: AtomicUsize = AtomicUsize::new(0);

struct Users;

impl Users {
    const CONST: &'static str = "abc";

    /// The seed's classmethod: an associated function with a tag.
    #[ecached("users_by_state:{state}", 60, tags = ["users_by_states"])]
    async fn by_state(state: &str) -> Vec<String> {
        STATE_RUNS.fetch_add(1, Ordering::SeqCst);
        vec![format!("{state}-user-{}", Self::CONST)]
    }

    /// The seed's staticmethod with a key function of the parameters.
    #[ecached(|date: &(u32, u8)| format!("get_list:{}", date.0))]
    async fn list_by_date(date: (u32, u8)) -> u32 {
        YEAR_RUNS.fetch_add(1, Ordering::SeqCst);
        date.0
    }
}

#[tokio::test]
async fn associated_functions_tags_and_key_functions() {
    Users::by_state("active").await;
    Users::by_state("deleted").await;
    Users::by_state("active").await;
    assert_eq!(STATE_RUNS.load(Ordering::SeqCst), 2);
    Users::by_state_cache()
        .invalidate_cache_by_key("active")
        .await
        .unwrap();
    Users::by_state("active").await;
    Users::by_state("deleted").await;
    assert_eq!(STATE_RUNS.load(Ordering::SeqCst), 3);
    Users::by_state_cache()
        .invalidate_tags("users_by_states")
        .await
        .unwrap();
    Users::by_state("active").await;
    Users::by_state("deleted").await;
    assert_eq!(STATE_RUNS.load(Ordering::SeqCst), 5);

    // Cached per year, whatever the month.
    assert_eq!(Users::list_by_date((2024, 1)).await, 2024);
    assert_eq!(Users::list_by_date((2024, 7)).await, 2024);
    assert_eq!(YEAR_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(
        Users::list_by_date_cache().cache_key(&(2024, 12)),
        "get_list:2024"
    );
}

struct Shop {
    id: u64,
}

static SHOP_RUNS: AtomicUsize = AtomicUsize::new(0);

fn shop_key(meta: &Meta<'_>) -> String {
    let shop: &Shop = meta.scope().expect("self is the scope");
    format!(
        "{}:{}",
        shop.id,
        meta.arg::<u32>("page").copied().unwrap_or_default()
    )
}

impl Shop {
    #[ecached(shop_key, prefix = "shop:{self.id}")]
    async fn goods(&self, page: u32) -> Vec<u32> {
        SHOP_RUNS.fetch_add(1, Ordering::SeqCst);
        vec![page]
    }

    #[ecached("prices", prefix = "shop:{self.id}")]
    async fn prices(&self) -> Vec<u32> {
        SHOP_RUNS.fetch_add(1, Ordering::SeqCst);
        vec![100]
    }
}

#[tokio::test]
async fn meta_key_functions_and_a_shared_prefix() {
    let shop = Shop { id: 9 };
    shop.goods(1).await;
    shop.prices().await;
    shop.goods(1).await;
    shop.prices().await;
    assert_eq!(SHOP_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(Shop::goods_cache().cache_key(&shop, &1), "shop:9:9:1");
    // Invalidating the prefix through one function clears both.
    Shop::goods_cache()
        .invalidate_cache_by_prefix(&shop)
        .await
        .unwrap();
    shop.goods(1).await;
    shop.prices().await;
    assert_eq!(SHOP_RUNS.load(Ordering::SeqCst), 4);
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::test]
async fn decorated_futures_are_send_even_with_meta_functions() {
    let user = User::new(301, vec![book(9)]);
    let shop = Shop { id: 31 };
    assert_eq!(assert_send(user.favorite_books()).await, vec![book(9)]);
    // Not polled: these functions' counters are shared with other tests.
    drop(assert_send(shop.goods(2)));
    drop(assert_send(Users::by_state("sent")));
}

static INSTANCES_BUILT: AtomicUsize = AtomicUsize::new(0);

fn counted_instance() -> easy_cache::MemoryCache {
    INSTANCES_BUILT.fetch_add(1, Ordering::SeqCst);
    easy_cache::MemoryCache::default()
}

struct Catalog {
    id: u64,
}

impl std::fmt::Display for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "catalog-{}", self.id)
    }
}

trait Pricing {
    async fn price(&self, item: u64) -> u64;
}

impl Catalog {
    #[ecached(cache_instance = counted_instance())]
    async fn item_name(&self, item: u64) -> String {
        format!("item {item}")
    }

    #[ecached(cache_instance = counted_instance())]
    async fn labelled<T: std::fmt::Display + Send + Sync>(&self, label: T) -> String {
        format!("{label}!")
    }
}

#[ecached]
impl Pricing for Catalog {
    #[ecached(cache_instance = counted_instance())]
    async fn price(&self, item: u64) -> u64 {
        item * 10
    }
}

#[tokio::test]
async fn a_method_and_its_handle_share_one_state() {
    let catalog = Catalog { id: 7 };
    assert_eq!(catalog.item_name(1).await, "item 1");
    assert_eq!(catalog.labelled(5u8).await, "5!");
    assert_eq!(catalog.price(2).await, 20);
    // The body's calls named the state (its automatic keys start with the function's
    // path, `Catalog` included): the handle sees the same state.
    let handle_named = |name: &str| name.contains("Catalog");
    assert!(handle_named(Catalog::item_name_cache().fn_cache().name()));
    assert!(handle_named(
        Catalog::labelled_cache::<u8>().fn_cache().name()
    ));
    assert!(handle_named(Catalog::price_cache().fn_cache().name()));
    // One instance per function, reached by body and handle alike.
    Catalog::item_name_cache()
        .invalidate_cache_by_key(&catalog, &1)
        .await
        .unwrap();
    Catalog::price_cache()
        .invalidate_cache_by_key(&catalog, &2)
        .await
        .unwrap();
    assert_eq!(catalog.item_name(1).await, "item 1");
    assert_eq!(INSTANCES_BUILT.load(Ordering::SeqCst), 3);
}
