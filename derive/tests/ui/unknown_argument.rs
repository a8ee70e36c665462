use easy_cache::ecached;

#[ecached("k", timeot = 5)]
async fn f() -> u8 {
    1
}

fn main() {}
