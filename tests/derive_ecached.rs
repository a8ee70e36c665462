//! `#[derive(ECached)]`: cached properties reachable through the type, and identity fields
//! that make a struct usable in automatic keys.

use easy_cache::{ECached, ecached};
use std::sync::atomic::{AtomicUsize, Ordering};

static FRIENDS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[derive(ECached)]
#[ecached(property = friends_count, returns = u64, key = "user_friends_count:{self.id}", timeout = 3600)]
#[ecached(property = display_name, returns = String, compute = User::load_display_name, tags = ["names"])]
struct User {
    #[ecached(id)]
    id: u64,
    name: String,
}

impl User {
    async fn compute_friends_count(&self) -> u64 {
        FRIENDS_RUNS.fetch_add(1, Ordering::SeqCst);
        self.id * 10
    }

    async fn load_display_name(&self) -> String {
        self.name.to_uppercase()
    }
}

#[tokio::test]
async fn properties_are_cached_in_the_shared_cache_and_invalidated_through_the_type() {
    let user = User {
        id: 4,
        name: "ann".into(),
    };
    let same_user_elsewhere = User {
        id: 4,
        name: "ann".into(),
    };
    assert_eq!(user.friends_count().await, 40);
    assert_eq!(same_user_elsewhere.friends_count().await, 40);
    assert_eq!(
        FRIENDS_RUNS.load(Ordering::SeqCst),
        1,
        "shared, not per instance"
    );
    User::friends_count_cache()
        .invalidate_cache_by_key(&user)
        .await
        .unwrap();
    user.friends_count().await;
    assert_eq!(FRIENDS_RUNS.load(Ordering::SeqCst), 2);
    User::friends_count_cache()
        .refresh_cache(user.friends_count())
        .await;
    assert_eq!(FRIENDS_RUNS.load(Ordering::SeqCst), 3);
    assert_eq!(user.display_name().await, "ANN");
    User::display_name_cache()
        .invalidate_tags("names")
        .await
        .unwrap();
}

static AUTO_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached]
async fn posts_of(user: &User, page: u32) -> Vec<String> {
    AUTO_RUNS.fetch_add(1, Ordering::SeqCst);
    vec![format!("{}:{page}", user.name)]
}

#[tokio::test]
async fn identity_fields_build_automatic_keys() {
    let ann = User {
        id: 7,
        name: "ann".into(),
    };
    let renamed = User {
        id: 7,
        name: "anne".into(),
    };
    posts_of(&ann, 1).await;
    posts_of(&renamed, 1).await;
    assert_eq!(
        AUTO_RUNS.load(Ordering::SeqCst),
        1,
        "same identity, same key"
    );
    assert!(
        posts_of_cache()
            .cache_key(&ann, &1)
            .ends_with("::posts_of:7:1")
    );
    assert_eq!(easy_cache::create_cache_key!("user", ann), "user:7");
}
