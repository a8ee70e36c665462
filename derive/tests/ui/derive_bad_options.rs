use easy_cache::ECached;

#[derive(ECached)]
#[ecached(property = friends_count)]
struct A {
    id: u64,
}

#[derive(ECached)]
struct B {
    #[ecached(identity)]
    id: u64,
}

fn main() {}
