use easy_cache::ecached;

#[ecached("k")]
fn f() -> u8 {
    1
}

fn main() {
    // The item is still emitted: no "cannot find function" cascade.
    let _ = f();
}
