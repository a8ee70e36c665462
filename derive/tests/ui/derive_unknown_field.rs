use easy_cache::ECached;

#[derive(ECached)]
#[ecached(property = friends_count, returns = u64, key = "friends:{self.idd}")]
struct User {
    #[ecached(id)]
    id: u64,
}

impl User {
    async fn compute_friends_count(&self) -> u64 {
        self.id
    }
}

fn main() {}
