use easy_cache::ecached;

// The one mistake is the only error: the function and its handle still exist, so the
// calls below add no "not found" errors.
#[ecached(key = "user:{id}", tags = ["users", "user:{id}"], single_flight = maybe)]
async fn load_user(id: u64) -> String {
    format!("user #{id}")
}

struct Shop;

#[ecached]
impl Shop {
    #[ecached(key = "shop:{page}", cache_none = 1)]
    async fn page(&self, page: u32) -> Option<String> {
        Some(page.to_string())
    }
}

async fn callers() {
    let _: String = load_user(7).await;
    let _: String = load_user_cache().cache_key(&7);
    let _ = load_user_cache().invalidate_cache_by_tags(&7).await;
    let _: Option<String> = Shop.page(2).await;
    let _: String = Shop::page_cache().cache_key(&2);
}

fn main() {
    let _ = callers();
}
