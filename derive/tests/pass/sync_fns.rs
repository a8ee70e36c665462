//! `#[ecached]` on plain `fn`s of every kind compiles, and their handles are sync.

use easy_cache::{ECached, ecached};

#[ecached("free:{n}")]
fn free(n: u64) -> u64 {
    n + 1
}

struct Shop {
    id: u64,
}

impl Shop {
    #[ecached("goods:{page}", prefix = "shop:{self.id}", tags = ["goods"])]
    fn goods(&self, page: u32) -> Result<Vec<String>, String> {
        if page == 0 {
            return Err("pages start at 1".to_owned());
        }
        Ok(vec![format!("page {page} of shop {}", self.id)])
    }

    #[ecached(timeout = 60)]
    fn count() -> u64 {
        3
    }
}

trait Repo {
    fn get(&self, id: u64) -> Option<String>;
}

#[ecached]
impl Repo for Shop {
    #[ecached("repo:{id}")]
    fn get(&self, id: u64) -> Option<String> {
        Some(format!("{id}@{}", self.id))
    }
}

#[derive(ECached)]
#[ecached(property = rating, returns = u64, key = "rating:{self.id}", sync)]
struct Book {
    #[ecached(id)]
    id: u64,
}

impl Book {
    fn compute_rating(&self) -> u64 {
        self.id * 10
    }
}

fn main() -> easy_cache::Result<()> {
    assert_eq!(free(1), 2);
    assert!(free_cache().invalidate_cache_by_key(&1)?);
    let shop = Shop { id: 1 };
    assert_eq!(shop.goods(1), Ok(vec!["page 1 of shop 1".to_owned()]));
    assert!(shop.goods(0).is_err());
    Shop::goods_cache().invalidate_cache_by_prefix(&shop)?;
    Shop::goods_cache().invalidate_cache_by_tags()?;
    assert_eq!(Shop::count(), 3);
    assert_eq!(shop.get(5), Some("5@1".to_owned()));
    assert_eq!(Shop::get_cache().cache_key(&5), "repo:5");
    let book = Book { id: 4 };
    assert_eq!(book.rating(), 40);
    assert_eq!(Book::rating_cache().refresh_cache(|| book.rating()), 40);
    Ok(())
}
