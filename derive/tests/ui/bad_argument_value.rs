use easy_cache::ecached;

#[ecached("k", cache_alias = redis)]
async fn f() -> u8 {
    1
}

#[ecached("k", single_flight = "no")]
async fn g() -> u8 {
    1
}

fn main() {}
