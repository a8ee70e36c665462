//! Automatic keys name the function instance exactly: the implementing type (inherent or
//! trait impl, with or without `self`, generic impls included), the generic arguments of
//! the function, and the enclosing functions of a local one. No two of them share an
//! entry; the handle's `cache_key` is the key the function uses.

use easy_cache::{KeyPart, ecached};
use serde::{Deserialize, Serialize};

mod documents {
    use super::*;

    pub struct Invoice;
    pub struct Receipt;

    impl Invoice {
        #[ecached]
        pub async fn build(n: u32) -> String {
            format!("invoice {n}")
        }
    }

    impl Receipt {
        #[ecached]
        pub async fn build(n: u32) -> String {
            format!("receipt {n}")
        }
    }

    /// Two types with one identity each, and same-named methods taking `&self`.
    pub struct Cart(pub u32);
    pub struct Wishlist(pub u32);

    impl KeyPart for Cart {
        fn write_key_part(&self, out: &mut String) {
            self.0.write_key_part(out)
        }
    }
    impl KeyPart for Wishlist {
        fn write_key_part(&self, out: &mut String) {
            self.0.write_key_part(out)
        }
    }

    impl Cart {
        #[ecached]
        pub async fn label(&self) -> String {
            format!("cart {}", self.0)
        }
    }

    impl Wishlist {
        #[ecached]
        pub async fn label(&self) -> String {
            format!("wishlist {}", self.0)
        }
    }
}

#[tokio::test]
async fn associated_functions_of_two_types_never_share_an_entry() {
    use documents::{Invoice, Receipt};
    assert_eq!(Invoice::build(5).await, "invoice 5");
    assert_eq!(Receipt::build(5).await, "receipt 5");
    let (invoice, receipt) = (
        Invoice::build_cache().cache_key(&5),
        Receipt::build_cache().cache_key(&5),
    );
    assert_ne!(invoice, receipt);
    assert!(
        invoice.ends_with("::documents::Invoice::build:5"),
        "{invoice}"
    );
}

#[tokio::test]
async fn methods_of_two_types_never_share_an_entry() {
    use documents::{Cart, Wishlist};
    assert_eq!(Cart(1).label().await, "cart 1");
    assert_eq!(Wishlist(1).label().await, "wishlist 1");
    assert_eq!(Cart(1).label().await, "cart 1");
}

trait Repo {
    fn get(&self, id: u32) -> impl std::future::Future<Output = String> + Send;
    fn count(id: u32) -> impl std::future::Future<Output = String> + Send;
}

struct Users;
struct Orders;

#[ecached]
impl Repo for Users {
    #[ecached("users:{id}", tags = ["users"])]
    async fn get(&self, id: u32) -> String {
        format!("user {id}")
    }

    #[ecached]
    async fn count(id: u32) -> String {
        format!("{id} users")
    }
}

#[ecached]
impl Repo for Orders {
    #[ecached("orders:{id}", prefix = "orders")]
    async fn get(&self, id: u32) -> String {
        format!("order {id}")
    }

    #[ecached]
    async fn count(id: u32) -> String {
        format!("{id} orders")
    }
}

#[tokio::test]
async fn ecached_works_on_the_methods_of_a_trait_impl() {
    assert_eq!(Users.get(1).await, "user 1");
    assert_eq!(Orders.get(1).await, "order 1");
    assert_eq!(Users::count(2).await, "2 users");
    assert_eq!(
        Orders::count(2).await,
        "2 orders",
        "automatic keys name the type"
    );
    assert_eq!(Users::get_cache().cache_key(&1), "users:1");
    let key = Users::count_cache().cache_key(&2);
    assert!(key.ends_with("::Users::count:2"), "{key}");
    assert!(
        Users::get_cache()
            .invalidate_cache_by_key(&1)
            .await
            .unwrap()
    );
    Users::get_cache().invalidate_tags("users").await.unwrap();
    Orders::get_cache()
        .invalidate_prefix("orders")
        .await
        .unwrap();
}

struct Store<T>(std::marker::PhantomData<T>);
struct A;
struct B;

impl<T> Store<T> {
    #[ecached]
    pub async fn kind(n: u32) -> String {
        format!("{} {n}", std::any::type_name::<T>())
    }
}

#[tokio::test]
async fn a_generic_impl_never_shares_an_entry_between_its_instances() {
    let a = Store::<A>::kind(1).await;
    let b = Store::<B>::kind(1).await;
    assert_ne!(a, b);
    assert_eq!(Store::<A>::kind(1).await, a);
    assert_ne!(
        Store::<A>::kind_cache().cache_key(&1),
        Store::<B>::kind_cache().cache_key(&1)
    );
}

trait Maker {
    fn make(n: u32) -> Self;
}
impl Maker for String {
    fn make(n: u32) -> Self {
        format!("str{n}")
    }
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Wrapper(String);
impl Maker for Wrapper {
    fn make(n: u32) -> Self {
        Wrapper(format!("wrapped{n}"))
    }
}

#[ecached]
async fn make<T>(n: u32) -> T
where
    T: Maker + Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
{
    T::make(n)
}

#[tokio::test]
async fn two_instantiations_of_a_generic_function_never_share_an_entry() {
    assert_eq!(make::<String>(1).await, "str1");
    assert_eq!(make::<Wrapper>(1).await, Wrapper("wrapped1".into()));
    assert_eq!(make::<String>(1).await, "str1");
    let key = make_cache::<Wrapper>().cache_key(&1);
    assert!(key.contains("make<function_keys::Wrapper>"), "{key}");
}

async fn first() -> u32 {
    #[ecached]
    async fn helper(x: u32) -> u32 {
        x + 1000
    }
    helper(1).await
}

async fn second() -> u32 {
    #[ecached]
    async fn helper(x: u32) -> u32 {
        x + 2000
    }
    helper(1).await
}

#[tokio::test]
async fn local_functions_of_one_name_never_share_an_entry() {
    assert_eq!(first().await, 1001);
    assert_eq!(second().await, 2001);
    assert_eq!(first().await, 1001);
}

#[ecached]
async fn free(n: u32) -> u32 {
    n
}

#[ecached]
async fn greet(first: &str, last: &str) -> String {
    format!("{first}|{last}")
}

#[ecached]
async fn tags_of(names: Vec<String>, nick: Option<String>) -> String {
    format!("{names:?} {nick:?}")
}

#[tokio::test]
async fn automatic_keys_of_different_arguments_never_meet() {
    assert_eq!(greet("ann:lee", "x").await, "ann:lee|x");
    assert_eq!(greet("ann", "lee:x").await, "ann|lee:x");
    let one = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(tags_of(one(&["a,b"]), None).await, r#"["a,b"] None"#);
    assert_eq!(tags_of(one(&["a", "b"]), None).await, r#"["a", "b"] None"#);
    assert_eq!(
        tags_of(one(&[]), Some("None".into())).await,
        r#"[] Some("None")"#
    );
    assert_eq!(tags_of(one(&[]), None).await, "[] None");
    assert_eq!(tags_of(one(&[""]), None).await, r#"[""] None"#);
}

#[tokio::test]
async fn a_free_function_keeps_its_module_path_and_the_handle_key_is_the_call_key() {
    assert_eq!(free_cache().cache_key(&3), "function_keys::free:3");
    free(3).await;
    assert!(
        free_cache().invalidate_cache_by_key(&3).await.unwrap(),
        "the call stored under that key"
    );
}

struct Catalog;

/// `#[ecached]` on an inherent impl block works as on each method.
#[ecached]
impl Catalog {
    #[ecached("catalog:{n}")]
    async fn page(n: u32) -> String {
        format!("page {n}")
    }

    fn uncached() -> u32 {
        7
    }
}

#[tokio::test]
async fn ecached_on_an_inherent_impl_block_caches_its_marked_methods() {
    assert_eq!(Catalog::page(2).await, "page 2");
    assert_eq!(Catalog::page_cache().cache_key(&2), "catalog:2");
    assert_eq!(Catalog::uncached(), 7);
}
