use easy_cache::ecached;

struct User {
    id: u64,
}

#[ecached("user:{user.idd}")]
async fn load(user: &User) -> u64 {
    user.id
}

fn main() {}
