use easy_cache::{ECached, ecached};

#[ecached(crate = easy_cache)]
async fn unquoted() -> u8 {
    1
}

#[ecached(crate = "not a path")]
async fn not_a_path() -> u8 {
    1
}

#[derive(ECached)]
#[ecached(crate = "easy_cache", property = friends_count, returns = u64, key = "mixed:{self.id}")]
struct Mixed {
    id: u64,
}

impl Mixed {
    async fn compute_friends_count(&self) -> u64 {
        self.id
    }
}

fn main() {}
