//! A fingerprint of a type's serde layout, so a value stored by an older version of a type
//! reads as a miss rather than decoding "successfully" into the wrong fields.
//!
//! The macro's fingerprint covers the return type's *name*, the codec and `version = N`.
//! A struct that keeps its name but swaps two `u32` fields would still decode with
//! bincode, into the wrong fields. So each function also traces its value type once, with
//! serde-reflection (field names, their order and formats, enum variants), and mixes that
//! in. Every variant of every enum is traced, however deeply it is nested (in a field, an
//! `Option`, a `Vec`, a map, a generic type or another enum's variant), so a swap inside a
//! non-first variant changes the fingerprint too. Types whose `Deserialize` validates its
//! input (a date parsed from a string, say) cannot be traced; they fall back to the
//! name-only fingerprint, and `version = N` is the way to mark their layout changes.

use serde::de::DeserializeOwned;
use serde_reflection::{ContainerFormat, Format, Registry, Samples, Tracer, TracerConfig};
use std::collections::BTreeSet;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind};

mod explore;

/// The most deserializations one trace may take: enough for dozens of enums of dozens of
/// variants, and a bound on the time a pathological type can cost its first call.
const MAX_TRACES: usize = 4096;

/// The fingerprint of `T`'s serde layout, or 0 when it cannot be traced. Runs once per
/// decorated function, on its first call.
pub(crate) fn fingerprint<T: DeserializeOwned>() -> u64 {
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
    fn fingerprint_sees_swapped_fields_in_a_non_first_variant_of_a_nested_enum() {
        let (v1, v2) = (
            fingerprint::<drawing_v1::InStruct>(),
            fingerprint::<drawing_v2::InStruct>(),
        );
        assert_ne!(v1, 0);
        assert_eq!(v1, fingerprint::<drawing_v1::InStruct>(), "deterministic");
        assert_ne!(v1, v2, "Rect{{w,h}} and Rect{{h,w}} in a struct field");
    }

    #[test]
    fn fingerprint_sees_swapped_fields_in_an_enum_inside_a_vec() {
        assert_ne!(
            fingerprint::<drawing_v1::InVec>(),
            fingerprint::<drawing_v2::InVec>()
        );
    }

    #[test]
    fn fingerprint_sees_swapped_fields_in_an_enum_inside_an_option() {
        assert_ne!(
            fingerprint::<drawing_v1::InOption>(),
            fingerprint::<drawing_v2::InOption>()
        );
    }

    #[test]
    fn fingerprint_sees_swapped_fields_in_an_enum_inside_a_map() {
        assert_ne!(
            fingerprint::<drawing_v1::InMap>(),
            fingerprint::<drawing_v2::InMap>()
        );
    }

    #[test]
    fn fingerprint_sees_swapped_fields_in_an_enum_inside_a_generic_container() {
        assert_ne!(
            fingerprint::<drawing_v1::InGeneric>(),
            fingerprint::<drawing_v2::InGeneric>()
        );
    }

    #[test]
    fn fingerprint_sees_swapped_fields_in_an_enum_inside_a_non_first_variant_of_an_enum() {
        assert_ne!(
            fingerprint::<drawing_v1::InEnum>(),
            fingerprint::<drawing_v2::InEnum>(),
            "top-level enum"
        );
        assert_ne!(
            fingerprint::<drawing_v1::InEnumInStruct>(),
            fingerprint::<drawing_v2::InEnumInStruct>(),
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
        let dir = fingerprint::<Dir>();
        assert_ne!(dir, 0);
        assert_eq!(dir, fingerprint::<Dir>(), "deterministic");
        let tree = fingerprint::<tree_v1::Tree>();
        assert_ne!(tree, 0);
        assert_ne!(
            tree,
            fingerprint::<tree_v2::Tree>(),
            "a recursive variant's fields"
        );
        assert_ne!(
            fingerprint::<Vec<tree_v1::Tree>>(),
            fingerprint::<Vec<tree_v2::Tree>>()
        );
    }

    #[test]
    fn an_option_a_sequence_a_map_and_a_tuple_have_different_fingerprints() {
        let all = [
            fingerprint::<Option<u32>>(),
            fingerprint::<Vec<u32>>(),
            fingerprint::<(u32,)>(),
            fingerprint::<BTreeMap<u32, u32>>(),
            fingerprint::<Vec<(u32, u32)>>(),
            fingerprint::<Option<Option<u32>>>(),
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
        assert_eq!(fingerprint::<Endless>(), 0);
        assert_eq!(fingerprint::<Vec<Endless>>(), 0);
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
    fn field_order_names_and_types_change_the_fingerprint() {
        let v1 = fingerprint::<v1::User>();
        assert_ne!(v1, 0);
        assert_eq!(v1, fingerprint::<v1::User>(), "deterministic");
        assert_ne!(v1, fingerprint::<v2::User>(), "swapped fields");
        assert_ne!(v1, fingerprint::<v3::User>(), "a wider field");
        assert_ne!(fingerprint::<u32>(), fingerprint::<u64>());
        assert_ne!(
            fingerprint::<(u32, String)>(),
            fingerprint::<(String, u32)>()
        );
    }

    #[test]
    fn enum_variants_count() {
        assert_ne!(fingerprint::<shapes_v1::Shape>(), 0);
        assert_ne!(
            fingerprint::<shapes_v1::Shape>(),
            fingerprint::<shapes_v2::Shape>()
        );
    }

    #[test]
    fn untraceable_types_fall_back_without_panicking() {
        assert_eq!(fingerprint::<Validated>(), 0);
        assert_eq!(fingerprint::<Panicking>(), 0);
    }

    #[test]
    fn fnv1a_is_the_standard_function() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
