use easy_cache::ecached;

struct Counter {
    n: u64,
}

impl Counter {
    // What a sync fn still cannot be: each refusal is spanned on its cause.
    #[ecached("counter")]
    fn bump(&mut self) -> u64 {
        self.n += 1;
        self.n
    }

    #[ecached("counter:view")]
    fn view(&self) -> impl std::fmt::Display {
        self.n
    }
}

#[ecached("answer")]
const fn answer() -> u64 {
    42
}

fn main() {
    // The items are still emitted: no "cannot find function" cascade.
    let mut counter = Counter { n: 0 };
    let _ = counter.bump();
    let _ = answer();
}
