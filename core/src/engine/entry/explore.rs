//! A deserializer adaptor between serde-reflection's tracer and the traced type, so that
//! every pass of the trace reaches every nested enum.
//!
//! The tracer explores an `Option`, a sequence or a map only while its format is unknown:
//! from the second pass on, those inside a struct it has already seen are read as `None` or
//! empty, and the enums behind them never get past their first variants. This adaptor
//! hands the tracer a tuple instead (a marker naming the container, then the contents),
//! which it explores on every pass, and cuts the exploration itself, only where a named
//! type recurs (`struct Node { children: Vec<Node> }`), so the trace stays finite.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

/// The deepest a trace may nest. A type whose first enum variant recurses (`enum T {
/// Node(Box<T>), Leaf }`) would otherwise recurse until the stack overflows: it fails the
/// trace instead, and falls back to the name-only stamp.
const MAX_DEPTH: usize = 128;

/// The markers of the containers handed to the tracer as tuples.
const OPTION: &str = "<option>";
const SEQ: &str = "<seq>";
const MAP: &str = "<map>";

/// What one pass knows of where it is.
#[derive(Default)]
pub(super) struct State {
    /// The named types being traced, outermost first.
    stack: RefCell<Vec<&'static str>>,
    /// How many entries of `stack` name a type already below them: inside a recursion.
    repeats: Cell<usize>,
    depth: Cell<usize>,
}

/// Leaves a level (and a named type) when dropped, on errors too.
struct Level<'s> {
    state: &'s State,
    named: bool,
    repeat: bool,
}

impl State {
    fn enter<E: de::Error>(&self, name: Option<&'static str>) -> Result<Level<'_>, E> {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            return Err(E::custom("the type nests too deeply to trace"));
        }
        self.depth.set(depth + 1);
        let mut repeat = false;
        if let Some(name) = name {
            let mut stack = self.stack.borrow_mut();
            repeat = stack.contains(&name);
            stack.push(name);
            if repeat {
                self.repeats.set(self.repeats.get() + 1);
            }
        }
        Ok(Level {
            state: self,
            named: name.is_some(),
            repeat,
        })
    }

    fn recursing(&self) -> bool {
        self.repeats.get() > 0
    }
}

impl Drop for Level<'_> {
    fn drop(&mut self) {
        let state = self.state;
        state.depth.set(state.depth.get().saturating_sub(1));
        if self.named {
            state.stack.borrow_mut().pop();
        }
        if self.repeat {
            state.repeats.set(state.repeats.get().saturating_sub(1));
        }
    }
}

/// The seed of one pass: deserializes `T` through the adaptor.
pub(super) struct Root<'s, T> {
    pub(super) state: &'s State,
    pub(super) value: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Root<'_, T> {
    type Value = T;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<T, D::Error> {
        T::deserialize(Explore {
            inner,
            state: self.state,
        })
    }
}

/// The adaptor around one of the tracer's deserializers.
struct Explore<'s, D> {
    inner: D,
    state: &'s State,
}

/// A visitor whose nested deserializers go through the adaptor too.
struct Wrap<'s, V> {
    inner: V,
    state: &'s State,
}

impl<'s, V> Wrap<'s, V> {
    fn new(inner: V, state: &'s State) -> Self {
        Wrap { inner, state }
    }
}

macro_rules! forward_deserialize {
    ($($method:ident),* $(,)?) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            let _level = self.state.enter::<D::Error>(None)?;
            self.inner.$method(Wrap::new(visitor, self.state))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Explore<'_, D> {
    type Error = D::Error;

    forward_deserialize!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(None)?;
        if self.state.recursing() {
            return visitor.visit_none();
        }
        let state = self.state;
        self.inner
            .deserialize_tuple(2, AsTuple::new(OPTION, visitor, state))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(None)?;
        if self.state.recursing() {
            return visitor.visit_seq(Empty(PhantomData));
        }
        let state = self.state;
        self.inner
            .deserialize_tuple(2, AsTuple::new(SEQ, visitor, state))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(None)?;
        if self.state.recursing() {
            return visitor.visit_map(Empty(PhantomData));
        }
        let state = self.state;
        self.inner
            .deserialize_tuple(3, AsTuple::new(MAP, visitor, state))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(Some(name))?;
        self.inner
            .deserialize_unit_struct(name, Wrap::new(visitor, self.state))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(Some(name))?;
        self.inner
            .deserialize_newtype_struct(name, Wrap::new(visitor, self.state))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(None)?;
        self.inner
            .deserialize_tuple(len, Wrap::new(visitor, self.state))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(Some(name))?;
        self.inner
            .deserialize_tuple_struct(name, len, Wrap::new(visitor, self.state))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(Some(name))?;
        self.inner
            .deserialize_struct(name, fields, Wrap::new(visitor, self.state))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let _level = self.state.enter::<D::Error>(Some(name))?;
        self.inner
            .deserialize_enum(name, variants, Wrap::new(visitor, self.state))
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, V> {
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
        self.inner.visit_some(Explore {
            inner,
            state: self.state,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_newtype_struct(Explore {
            inner,
            state: self.state,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_seq(Wrap::new(seq, self.state))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(Wrap::new(map, self.state))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_enum(Wrap::new(data, self.state))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.inner.next_element_seed(Wrap::new(seed, self.state))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(Wrap::new(seed, self.state))
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(Wrap::new(seed, self.state))
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

impl<'de, 's, A: EnumAccess<'de>> EnumAccess<'de> for Wrap<'s, A> {
    type Error = A::Error;
    type Variant = Wrap<'s, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(Wrap::new(seed, self.state))?;
        Ok((value, Wrap::new(variant, self.state)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Wrap<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(Wrap::new(seed, self.state))
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner
            .tuple_variant(len, Wrap::new(visitor, self.state))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner
            .struct_variant(fields, Wrap::new(visitor, self.state))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Wrap<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Explore {
            inner,
            state: self.state,
        })
    }
}

/// Reads the tuple the tracer was asked for (a marker, then an option's content, a
/// sequence's one element or a map's one key and value) and hands `visitor` the container
/// it asked for.
struct AsTuple<'s, V> {
    marker: &'static str,
    visitor: V,
    state: &'s State,
}

impl<'s, V> AsTuple<'s, V> {
    fn new(marker: &'static str, visitor: V, state: &'s State) -> Self {
        AsTuple {
            marker,
            visitor,
            state,
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for AsTuple<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut tuple: A) -> Result<V::Value, A::Error> {
        tuple
            .next_element_seed(Marker(self.marker))?
            .ok_or_else(|| de::Error::custom("the tracer's tuple is empty"))?;
        let state = self.state;
        match self.marker {
            OPTION => tuple
                .next_element_seed(SomeSeed {
                    visitor: self.visitor,
                    state,
                })?
                .ok_or_else(|| de::Error::custom("the tracer's tuple is short")),
            MAP => self.visitor.visit_map(One {
                tuple,
                state,
                left: 1,
            }),
            _ => self.visitor.visit_seq(One {
                tuple,
                state,
                left: 1,
            }),
        }
    }
}

/// A unit struct naming the container in the traced format: `Option<u32>` and `(u32,)` are
/// different layouts.
struct Marker(&'static str);

impl<'de> DeserializeSeed<'de> for Marker {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<(), D::Error> {
        inner.deserialize_unit_struct(self.0, UnitVisitor)
    }
}

struct UnitVisitor;

impl<'de> Visitor<'de> for UnitVisitor {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a unit marker")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

/// An option's content, read from the tuple.
struct SomeSeed<'s, V> {
    visitor: V,
    state: &'s State,
}

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for SomeSeed<'_, V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Explore {
            inner,
            state: self.state,
        })
    }
}

/// A sequence of one element, or a map of one entry, read from the tuple.
struct One<'s, A> {
    tuple: A,
    state: &'s State,
    left: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for One<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        self.tuple.next_element_seed(Wrap::new(seed, self.state))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de, A: SeqAccess<'de>> MapAccess<'de> for One<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.next_element_seed(seed)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.tuple
            .next_element_seed(Wrap::new(seed, self.state))?
            .ok_or_else(|| de::Error::custom("the tracer's tuple is short"))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The empty sequence or map that cuts a recursion.
struct Empty<E>(PhantomData<E>);

impl<'de, E: de::Error> SeqAccess<'de> for Empty<E> {
    type Error = E;

    fn next_element_seed<S: DeserializeSeed<'de>>(&mut self, _: S) -> Result<Option<S::Value>, E> {
        Ok(None)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(0)
    }
}

impl<'de, E: de::Error> MapAccess<'de> for Empty<E> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, _: K) -> Result<Option<K::Value>, E> {
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, _: S) -> Result<S::Value, E> {
        Err(E::custom("an empty map has no value"))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(0)
    }
}
