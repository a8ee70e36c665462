use easy_cache::ecached;

#[ecached("user:{idd}")]
async fn load_user(id: u64) -> u64 {
    id
}

fn main() {}
