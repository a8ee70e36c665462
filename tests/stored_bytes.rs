//! Bad stored bytes never become a wrong value: an entry written by an older layout of the
//! return type, and (fuzzed) random bytes, truncations, damaged headers and trailing
//! garbage are each a miss, recomputed and overwritten.

use easy_cache::{Bytes, CacheInstance, Timeout, caches, ecached};
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Two releases of one type: same name, same field types, the fields swapped. Bincode
/// would decode either from the other's bytes, into the wrong fields.
mod release_1 {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Stock {
        pub on_hand: u32,
        pub reserved: u32,
    }

    pub static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[ecached("layout:stock:{id}")]
    pub async fn stock(id: u32) -> Stock {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Stock {
            on_hand: id,
            reserved: 1,
        }
    }
}

mod release_2 {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Stock {
        pub reserved: u32,
        pub on_hand: u32,
    }

    pub static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[ecached("layout:stock:{id}")]
    pub async fn stock(id: u32) -> Stock {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Stock {
            reserved: 1,
            on_hand: id,
        }
    }
}

#[tokio::test]
async fn a_value_of_an_older_type_layout_is_a_miss_not_a_wrong_value() {
    let old = release_1::stock(40).await;
    assert_eq!((old.on_hand, old.reserved), (40, 1));
    // The next release reads the same key: the swapped layout must not decode.
    let new = release_2::stock(40).await;
    assert_eq!(
        (new.on_hand, new.reserved),
        (40, 1),
        "fields swapped by decoding"
    );
    assert_eq!(release_2::RUNS.load(Ordering::SeqCst), 1, "recomputed");
    // ...and its own entry replaced the old one: a hit for release 2, a miss for release 1.
    release_2::stock(40).await;
    assert_eq!(
        release_2::RUNS.load(Ordering::SeqCst),
        1,
        "overwritten, then a hit"
    );
    release_1::stock(40).await;
    assert_eq!(release_1::RUNS.load(Ordering::SeqCst), 2);
}

/// Two releases of a type holding an enum whose *non-first* variant swaps its fields: the
/// layout trace must reach every variant of a nested enum, not just the first.
mod drawing_1 {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub enum Shape {
        Circle(u32),
        Rect { w: u32, h: u32 },
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Drawing {
        pub shapes: Vec<Shape>,
    }

    pub static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[ecached("layout:drawing:{id}")]
    pub async fn drawing(id: u32) -> Drawing {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Drawing {
            shapes: vec![Shape::Rect {
                w: 640 + id,
                h: 480,
            }],
        }
    }
}

mod drawing_2 {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub enum Shape {
        Circle(u32),
        Rect { h: u32, w: u32 },
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct Drawing {
        pub shapes: Vec<Shape>,
    }

    pub static RUNS: AtomicUsize = AtomicUsize::new(0);

    #[ecached("layout:drawing:{id}")]
    pub async fn drawing(id: u32) -> Drawing {
        RUNS.fetch_add(1, Ordering::SeqCst);
        Drawing {
            shapes: vec![Shape::Rect {
                h: 480,
                w: 640 + id,
            }],
        }
    }
}

#[tokio::test]
async fn a_value_whose_nested_enum_changed_layout_is_a_miss_not_a_wrong_value() {
    let old = drawing_1::drawing(0).await;
    assert_eq!(old.shapes, [drawing_1::Shape::Rect { w: 640, h: 480 }]);
    // The next release swaps Rect's fields: bincode would read w:640,h:480 as h:640,w:480.
    let new = drawing_2::drawing(0).await;
    assert_eq!(
        new.shapes,
        [drawing_2::Shape::Rect { w: 640, h: 480 }],
        "fields swapped by decoding"
    );
    assert_eq!(drawing_2::RUNS.load(Ordering::SeqCst), 1, "recomputed");
    drawing_2::drawing(0).await;
    assert_eq!(drawing_2::RUNS.load(Ordering::SeqCst), 1, "then a hit");
}

static FUZZ_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("fuzz:stored:{n}")]
async fn numbers(n: u32) -> Vec<u32> {
    FUZZ_RUNS.fetch_add(1, Ordering::SeqCst);
    vec![n, n.wrapping_mul(3), 7]
}

/// Ways stored bytes go bad, applied to a real entry of `numbers`.
#[derive(Debug, Clone)]
enum Damage {
    /// Bytes that never were an entry.
    Random(Vec<u8>),
    /// A real entry cut short.
    Truncated(prop::sample::Index),
    /// A real entry with one byte of its fixed header (magic, format, codec, type stamp)
    /// changed.
    Header(prop::sample::Index, u8),
    /// A real entry with bytes appended.
    Trailing(Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Damage::Random),
        any::<prop::sample::Index>().prop_map(Damage::Truncated),
        (any::<prop::sample::Index>(), 1..=255u8).prop_map(|(i, x)| Damage::Header(i, x)),
        prop::collection::vec(any::<u8>(), 1..40).prop_map(Damage::Trailing),
    ]
}

/// The fixed header: magic, format, codec, 8-byte type stamp.
const FIXED_HEADER: usize = 11;

fn apply(entry: &[u8], damage: &Damage) -> Vec<u8> {
    match damage {
        Damage::Random(bytes) => bytes.clone(),
        Damage::Truncated(at) => entry[..at.index(entry.len())].to_vec(),
        Damage::Header(at, xor) => {
            let mut bytes = entry.to_vec();
            bytes[at.index(FIXED_HEADER)] ^= xor;
            bytes
        }
        Damage::Trailing(tail) => [entry, tail].concat(),
    }
}

async fn stored_entry(cache: &Arc<dyn CacheInstance>, key: &str) -> Bytes {
    cache
        .get(key)
        .await
        .expect("memory get")
        .expect("the call stored an entry")
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn fuzz_bad_stored_bytes_are_a_miss_then_overwritten(n in any::<u32>(), damage in damage()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let cache = caches::get("default").expect("the default cache");
            let key = numbers_cache().cache_key(&n);
            let expected = vec![n, n.wrapping_mul(3), 7];
            prop_assert_eq!(numbers(n).await, expected.clone());
            let entry = stored_entry(&cache, &key).await;
            let bad = apply(&entry, &damage);
            cache.set(&key, Bytes::from(bad), Timeout::Never).await.expect("memory set");
            let runs = FUZZ_RUNS.load(Ordering::SeqCst);
            prop_assert_eq!(numbers(n).await, expected.clone(), "{:?}", damage);
            prop_assert_eq!(FUZZ_RUNS.load(Ordering::SeqCst), runs + 1, "a miss: {:?}", damage);
            prop_assert_eq!(stored_entry(&cache, &key).await, entry, "overwritten");
            prop_assert_eq!(numbers(n).await, expected);
            prop_assert_eq!(FUZZ_RUNS.load(Ordering::SeqCst), runs + 1, "then a hit");
            Ok(())
        })?;
    }
}
