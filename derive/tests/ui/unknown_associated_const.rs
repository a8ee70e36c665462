use easy_cache::ecached;

struct Info;

impl Info {
    const VERSION: u32 = 2;

    #[ecached("info:{Self::VERSON}")]
    async fn info() -> u32 {
        Self::VERSION
    }
}

fn main() {}
