//! Building keys from values: [`KeyPart`], the seed's `create_cache_key`, and the
//! `Display` fallback the macro uses for types that only implement `Display`.
//!
//! Key parts are *injective*: two different values of one type never write the same text,
//! so two different argument lists of one function never share a key. Strings escape the
//! characters that structure a key (`%`, `:`, `,`, `[`, `]`, `~`) as `%XX`; `None` is `~`
//! (a `Some` whose own form starts with `~` gets one more); a sequence holding a single
//! empty part is `[%]`, never `[]`.

use std::fmt::{Display, Write};

/// Separator between the parts of a key.
///
/// ```
/// use easy_cache_core::{KEY_SEPARATOR, create_cache_key};
/// let key = create_cache_key!("user", 7, "books");
/// assert_eq!(key.split(KEY_SEPARATOR).collect::<Vec<_>>(), ["user", "7", "books"]);
/// ```
pub const KEY_SEPARATOR: char = ':';

/// A value that can be written into a cache key.
///
/// Implemented for strings, numbers, `bool`, `char`, `Option`, slices, `Vec`, arrays, tuples
/// and smart pointers. Other types work in keys when they implement `Display`; implement
/// `KeyPart` for a type whose `Display` is not a stable identity (or derive `ECached`).
///
/// ```
/// use easy_cache_core::KeyPart;
/// struct UserId(u64);
/// impl KeyPart for UserId {
///     fn write_key_part(&self, out: &mut String) { self.0.write_key_part(out) }
/// }
/// assert_eq!(easy_cache_core::create_cache_key!("user", UserId(7)), "user:7");
/// ```
pub trait KeyPart {
    /// Appends this value's key form to `out`.
    ///
    /// ```
    /// use easy_cache_core::KeyPart;
    /// let mut key = String::from("user:");
    /// 7u64.write_key_part(&mut key);
    /// assert_eq!(key, "user:7");
    /// ```
    fn write_key_part(&self, out: &mut String);
}

/// The bytes that structure a key, escaped inside a part.
const fn is_structural(byte: u8) -> bool {
    matches!(byte, b'%' | b':' | b',' | b'[' | b']' | b'~')
}

/// Appends `text` to `out` as one key part: structural characters become `%XX`.
///
/// ```
/// let mut key = String::new();
/// easy_cache_core::write_escaped("ann:lee", &mut key);
/// assert_eq!(key, "ann%3Alee");
/// ```
pub fn write_escaped(text: &str, out: &mut String) {
    // Most parts have nothing to escape: one scan, one copy.
    if !text.bytes().any(is_structural) {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        if c.is_ascii() && is_structural(c as u8) {
            let _ = write!(out, "%{:02X}", c as u8);
        } else {
            out.push(c);
        }
    }
}

/// A `fmt::Write` that escapes what it is given, for `Display` values.
struct Escaping<'a>(&'a mut String);

impl std::fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        write_escaped(s, self.0);
        Ok(())
    }
}

/// Appends `value`'s `Display` output as one escaped key part.
fn write_display_escaped(value: &(impl Display + ?Sized), out: &mut String) {
    let _ = write!(Escaping(out), "{value}");
}

// Shortest round-trip forms: distinct floats print differently (`-0` and `0` too).
macro_rules! key_part_via_display {
    ($($t:ty),*) => {$(
        impl KeyPart for $t {
            fn write_key_part(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
key_part_via_display!(f32, f64, bool);

impl KeyPart for char {
    fn write_key_part(&self, out: &mut String) {
        write_escaped(self.encode_utf8(&mut [0; 4]), out);
    }
}

// Integers are the most common key parts: itoa writes them without the fmt machinery.
macro_rules! key_part_integer {
    ($($t:ty),*) => {$(
        impl KeyPart for $t {
            #[inline]
            fn write_key_part(&self, out: &mut String) {
                out.push_str(itoa::Buffer::new().format(*self));
            }
        }
    )*};
}
key_part_integer!(
    u8, u16, u32, u64, u128, usize, i8, i16, i32, i64, i128, isize
);

impl KeyPart for str {
    fn write_key_part(&self, out: &mut String) {
        write_escaped(self, out);
    }
}
impl KeyPart for String {
    fn write_key_part(&self, out: &mut String) {
        write_escaped(self, out);
    }
}
impl KeyPart for std::borrow::Cow<'_, str> {
    fn write_key_part(&self, out: &mut String) {
        write_escaped(self, out);
    }
}
impl<T: KeyPart + ?Sized> KeyPart for &T {
    fn write_key_part(&self, out: &mut String) {
        (**self).write_key_part(out);
    }
}
impl<T: KeyPart + ?Sized> KeyPart for &mut T {
    fn write_key_part(&self, out: &mut String) {
        (**self).write_key_part(out);
    }
}
impl<T: KeyPart + ?Sized> KeyPart for Box<T> {
    fn write_key_part(&self, out: &mut String) {
        (**self).write_key_part(out);
    }
}
impl<T: KeyPart + ?Sized> KeyPart for std::sync::Arc<T> {
    fn write_key_part(&self, out: &mut String) {
        (**self).write_key_part(out);
    }
}
impl<T: KeyPart + ?Sized> KeyPart for std::rc::Rc<T> {
    fn write_key_part(&self, out: &mut String) {
        (**self).write_key_part(out);
    }
}
/// `None` is written as `~`, `Some(x)` as `x` (`~x` when `x` itself starts with `~`, so
/// `Some(None)` and `None` differ); no string writes `~`, so `Some("None")` and `None`
/// differ too.
impl<T: KeyPart> KeyPart for Option<T> {
    fn write_key_part(&self, out: &mut String) {
        match self {
            Some(value) => {
                let start = out.len();
                value.write_key_part(out);
                if out[start..].starts_with(NONE) {
                    out.insert(start, NONE);
                }
            }
            None => out.push(NONE),
        }
    }
}

/// How `None` is written.
const NONE: char = '~';

/// Sequences are written as `[a,b,c]`; a single part that writes nothing is `[%]`, so
/// `[""]` and `[]` differ.
impl<T: KeyPart> KeyPart for [T] {
    fn write_key_part(&self, out: &mut String) {
        out.push('[');
        let start = out.len();
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_key_part(out);
        }
        if !self.is_empty() && out.len() == start {
            // `%` alone is no escape sequence: nothing else writes it.
            out.push('%');
        }
        out.push(']');
    }
}
impl<T: KeyPart, const N: usize> KeyPart for [T; N] {
    fn write_key_part(&self, out: &mut String) {
        self.as_slice().write_key_part(out);
    }
}
impl<T: KeyPart> KeyPart for Vec<T> {
    fn write_key_part(&self, out: &mut String) {
        self.as_slice().write_key_part(out);
    }
}
impl KeyPart for () {
    fn write_key_part(&self, _: &mut String) {}
}
macro_rules! key_part_tuple {
    ($first:ident $(, $rest:ident)*) => {
        /// Tuples are written as their parts joined by `:`.
        impl<$first: KeyPart, $($rest: KeyPart),*> KeyPart for ($first, $($rest,)*) {
            #[allow(non_snake_case)]
            fn write_key_part(&self, out: &mut String) {
                let ($first, $($rest,)*) = self;
                $first.write_key_part(out);
                $( out.push(KEY_SEPARATOR); $rest.write_key_part(out); )*
            }
        }
    };
}
key_part_tuple!(A);
key_part_tuple!(A, B);
key_part_tuple!(A, B, C);
key_part_tuple!(A, B, C, D);

/// Wraps a value so the macro can pick [`KeyPart`] when implemented and `Display` otherwise
/// (autoref specialization: `(&KeyWriter(&x)).write_to(out)`).
#[doc(hidden)]
pub struct KeyWriter<'a, T: ?Sized>(pub &'a T);

/// Preferred path: the value implements [`KeyPart`].
#[doc(hidden)]
pub trait ViaKeyPart {
    fn write_to(&self, out: &mut String);
}
impl<T: KeyPart + ?Sized> ViaKeyPart for KeyWriter<'_, T> {
    #[inline]
    fn write_to(&self, out: &mut String) {
        self.0.write_key_part(out);
    }
}

/// Fallback path: the value implements `Display` (its output escaped as a string's).
///
/// Implemented for every `T`, with the bound on the method: a value that has neither
/// `KeyPart` nor `Display` then fails on [`KeyDisplay`] with one line saying what to add,
/// rather than with "trait bounds were not satisfied" on this wrapper.
#[doc(hidden)]
pub trait ViaDisplay<T: ?Sized> {
    fn write_to(&self, out: &mut String)
    where
        T: KeyDisplay;
}
impl<T: ?Sized> ViaDisplay<T> for &KeyWriter<'_, T> {
    #[inline]
    fn write_to(&self, out: &mut String)
    where
        T: KeyDisplay,
    {
        self.0.write_displayed(out);
    }
}

/// A value written into a key through `Display` (what the macro falls back to when the
/// value has no [`KeyPart`]).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written into a cache key",
    label = "give it an identity: `#[ecached(id)]` fields (derive `ECached`), `impl KeyPart`, or `impl Display`; or give the function a key template",
    note = "an automatic key writes every argument, and `self` of a method"
)]
pub trait KeyDisplay {
    fn write_displayed(&self, out: &mut String);
}
impl<T: Display + ?Sized> KeyDisplay for T {
    #[inline]
    fn write_displayed(&self, out: &mut String) {
        write_display_escaped(self, out);
    }
}

/// Appends the 128-bit hash of a key part's text, as 32 hex digits: a template's
/// `{x:hash}`, for values too long for a key (memcached allows 250 bytes) or not to be
/// shown in it. Stable across processes and releases (XXH3-128).
///
/// ```
/// let mut key = String::from("doc:");
/// easy_cache_core::write_hashed(|out| out.push_str("a long text"), &mut key);
/// assert_eq!(key.len(), 4 + 32);
/// ```
pub fn write_hashed(part: impl FnOnce(&mut String), out: &mut String) {
    let mut text = String::new();
    part(&mut text);
    let hash = xxhash_rust::xxh3::xxh3_128(text.as_bytes());
    let _ = write!(out, "{hash:032x}");
}

/// Joins parts into a key with `:`, as the seed's `create_cache_key(*parts)`.
///
/// ```
/// use easy_cache_core::create_cache_key;
/// assert_eq!(create_cache_key!("user_favorite_books", 42), "user_favorite_books:42");
/// assert_eq!(create_cache_key!("a", Some(1), None::<u8>, [1, 2]), "a:1:~:[1,2]");
/// assert_eq!(create_cache_key!("ann:lee", "x"), "ann%3Alee:x"); // parts are escaped
/// ```
#[macro_export]
macro_rules! create_cache_key {
    ($($part:expr),* $(,)?) => {{
        #[allow(unused_imports)]
        use $crate::__private::{ViaDisplay as _, ViaKeyPart as _};
        #[allow(unused_mut)]
        let mut key = ::std::string::String::new();
        $crate::__create_cache_key_parts!(key; $($part),*);
        key
    }};
}

/// Builds a tag name from parts, exactly as [`create_cache_key!`] does, so the tag
/// `"book:{id}"` of a function and `create_tag_cache_key!("book", id)` name the same tag.
///
/// ```
/// use easy_cache_core::{create_cache_key, create_tag_cache_key};
/// assert_eq!(create_tag_cache_key!("book", 7), create_cache_key!("book", 7));
/// ```
#[macro_export]
macro_rules! create_tag_cache_key {
    ($($part:expr),* $(,)?) => { $crate::create_cache_key!($($part),*) };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __create_cache_key_parts {
    ($key:ident;) => {};
    ($key:ident; $first:expr $(, $rest:expr)*) => {
        (&$crate::__private::KeyWriter(&$first)).write_to(&mut $key);
        $( $key.push($crate::KEY_SEPARATOR); (&$crate::__private::KeyWriter(&$rest)).write_to(&mut $key); )*
    };
}

#[cfg(test)]
mod tests {
    struct OnlyDisplay;
    impl std::fmt::Display for OnlyDisplay {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("shown")
        }
    }

    #[test]
    fn key_parts_of_common_types() {
        let name: &str = "ann";
        let owned = String::from("bob");
        let ids: &[u64] = &[1, 2];
        assert_eq!(
            create_cache_key!(name, owned, ids, Some("x"), None::<&str>),
            "ann:bob:[1,2]:x:~"
        );
        assert_eq!(
            create_cache_key!(1.5f64, true, 'c', (1, "a")),
            "1.5:true:c:1:a"
        );
        assert_eq!(
            create_cache_key!(-42i64, u64::MAX, 0u8),
            "-42:18446744073709551615:0"
        );
        assert_eq!(create_cache_key!(), "");
    }

    #[test]
    fn display_only_types_fall_back_to_display() {
        assert_eq!(create_cache_key!("k", OnlyDisplay), "k:shown");
    }

    /// The three collisions the review found, each now two keys.
    #[test]
    fn separators_in_strings_none_and_empty_parts_never_collide() {
        assert_ne!(
            create_cache_key!("ann:lee", "x"),
            create_cache_key!("ann", "lee:x")
        );
        assert_ne!(
            create_cache_key!(vec!["a,b"]),
            create_cache_key!(vec!["a", "b"])
        );
        assert_ne!(
            create_cache_key!(None::<&str>),
            create_cache_key!(Some("None"))
        );
        assert_ne!(
            create_cache_key!(None::<Option<u8>>),
            create_cache_key!(Some(None::<u8>))
        );
        assert_ne!(
            create_cache_key!(Vec::<&str>::new()),
            create_cache_key!(vec![""])
        );
        assert_ne!(
            create_cache_key!(Some("~")),
            create_cache_key!(None::<&str>)
        );
        assert_eq!(create_cache_key!("100%", ["x]"]), "100%25:[x%5D]");
    }

    /// Draws many values from a small, separator-heavy space and fails on any two
    /// distinct values that share a key.
    fn assert_injective<T, S>(values: S, key: impl Fn(&T) -> String)
    where
        T: std::fmt::Debug + PartialEq + Clone,
        S: proptest::strategy::Strategy<Value = T>,
    {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut seen = std::collections::HashMap::new();
        for _ in 0..4_000 {
            let value = values.new_tree(&mut runner).unwrap().current();
            if let Some(other) = seen.insert(key(&value), value.clone()) {
                assert_eq!(
                    other,
                    value,
                    "two argument lists share the key {}",
                    key(&value)
                );
            }
        }
    }

    /// Short strings over separators and the letters of `None`: collisions, if the
    /// encoding had any, are among them.
    fn text() -> impl proptest::strategy::Strategy<Value = String> {
        "[a:,\\[\\]~%None]{0,3}"
    }

    #[test]
    fn distinct_argument_lists_give_distinct_keys() {
        use proptest::collection::vec;
        use proptest::option::of;
        assert_injective((text(), text()), |(a, b)| create_cache_key!(a, b));
        assert_injective(vec(text(), 0..4), |v| create_cache_key!(v));
        assert_injective((vec(text(), 0..3), text()), |(v, s)| {
            create_cache_key!(v, s)
        });
        assert_injective(of(of(text())), |o| create_cache_key!(o));
        assert_injective((of(text()), text()), |(o, s)| create_cache_key!(o, s));
        assert_injective(vec(of(text()), 0..3), |v| create_cache_key!(v));
        assert_injective(vec(vec(text(), 0..3), 0..3), |v| create_cache_key!(v));
        assert_injective((text(), proptest::char::range(' ', '~')), |(s, c)| {
            create_cache_key!(s, c)
        });
        assert_injective(((text(), text()), of(vec(text(), 0..2))), |(t, o)| {
            create_cache_key!(t, o)
        });
    }
}
