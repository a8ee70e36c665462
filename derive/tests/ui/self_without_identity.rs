use easy_cache::ecached;

struct Account {
    id: u64,
}

impl Account {
    #[ecached]
    async fn balance(&self) -> u64 {
        self.id
    }
}

fn main() {}
