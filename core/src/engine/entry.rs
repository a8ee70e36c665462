//! The stored form of a cached value: a header that ties it to its function's type and
//! codec, the versions of its tags when it was computed, then the encoded value.
//!
//! ```text
//! 0xEC | format | codec | type stamp: u64 LE | [times: 3 × u64 LE, format 2 only]
//!      | n: u8 | n × token (8 bytes) | m: u8 | m × (len: u16 LE, tag version key, token)
//!      | value bytes
//! ```
//! Format 2 carries the entry's logical lifetime ([`Times`]), for functions with
//! `fail_safe` or `refresh_ahead`: the backend keeps such an entry past its freshness, and
//! the reader decides what it may still be used for. Other functions write format 1.
//! The `n` tokens belong to the version keys the caller computed from the arguments (in
//! order); the `m` others to value tags, known only after the call (from the returned value).
//!
//! The type stamp: the macro's stamp of the return type (its name, the codec,
//! `version = N`) mixed with a stamp of the type's serde layout (see [`layout_stamp`]).

use crate::keys::versions::Token;
use serde::de::DeserializeOwned;
use serde_reflection::{ContainerFormat, Format, Registry, Samples, Tracer, TracerConfig};
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

mod explore;

const MAGIC: u8 = 0xEC;
const FORMAT: u8 = 1;
const FORMAT_WITH_TIMES: u8 = 2;
const FIXED_HEADER: usize = 1 + 1 + 1 + 8 + 24 + 1;

/// An entry's logical lifetime, in the engine clock's milliseconds (0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Times {
    /// A hit until then.
    pub fresh_until: u64,
    /// Past freshness, a fail-safe fallback until then (0: never one).
    pub stale_until: u64,
    /// From then on a hit also starts a refresh (0: never).
    pub refresh_at: u64,
}

/// What identifies the producer of an entry: a value of another type or codec is a miss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub codec: u8,
    pub hash: u64,
}

/// A decoded view of a stored entry, borrowing its bytes.
#[derive(Debug)]
pub(crate) struct EntryView<'a> {
    /// `n` tokens of 8 bytes each, in version-key order.
    pub tokens: &'a [u8],
    /// The version keys of the value tags, with their tokens.
    pub value_tags: Vec<(&'a str, Token)>,
    /// Format 2's lifetime; `None` for format 1 (its backend lifetime is its only one).
    pub times: Option<Times>,
    pub value: &'a [u8],
}

/// Builds the stored bytes. `value` is encoded by the caller into the returned buffer
/// after the header, so the value is written once.
pub(crate) fn encode_header(
    stamp: Stamp,
    times: Option<Times>,
    tokens: &[Token],
    value_tags: &[(String, Token)],
    out: &mut Vec<u8>,
) {
    out.reserve(
        FIXED_HEADER
            + 1
            + tokens.len() * 8
            + value_tags.iter().map(|(k, _)| k.len() + 10).sum::<usize>(),
    );
    let format = if times.is_some() {
        FORMAT_WITH_TIMES
    } else {
        FORMAT
    };
    out.extend_from_slice(&[MAGIC, format, stamp.codec]);
    out.extend_from_slice(&stamp.hash.to_le_bytes());
    if let Some(times) = times {
        for ms in [times.fresh_until, times.stale_until, times.refresh_at] {
            out.extend_from_slice(&ms.to_le_bytes());
        }
    }
    out.push(u8::try_from(tokens.len()).unwrap_or(u8::MAX));
    for token in tokens.iter().take(usize::from(u8::MAX)) {
        out.extend_from_slice(&token.0);
    }
    let value_tags: Vec<_> = value_tags
        .iter()
        .filter(|(k, _)| k.len() <= usize::from(u16::MAX))
        .take(usize::from(u8::MAX))
        .collect();
    out.push(value_tags.len() as u8);
    for (key, token) in value_tags {
        out.extend_from_slice(&(key.len() as u16).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&token.0);
    }
}

/// Why stored bytes were not usable (each is a miss; logged at debug level).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Not an easy-cache entry, a truncated one, or a future format.
    Malformed,
    /// Written by another codec or for another return type.
    ForeignStamp,
}

/// Parses stored bytes without copying; never panics, whatever the input.
pub(crate) fn decode(bytes: &[u8], expected: Stamp) -> Result<EntryView<'_>, Rejected> {
    let mut cursor = Cursor(bytes);
    let [magic, format, codec] = cursor.take_array::<3>()?;
    if magic != MAGIC || !(format == FORMAT || format == FORMAT_WITH_TIMES) {
        return Err(Rejected::Malformed);
    }
    let hash = u64::from_le_bytes(cursor.take_array::<8>()?);
    if codec != expected.codec || hash != expected.hash {
        return Err(Rejected::ForeignStamp);
    }
    let times = if format == FORMAT_WITH_TIMES {
        let mut ms = || cursor.take_array::<8>().map(u64::from_le_bytes);
        Some(Times {
            fresh_until: ms()?,
            stale_until: ms()?,
            refresh_at: ms()?,
        })
    } else {
        None
    };
    let [n] = cursor.take_array::<1>()?;
    let tokens = cursor.take(usize::from(n) * 8)?;
    let [m] = cursor.take_array::<1>()?;
    let mut value_tags = Vec::new();
    for _ in 0..m {
        let len = u16::from_le_bytes(cursor.take_array::<2>()?);
        let key =
            std::str::from_utf8(cursor.take(usize::from(len))?).map_err(|_| Rejected::Malformed)?;
        value_tags.push((key, Token(cursor.take_array::<8>()?)));
    }
    Ok(EntryView {
        tokens,
        value_tags,
        times,
        value: cursor.0,
    })
}

struct Cursor<'a>(&'a [u8]);

impl EntryView<'_> {
    /// How many argument-derived versions the entry carries.
    pub(crate) fn token_count(&self) -> usize {
        self.tokens.len() / 8
    }

    /// Whether the `i`th stored token equals the current version bytes `current`.
    pub(crate) fn token_matches(&self, i: usize, current: Option<&[u8]>) -> bool {
        current.is_some_and(|c| self.tokens.get(i * 8..i * 8 + 8) == Some(c))
    }
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Rejected> {
        if self.0.len() < n {
            return Err(Rejected::Malformed);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], Rejected> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
}

// The layout stamp: a hash of a type's serde layout, so a value stored by an older version of a type
// reads as a miss rather than decoding "successfully" into the wrong fields.
//
// The macro's stamp covers the return type's *name*, the codec and `version = N`.
// A struct that keeps its name but swaps two `u32` fields would still decode with
// bincode, into the wrong fields. So each function also traces its value type once, with
// serde-reflection (field names, their order and formats, enum variants), and mixes that
// in. Every variant of every enum is traced, however deeply it is nested (in a field, an
// `Option`, a `Vec`, a map, a generic type or another enum's variant), so a swap inside a
// non-first variant changes the layout stamp too. Types whose `Deserialize` validates its
// input (a date parsed from a string, say) cannot be traced; they fall back to the
// name-only stamp, and `version = N` is the way to mark their layout changes.

/// The most deserializations one trace may take: enough for dozens of enums of dozens of
/// variants, and a bound on the time a pathological type can cost its first call.
const MAX_TRACES: usize = 4096;

/// The stamp of `T`'s serde layout, or 0 when it cannot be traced. Runs once per
/// decorated function, on its first call.
pub(crate) fn layout_stamp<T: DeserializeOwned>() -> u64 {
    // A third-party `Deserialize` may panic on the tracer's sample values: that must cost
    // the layout check, never the caller's request.
    let traced = catch_unwind(AssertUnwindSafe(trace::<T>));
    match traced {
        Ok(Some((format, registry, complete))) => {
            if !complete {
                tracing::debug!(
                    value_type = std::any::type_name::<T>(),
                    "easy-cache: the value type has too many enum variants to trace them \
                     all; use `version = N` to mark layout changes of the untraced ones"
                );
            }
            fnv1a(format!("{format:?} {registry:?}").as_bytes())
        }
        _ => {
            tracing::debug!(
                value_type = std::any::type_name::<T>(),
                "easy-cache: the value type's serde layout cannot be traced; \
                 use `version = N` to mark its layout changes"
            );
            0
        }
    }
}

/// Traces every variant of every enum in `T`, however deeply nested: its format, the
/// registry of its named types, and whether the trace is complete (false when it reached
/// [`MAX_TRACES`]: still a fixed function of the type's definition, only a partial one).
///
/// serde-reflection's `trace_type` only completes a top-level enum: an enum nested in a
/// field, a `Vec`, a map or another enum keeps its "incomplete" mark from one pass to the
/// next, and a marked enum is always read as its first variant, so a swap inside `Rect`
/// in `enum Shape { Circle(f64), Rect { w: u32, h: u32 } }` went unseen. So each pass
/// clears the mark of every enum known so far (a cleared mark means variants remain: one
/// more pass), and since the tracer's registry can only be read by consuming it, an enum
/// first met in the last pass restarts the trace with it known.
fn trace<T: DeserializeOwned>() -> Option<(Format, Registry, bool)> {
    let samples = Samples::new();
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut budget = MAX_TRACES;
    loop {
        let mut tracer = Tracer::new(TracerConfig::default());
        let (format, complete) = loop {
            // At least 1 here: the outer loop restarts only with budget left.
            budget = budget.saturating_sub(1);
            // A fresh adaptor state per pass: each starts outside every type.
            let state = explore::State::default();
            let root = explore::Root::<T> {
                state: &state,
                value: PhantomData,
            };
            let (format, _value) = tracer.trace_type_once_with_seed(&samples, root).ok()?;
            let mut incomplete = false;
            for name in &known {
                incomplete |= tracer.check_incomplete_enum(name).is_some();
            }
            if !incomplete || budget == 0 {
                break (format, !incomplete);
            }
        };
        let registry = tracer.registry_unchecked();
        let enums: BTreeSet<String> = registry
            .iter()
            .filter(|(_, container)| matches!(container, ContainerFormat::Enum(_)))
            .map(|(name, _)| name.clone())
            .collect();
        if enums.is_subset(&known) || budget == 0 {
            return Some((format, registry, complete && enums.is_subset(&known)));
        }
        known.extend(enums);
    }
}

/// FNV-1a: stable across Rust versions and processes (entries are shared by a fleet).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAMP: Stamp = Stamp { codec: 1, hash: 42 };

    fn sample() -> Vec<u8> {
        let mut out = Vec::new();
        let value_tags = vec![("ec:t:book:1".to_owned(), Token([9; 8]))];
        encode_header(
            STAMP,
            None,
            &[Token([1; 8]), Token([2; 8])],
            &value_tags,
            &mut out,
        );
        out.extend_from_slice(b"value");
        out
    }

    #[test]
    fn round_trips_tokens_value_tags_and_value() {
        let bytes = sample();
        let view = decode(&bytes, STAMP).unwrap();
        assert_eq!(view.token_count(), 2);
        assert!(view.token_matches(1, Some(&[2; 8])));
        assert!(!view.token_matches(0, Some(&[2; 8])));
        assert!(!view.token_matches(0, None));
        assert_eq!(view.value_tags, [("ec:t:book:1", Token([9; 8]))]);
        assert_eq!(view.times, None, "format 1 carries no lifetime");
        assert_eq!(view.value, b"value");
    }

    #[test]
    fn format_2_round_trips_its_times() {
        let times = Times {
            fresh_until: 10,
            stale_until: 20,
            refresh_at: 5,
        };
        let mut bytes = Vec::new();
        encode_header(STAMP, Some(times), &[Token([3; 8])], &[], &mut bytes);
        bytes.extend_from_slice(b"v");
        let view = decode(&bytes, STAMP).unwrap();
        assert_eq!(view.times, Some(times));
        assert!(view.token_matches(0, Some(&[3; 8])));
        assert_eq!(view.value, b"v");
    }

    #[test]
    fn other_codec_or_type_is_foreign() {
        let bytes = sample();
        assert_eq!(
            decode(&bytes, Stamp { codec: 2, ..STAMP }).unwrap_err(),
            Rejected::ForeignStamp
        );
        assert_eq!(
            decode(&bytes, Stamp { hash: 1, ..STAMP }).unwrap_err(),
            Rejected::ForeignStamp
        );
    }

    use proptest::prelude::*;

    fn value_tags() -> impl Strategy<Value = Vec<(String, Token)>> {
        let tag = (any::<String>(), any::<[u8; 8]>()).prop_map(|(k, t)| (k, Token(t)));
        prop::collection::vec(tag, 0..5)
    }

    proptest! {
        #[test]
        fn fuzz_decode_never_panics_on_arbitrary_bytes(
            bytes in prop::collection::vec(any::<u8>(), 0..512),
            codec in any::<u8>(),
            hash in any::<u64>(),
        ) {
            let _ = decode(&bytes, Stamp { codec, hash });
            // The same bytes behind a valid stamp reach the token and tag parsers.
            let mut framed = vec![MAGIC, FORMAT, codec];
            framed.extend_from_slice(&hash.to_le_bytes());
            framed.extend_from_slice(&bytes);
            let _ = decode(&framed, Stamp { codec, hash });
        }

        #[test]
        fn fuzz_encode_then_decode_round_trips_and_every_cut_header_is_rejected(
            tokens in prop::collection::vec(any::<[u8; 8]>().prop_map(Token), 0..6),
            value_tags in value_tags(),
            value in prop::collection::vec(any::<u8>(), 0..64),
            times in prop::option::of(any::<(u64, u64, u64)>()),
        ) {
            let times = times.map(|(fresh_until, stale_until, refresh_at)| Times { fresh_until, stale_until, refresh_at });
            let mut bytes = Vec::new();
            encode_header(STAMP, times, &tokens, &value_tags, &mut bytes);
            let header_len = bytes.len();
            bytes.extend_from_slice(&value);
            let view = decode(&bytes, STAMP).expect("a fresh entry decodes");
            prop_assert_eq!(view.token_count(), tokens.len());
            for (i, token) in tokens.iter().enumerate() {
                prop_assert!(view.token_matches(i, Some(&token.0)));
            }
            let expected: Vec<(&str, Token)> = value_tags.iter().map(|(k, t)| (k.as_str(), *t)).collect();
            prop_assert_eq!(view.value_tags, expected);
            prop_assert_eq!(view.times, times);
            prop_assert_eq!(view.value, &value[..]);
            for cut in 0..header_len {
                prop_assert!(decode(&bytes[..cut], STAMP).is_err(), "cut at {}", cut);
            }
        }
    }

    #[test]
    fn every_truncation_and_future_format_is_malformed_not_a_panic() {
        let bytes = sample();
        let header_len = bytes.len() - b"value".len();
        for cut in 0..header_len {
            assert!(decode(&bytes[..cut], STAMP).is_err(), "cut at {cut}");
        }
        let mut future = bytes.clone();
        future[1] = FORMAT + 1;
        assert_eq!(decode(&future, STAMP).unwrap_err(), Rejected::Malformed);
        for seed in 0..2000u64 {
            let mut rng = fastrand::Rng::with_seed(seed);
            let len = rng.usize(0..64);
            let noise: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let _ = decode(&noise, STAMP);
        }
    }

    mod layout {
        use super::*;
        use serde::{Deserialize, Deserializer};
        use std::collections::BTreeMap;

        mod v1 {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)] // only traced, never read
            pub struct User {
                pub id: u32,
                pub age: u32,
            }
        }
        mod v2 {
            /// The same name and field types, the fields swapped: bincode would decode either.
            #[derive(serde::Deserialize)]
            #[allow(dead_code)] // only traced, never read
            pub struct User {
                pub age: u32,
                pub id: u32,
            }
        }
        mod v3 {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)] // only traced, never read
            pub struct User {
                pub id: u32,
                pub age: u64,
            }
        }

        mod shapes_v1 {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)] // only traced, never read
            pub enum Shape {
                Circle(f64),
                Square { side: f64 },
            }
        }
        mod shapes_v2 {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)] // only traced, never read
            pub enum Shape {
                Circle(f64),
                Square { side: f64 },
                Triangle,
            }
        }

        /// Two releases of a `Shape` whose *non-first* variant swaps its fields: the tracer
        /// reaches `Circle` first, so only a complete trace of nested enums sees `Rect` at all.
        /// Each release also wraps `Shape` the ways a return type may hold an enum.
        macro_rules! release {
            ($name:ident, $($rect:tt)*) => {
                #[allow(dead_code)] // only traced, never read
                mod $name {
                    use std::collections::BTreeMap;

                    #[derive(serde::Deserialize)]
                    pub enum Shape {
                        Circle(f64),
                        Rect { $($rect)* },
                    }
                    #[derive(serde::Deserialize)]
                    pub struct Drawing {
                        pub title: String,
                        pub shape: Shape,
                    }
                    #[derive(serde::Deserialize)]
                    pub struct Wrapper<T> {
                        pub inner: T,
                    }
                    /// `Shape` inside a non-first variant of another enum.
                    #[derive(serde::Deserialize)]
                    pub enum Layer {
                        Empty,
                        Shapes(Vec<Shape>),
                    }
                    pub type InStruct = Drawing;
                    pub type InVec = Vec<Shape>;
                    pub type InOption = Option<Shape>;
                    pub type InMap = BTreeMap<String, Shape>;
                    pub type InGeneric = Wrapper<Shape>;
                    pub type InEnum = Layer;
                    pub type InEnumInStruct = Wrapper<Option<Layer>>;
                }
            };
        }
        release!(drawing_v1, w: u32, h: u32);
        release!(drawing_v2, h: u32, w: u32);

        #[test]
        fn layout_stamp_sees_swapped_fields_in_a_non_first_variant_of_a_nested_enum() {
            let (v1, v2) = (
                layout_stamp::<drawing_v1::InStruct>(),
                layout_stamp::<drawing_v2::InStruct>(),
            );
            assert_ne!(v1, 0);
            assert_eq!(v1, layout_stamp::<drawing_v1::InStruct>(), "deterministic");
            assert_ne!(v1, v2, "Rect{{w,h}} and Rect{{h,w}} in a struct field");
        }

        #[test]
        fn layout_stamp_sees_swapped_fields_in_an_enum_inside_a_vec() {
            assert_ne!(
                layout_stamp::<drawing_v1::InVec>(),
                layout_stamp::<drawing_v2::InVec>()
            );
        }

        #[test]
        fn layout_stamp_sees_swapped_fields_in_an_enum_inside_an_option() {
            assert_ne!(
                layout_stamp::<drawing_v1::InOption>(),
                layout_stamp::<drawing_v2::InOption>()
            );
        }

        #[test]
        fn layout_stamp_sees_swapped_fields_in_an_enum_inside_a_map() {
            assert_ne!(
                layout_stamp::<drawing_v1::InMap>(),
                layout_stamp::<drawing_v2::InMap>()
            );
        }

        #[test]
        fn layout_stamp_sees_swapped_fields_in_an_enum_inside_a_generic_container() {
            assert_ne!(
                layout_stamp::<drawing_v1::InGeneric>(),
                layout_stamp::<drawing_v2::InGeneric>()
            );
        }

        #[test]
        fn layout_stamp_sees_swapped_fields_in_an_enum_inside_a_non_first_variant_of_an_enum() {
            assert_ne!(
                layout_stamp::<drawing_v1::InEnum>(),
                layout_stamp::<drawing_v2::InEnum>(),
                "top-level enum"
            );
            assert_ne!(
                layout_stamp::<drawing_v1::InEnumInStruct>(),
                layout_stamp::<drawing_v2::InEnumInStruct>(),
                "two enums deep, inside an option and a struct"
            );
        }

        #[derive(serde::Deserialize)]
        #[allow(dead_code)] // only traced, never read
        struct Dir {
            name: String,
            children: Vec<Dir>,
            parent: Option<Box<Dir>>,
            entries: BTreeMap<String, Entry>,
        }
        #[derive(serde::Deserialize)]
        #[allow(dead_code)] // only traced, never read
        enum Entry {
            File(u64),
            Link { target: Box<Entry>, dir: Box<Dir> },
        }
        mod tree_v1 {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)] // only traced, never read
            pub enum Tree {
                Leaf,
                Node {
                    left: Box<Tree>,
                    right: Box<Tree>,
                    weight: u32,
                },
            }
        }
        mod tree_v2 {
            #[derive(serde::Deserialize)]
            #[allow(dead_code)] // only traced, never read
            pub enum Tree {
                Leaf,
                Node {
                    weight: u32,
                    left: Box<Tree>,
                    right: Box<Tree>,
                },
            }
        }
        /// The tracer reads a recursing enum as its first variant: here that recurses forever.
        #[derive(serde::Deserialize)]
        #[allow(dead_code)] // only traced, never read
        enum Endless {
            More(Box<Endless>),
            Done,
        }

        #[test]
        fn recursive_types_are_traced_in_full_and_finitely() {
            let dir = layout_stamp::<Dir>();
            assert_ne!(dir, 0);
            assert_eq!(dir, layout_stamp::<Dir>(), "deterministic");
            let tree = layout_stamp::<tree_v1::Tree>();
            assert_ne!(tree, 0);
            assert_ne!(
                tree,
                layout_stamp::<tree_v2::Tree>(),
                "a recursive variant's fields"
            );
            assert_ne!(
                layout_stamp::<Vec<tree_v1::Tree>>(),
                layout_stamp::<Vec<tree_v2::Tree>>()
            );
        }

        #[test]
        fn an_option_a_sequence_a_map_and_a_tuple_have_different_layout_stamps() {
            let all = [
                layout_stamp::<Option<u32>>(),
                layout_stamp::<Vec<u32>>(),
                layout_stamp::<(u32,)>(),
                layout_stamp::<BTreeMap<u32, u32>>(),
                layout_stamp::<Vec<(u32, u32)>>(),
                layout_stamp::<Option<Option<u32>>>(),
            ];
            for (i, a) in all.iter().enumerate() {
                assert_ne!(*a, 0);
                for b in &all[i + 1..] {
                    assert_ne!(a, b, "{all:?}");
                }
            }
        }

        #[test]
        fn a_type_whose_first_variant_recurses_falls_back_instead_of_overflowing_the_stack() {
            assert_eq!(layout_stamp::<Endless>(), 0);
            assert_eq!(layout_stamp::<Vec<Endless>>(), 0);
        }

        /// Validates its input like a parsed date: the tracer's sample is rejected.
        struct Validated;
        impl<'de> Deserialize<'de> for Validated {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                if text == "2024-01-01" {
                    Ok(Validated)
                } else {
                    Err(serde::de::Error::custom("not a date"))
                }
            }
        }

        /// Panics on any input.
        struct Panicking;
        impl<'de> Deserialize<'de> for Panicking {
            fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
                panic!("a third-party Deserialize that panics")
            }
        }

        #[test]
        fn field_order_names_and_types_change_the_layout_stamp() {
            let v1 = layout_stamp::<v1::User>();
            assert_ne!(v1, 0);
            assert_eq!(v1, layout_stamp::<v1::User>(), "deterministic");
            assert_ne!(v1, layout_stamp::<v2::User>(), "swapped fields");
            assert_ne!(v1, layout_stamp::<v3::User>(), "a wider field");
            assert_ne!(layout_stamp::<u32>(), layout_stamp::<u64>());
            assert_ne!(
                layout_stamp::<(u32, String)>(),
                layout_stamp::<(String, u32)>()
            );
        }

        #[test]
        fn enum_variants_count() {
            assert_ne!(layout_stamp::<shapes_v1::Shape>(), 0);
            assert_ne!(
                layout_stamp::<shapes_v1::Shape>(),
                layout_stamp::<shapes_v2::Shape>()
            );
        }

        #[test]
        fn untraceable_types_fall_back_without_panicking() {
            assert_eq!(layout_stamp::<Validated>(), 0);
            assert_eq!(layout_stamp::<Panicking>(), 0);
        }

        #[test]
        fn fnv1a_is_the_standard_function() {
            assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
            assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
        }
    }
}
