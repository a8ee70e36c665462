use easy_cache::ecached;

struct NotSerde;

#[ecached("k")]
async fn f() -> NotSerde {
    NotSerde
}

fn main() {}
