//! A fingerprint of a type's serde layout, so a value stored by an older version of a type
//! reads as a miss rather than decoding "successfully" into the wrong fields.
//!
//! The macro's fingerprint covers the return type's *name*, the codec and `version = N`.
//! A struct that keeps its name but swaps two `u32` fields would still decode with
//! bincode, into the wrong fields. So each function also traces its value type once, with
//! serde-reflection (field names, their order and formats, enum variants), and mixes that
//! in. Types whose `Deserialize` validates its input (a date parsed from a string, say)
//! cannot be traced; they fall back to the name-only fingerprint, and `version = N` is
//! the way to mark their layout changes.

use serde::de::DeserializeOwned;
use serde_reflection::{Samples, Tracer, TracerConfig};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The fingerprint of `T`'s serde layout, or 0 when it cannot be traced. Runs once per
/// decorated function, on its first call.
pub(crate) fn fingerprint<T: DeserializeOwned>() -> u64 {
    // A third-party `Deserialize` may panic on the tracer's sample values: that must cost
    // the layout check, never the caller's request.
    let traced = catch_unwind(AssertUnwindSafe(|| {
        let mut tracer = Tracer::new(TracerConfig::default());
        let samples = Samples::new();
        let (format, _values) = tracer.trace_type::<T>(&samples).ok()?;
        // Nested enums may be traced partially (their first variants): still a fixed
        // function of the type's definition, which is all a fingerprint needs.
        let registry = tracer.registry_unchecked();
        Some(format!("{format:?} {registry:?}"))
    }));
    match traced {
        Ok(Some(description)) => fnv1a(description.as_bytes()),
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
