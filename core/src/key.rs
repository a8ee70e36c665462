//! Building keys from values: [`KeyPart`], the seed's `create_cache_key`, and the
//! `Display` fallback the macro uses for types that only implement `Display`.

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

macro_rules! key_part_via_display {
    ($($t:ty),*) => {$(
        impl KeyPart for $t {
            fn write_key_part(&self, out: &mut String) {
                let _ = write!(out, "{self}");
            }
        }
    )*};
}
key_part_via_display!(f32, f64, bool, char);

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
        out.push_str(self);
    }
}
impl KeyPart for String {
    fn write_key_part(&self, out: &mut String) {
        out.push_str(self);
    }
}
impl KeyPart for std::borrow::Cow<'_, str> {
    fn write_key_part(&self, out: &mut String) {
        out.push_str(self);
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
/// `None` is written as `None`, `Some(x)` as `x` (as the seed's `str()` does).
impl<T: KeyPart> KeyPart for Option<T> {
    fn write_key_part(&self, out: &mut String) {
        match self {
            Some(value) => value.write_key_part(out),
            None => out.push_str("None"),
        }
    }
}
/// Sequences are written as `[a,b,c]`.
impl<T: KeyPart> KeyPart for [T] {
    fn write_key_part(&self, out: &mut String) {
        out.push('[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item.write_key_part(out);
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

/// Fallback path: the value implements `Display`.
#[doc(hidden)]
pub trait ViaDisplay {
    fn write_to(&self, out: &mut String);
}
impl<T: Display + ?Sized> ViaDisplay for &KeyWriter<'_, T> {
    #[inline]
    fn write_to(&self, out: &mut String) {
        let _ = write!(out, "{}", self.0);
    }
}

/// Joins parts into a key with `:`, as the seed's `create_cache_key(*parts)`.
///
/// ```
/// use easy_cache_core::create_cache_key;
/// assert_eq!(create_cache_key!("user_favorite_books", 42), "user_favorite_books:42");
/// assert_eq!(create_cache_key!("a", Some(1), None::<u8>, [1, 2]), "a:1:None:[1,2]");
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
            "ann:bob:[1,2]:x:None"
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
}
