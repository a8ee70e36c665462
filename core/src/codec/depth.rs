//! A bound on how deeply a decoded value may nest.
//!
//! serde decodes recursively: one level of a recursive type (`enum Tree { Leaf,
//! Node(Box<Tree>) }`, nested `Vec`s, a JSON-like value) costs some stack frames, and
//! bincode reads one of them from a single byte. A stored entry of 20 KB could therefore
//! overflow the stack, which aborts the process (no unwinding, release builds too). This
//! adaptor sits between the codec's deserializer and the type, counts the nesting of every
//! value (each sequence element, map key and value, `Some`, newtype, enum variant's
//! content and struct field is one level below its container), and refuses to go deeper than a limit:
//! a decode error, which the engine treats as a miss.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};
use std::fmt;
use std::marker::PhantomData;

/// The deepest nesting a decoded value may have; see [`Codec`](crate::codec::Codec). 128 levels, like
/// serde_json's own limit, is far deeper than real data types, and shallow enough for the
/// 2 MiB stacks of tokio's worker threads in debug builds.
pub(crate) const MAX_DEPTH: usize = 128;

/// The error of a value nested too deeply.
const TOO_DEEP: &str = "the stored value nests deeper than the decoding depth limit";

/// A seed decoding `T` through the adaptor, with at most `max_depth` levels.
pub(crate) struct Limited<T> {
    max_depth: usize,
    value: PhantomData<fn() -> T>,
}

impl<T> Limited<T> {
    /// Decodes a `T` of at most `max_depth` levels.
    pub(crate) fn new(max_depth: usize) -> Self {
        Limited {
            max_depth,
            value: PhantomData,
        }
    }
}

impl<'de, T: de::Deserialize<'de>> DeserializeSeed<'de> for Limited<T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<T, D::Error> {
        T::deserialize(Depth {
            inner,
            left: self.max_depth,
        })
    }
}

/// Wraps a deserializer (`left`: the levels the value it reads may still use, itself
/// included), a visitor, an access or a seed (`left`: those its contents may use).
struct Depth<X> {
    inner: X,
    left: usize,
}

impl<X> Depth<X> {
    fn wrap<Y>(&self, inner: Y) -> Depth<Y> {
        Depth {
            inner,
            left: self.left,
        }
    }
}

macro_rules! limit_deserialize {
    ($($method:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let Some(below) = self.left.checked_sub(1) else {
                return Err(de::Error::custom(TOO_DEEP));
            };
            self.inner.$method($($arg,)* Depth { inner: visitor, left: below })
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Depth<D> {
    type Error = D::Error;

    limit_deserialize!(
        deserialize_any(),
        deserialize_bool(),
        deserialize_i8(),
        deserialize_i16(),
        deserialize_i32(),
        deserialize_i64(),
        deserialize_i128(),
        deserialize_u8(),
        deserialize_u16(),
        deserialize_u32(),
        deserialize_u64(),
        deserialize_u128(),
        deserialize_f32(),
        deserialize_f64(),
        deserialize_char(),
        deserialize_str(),
        deserialize_string(),
        deserialize_bytes(),
        deserialize_byte_buf(),
        deserialize_option(),
        deserialize_unit(),
        deserialize_unit_struct(name: &'static str),
        deserialize_newtype_struct(name: &'static str),
        deserialize_seq(),
        deserialize_tuple(len: usize),
        deserialize_tuple_struct(name: &'static str, len: usize),
        deserialize_map(),
        deserialize_struct(name: &'static str, fields: &'static [&'static str]),
        deserialize_enum(name: &'static str, variants: &'static [&'static str]),
        deserialize_identifier(),
        deserialize_ignored_any(),
    );

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Depth<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    crate::visitor_forward::forward_primitive_visits!();

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        let content = self.wrap(inner);
        self.inner.visit_some(content)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        let content = self.wrap(inner);
        self.inner.visit_newtype_struct(content)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let seq = self.wrap(seq);
        self.inner.visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let map = self.wrap(map);
        self.inner.visit_map(map)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        let data = self.wrap(data);
        self.inner.visit_enum(data)
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Depth<A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_element_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Depth<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_key_seed(seed)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let seed = self.wrap(seed);
        self.inner.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Depth<A> {
    type Error = A::Error;
    type Variant = Depth<A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let left = self.left;
        // The variant's name or index is read at the enum's own level (the enum passed
        // its check with `left + 1`): a tag is not nesting.
        let tag = Depth {
            inner: seed,
            left: left.saturating_add(1),
        };
        let (value, variant) = self.inner.variant_seed(tag)?;
        Ok((
            value,
            Depth {
                inner: variant,
                left,
            },
        ))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Depth<A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        let seed = self.wrap(seed);
        self.inner.newtype_variant_seed(seed)
    }

    // A tuple or struct variant's fields are one level below the enum, like a newtype
    // variant's content: the visitor hands them to seeds carrying the same `left`.
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        let visitor = self.wrap(visitor);
        self.inner.tuple_variant(len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let visitor = self.wrap(visitor);
        self.inner.struct_variant(fields, visitor)
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Depth<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        let value = self.wrap(inner);
        self.inner.deserialize(value)
    }
}
