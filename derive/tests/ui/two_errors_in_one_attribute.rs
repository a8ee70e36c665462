use easy_cache::ecached;

// Both mistakes show in one compile.
#[ecached(key = "user:{idd}", timeot = 60)]
async fn load_user(id: u64) -> u64 {
    id
}

fn main() {}
