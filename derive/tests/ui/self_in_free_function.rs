use easy_cache::ecached;

#[ecached("shop:{self.id}")]
async fn goods(id: u64) -> u64 {
    id
}

fn main() {}
