use easy_cache::ECached;

// Both mistakes of the attribute show in one compile, and nothing else: the getter, its
// handle and the key part impl still exist for the code below.
#[derive(ECached)]
#[ecached(property = friends_count, returns = u64, key = "friends:{self.idd}", timeot = 60)]
struct User {
    #[ecached(id)]
    id: u64,
}

impl User {
    async fn compute_friends_count(&self) -> u64 {
        self.id
    }
}

async fn callers(user: User) {
    let _: u64 = user.friends_count().await;
    let _ = User::friends_count_cache().invalidate_cache_by_key(&user).await;
    let _: String = easy_cache::create_cache_key!("user", user);
}

fn main() {
    let _ = callers(User { id: 1 });
}
