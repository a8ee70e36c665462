//! A family of functions sharing options through the user's own wrapper macro (the seed's
//! `partial(ecached, prefix='shop:{self.id}')`), and `{Self::CONST}` in templates.

use easy_cache::{KeyPart, ecached};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The seed's Shop: every method's entries live under the shop's prefix.
macro_rules! single_shop_cache {
    ($key:tt, $($item:tt)*) => {
        #[ecached($key, 3600, prefix = "shop:{self.id}")]
        $($item)*
    };
}

/// The key passed on as a `literal` fragment (an invisible group), tags in the body.
macro_rules! tagged_shop_cache {
    ($key:literal, $($item:tt)*) => {
        #[ecached($key, timeout = 600, tags = ["shops", "shop:{self.id}"])]
        $($item)*
    };
}

/// The key passed on as an `expr` fragment, the alias and timeout from the caller.
macro_rules! aliased_cache {
    ($key:expr, $timeout:expr, $($item:tt)*) => {
        #[ecached($key, $timeout, cache_alias = "default")]
        $($item)*
    };
}

static GOODS_RUNS: AtomicUsize = AtomicUsize::new(0);

struct Shop {
    id: u32,
}

impl KeyPart for Shop {
    fn write_key_part(&self, out: &mut String) {
        self.id.write_key_part(out)
    }
}

impl Shop {
    single_shop_cache!(
        "goods_list",
        async fn goods(&self) -> Vec<String> {
            GOODS_RUNS.fetch_add(1, Ordering::SeqCst);
            vec![format!("goods of {}", self.id)]
        }
    );
    single_shop_cache!(
        "prices_list:{currency}",
        async fn prices(&self, currency: &str) -> Vec<String> {
            vec![format!("{currency} prices of {}", self.id)]
        }
    );
    tagged_shop_cache!(
        "stock:{self.id}:{item}",
        async fn stock(&self, item: u32) -> u32 {
            self.id * 100 + item
        }
    );
    aliased_cache!(
        "catalog:{n}",
        60,
        async fn catalog(n: u32) -> String {
            format!("catalog {n}")
        }
    );
}

aliased_cache!(
    "free:{n}",
    5,
    async fn free_function(n: u32) -> u32 {
        n + 1
    }
);

#[tokio::test]
async fn a_wrapper_macro_shares_options_across_methods_associated_and_free_functions() {
    let shop = Shop { id: 7 };
    assert_eq!(shop.goods().await, ["goods of 7"]);
    assert_eq!(shop.goods().await, ["goods of 7"]);
    assert_eq!(GOODS_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(Shop::goods_cache().cache_key(&shop), "shop:7:goods_list");
    assert_eq!(
        Shop::prices_cache().cache_key(&shop, "eur"),
        "shop:7:prices_list:eur"
    );
    assert_eq!(shop.prices("eur").await, ["eur prices of 7"]);
    assert_eq!(shop.stock(3).await, 703);
    assert_eq!(Shop::stock_cache().cache_key(&shop, &3), "stock:7:3");
    assert_eq!(Shop::catalog(2).await, "catalog 2");
    assert_eq!(Shop::catalog_cache().cache_key(&2), "catalog:2");
    assert_eq!(free_function(1).await, 2);
    assert_eq!(free_function_cache().cache_key(&1), "free:1");

    // The shared prefix invalidates the whole family of one shop.
    Shop::goods_cache()
        .invalidate_prefix("shop:7")
        .await
        .unwrap();
    assert_eq!(shop.goods().await, ["goods of 7"]);
    assert_eq!(GOODS_RUNS.load(Ordering::SeqCst), 2);
    Shop::stock_cache().invalidate_tags("shop:7").await.unwrap();
}

struct Info {
    id: u32,
}

impl Info {
    const CONST: &'static str = "v2";
    const WIDTH: u32 = 7;

    #[ecached("info_cache:{Self::CONST}", 3600)]
    async fn info() -> String {
        "info".to_owned()
    }

    #[ecached("page:{Self::CONST}:{self.id}:{n}", tags = ["pages:{Self::CONST}"], prefix = "info:{Self::WIDTH:03}")]
    async fn page(&self, n: u32) -> String {
        format!("page {n} of {}", self.id)
    }
}

#[tokio::test]
async fn associated_constants_in_key_tags_and_prefix() {
    assert_eq!(Info::info().await, "info");
    assert_eq!(Info::info_cache().cache_key(), "info_cache:v2");
    let info = Info { id: 3 };
    assert_eq!(info.page(4).await, "page 4 of 3");
    assert_eq!(
        Info::page_cache().cache_key(&info, &4),
        "info:007:page:v2:3:4"
    );
    Info::page_cache()
        .invalidate_tags("pages:v2")
        .await
        .unwrap();
}
