use easy_cache::ecached;

macro_rules! shop_cache {
    ($key:tt, $($item:tt)*) => {
        #[ecached($key, 3600, prefix = "shop:{self.id}")]
        $($item)*
    };
}

struct Shop {
    id: u64,
}

impl Shop {
    shop_cache!("goods:{kind}", async fn goods(&self, knd: &str) -> Vec<String> {
        vec![format!("{knd} of {}", self.id)]
    });
}

fn main() {}
