use easy_cache::ecached;

struct Counter {
    n: u64,
}

impl Counter {
    #[ecached("counter")]
    async fn bump(&mut self) -> u64 {
        self.n += 1;
        self.n
    }
}

fn main() {}
