use easy_cache::ecached;

struct Opaque;

#[ecached]
async fn f(thing: Opaque) -> u8 {
    let _ = thing;
    1
}

fn main() {}
