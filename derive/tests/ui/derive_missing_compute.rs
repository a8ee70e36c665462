use easy_cache::ECached;

#[derive(ECached)]
#[ecached(property = friends_count, returns = u64, key = "friends:{self.id}")]
struct User {
    id: u64,
}

fn main() {}
