use easy_cache::ecached;

// A hard timeout's result must be able to carry the timeout error.
#[ecached("a", 60, hard_timeout = 1)]
async fn plain_value(n: u64) -> u64 {
    n
}

#[derive(Debug)]
struct MyError;

#[ecached("b", 60, hard_timeout = 1)]
async fn foreign_error(n: u64) -> Result<u64, MyError> {
    Ok(n)
}

fn main() {}
