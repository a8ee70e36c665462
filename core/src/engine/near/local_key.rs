//! What identifies a call for the thread's copies (`local.rs`) without building its key:
//! the values the key is made of, hashed and compared where they are.
//!
//! Only types whose equal values always write the same key text qualify (integers, `bool`,
//! `char`, strings, and references to them): two calls this side finds equal then read the
//! same entry. Picked by autoref, as the near cache's value types are (`probe.rs`): a
//! function with any other key part simply has no thread copies.

/// A key part whose equal values write the same key text.
pub trait LocalPart {
    /// Mixes the value into `hash`.
    fn mix(&self, hash: &mut u64);
    /// Appends the value's encoding (what [`matches`](Self::matches) reads back).
    fn encode(&self, out: &mut Vec<u8>);
    /// Whether `encoded` starts with this value's encoding; consumes it.
    fn matches(&self, encoded: &mut &[u8]) -> bool;
    /// The value as one word, for a type whose values all fit one (integers up to 64
    /// bits, `bool`, `char`): a key of one such part is compared as that word.
    #[inline(always)]
    fn word(&self) -> Option<u64> {
        None
    }
}

/// The key parts of one call, as a tuple of [`LocalPart`]s.
pub trait LocalParts {
    /// Mixes every part into `hash`.
    fn mix(&self, hash: &mut u64);
    /// Every part's encoding, in order.
    fn encode(&self, out: &mut Vec<u8>);
    /// Whether `encoded` is exactly these parts' encoding.
    fn matches(&self, encoded: &[u8]) -> bool;
    /// The key as one word, when it is one part that is one (see [`LocalPart::word`]).
    #[inline(always)]
    fn word(&self) -> Option<u64> {
        None
    }
}

/// One step of the hash: cheap, and enough to spread slots (equal hashes are compared).
#[inline(always)]
pub(crate) fn mix_word(hash: &mut u64, word: u64) {
    *hash = (*hash ^ word)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15)
        .rotate_left(29);
}

#[inline(always)]
fn take_word(encoded: &mut &[u8]) -> Option<u64> {
    let (word, rest) = encoded.split_first_chunk::<8>()?;
    *encoded = rest;
    Some(u64::from_le_bytes(*word))
}

macro_rules! integer_parts {
    ($($t:ty),*) => {$(
        impl LocalPart for $t {
            #[inline(always)]
            fn mix(&self, hash: &mut u64) {
                // Sign-extended or zero-extended: a function's part has one type, so the
                // two never meet.
                mix_word(hash, *self as u64);
            }
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&(*self as u64).to_le_bytes());
            }
            #[inline(always)]
            fn matches(&self, encoded: &mut &[u8]) -> bool {
                take_word(encoded) == Some(*self as u64)
            }
            #[inline(always)]
            fn word(&self) -> Option<u64> {
                Some(*self as u64)
            }
        }
    )*};
}

integer_parts!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// Types whose values are one word through `u64::from`.
macro_rules! word_parts {
    ($($t:ty),*) => {$(
        impl LocalPart for $t {
            #[inline(always)]
            fn mix(&self, hash: &mut u64) {
                u64::from(*self).mix(hash);
            }
            #[inline(always)]
            fn word(&self) -> Option<u64> {
                Some(u64::from(*self))
            }
            fn encode(&self, out: &mut Vec<u8>) {
                u64::from(*self).encode(out);
            }
            #[inline(always)]
            fn matches(&self, encoded: &mut &[u8]) -> bool {
                u64::from(*self).matches(encoded)
            }
        }
    )*};
}

word_parts!(bool, char);

macro_rules! wide_parts {
    ($($t:ty),*) => {$(
        impl LocalPart for $t {
            #[inline(always)]
            fn mix(&self, hash: &mut u64) {
                let wide = *self as u128;
                mix_word(hash, wide as u64);
                mix_word(hash, (wide >> 64) as u64);
            }
            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&(*self as u128).to_le_bytes());
            }
            #[inline(always)]
            fn matches(&self, encoded: &mut &[u8]) -> bool {
                let wide = *self as u128;
                take_word(encoded) == Some(wide as u64)
                    && take_word(encoded) == Some((wide >> 64) as u64)
            }
        }
    )*};
}

wide_parts!(u128, i128);

impl LocalPart for str {
    #[inline]
    fn mix(&self, hash: &mut u64) {
        mix_word(hash, self.len() as u64);
        let mut chunks = self.as_bytes().chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            mix_word(hash, u64::from_le_bytes(word));
        }
        let mut last = [0u8; 8];
        last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        mix_word(hash, u64::from_le_bytes(last));
    }
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.len() as u64).to_le_bytes());
        out.extend_from_slice(self.as_bytes());
    }
    #[inline]
    fn matches(&self, encoded: &mut &[u8]) -> bool {
        if take_word(encoded) != Some(self.len() as u64) {
            return false;
        }
        match encoded.split_at_checked(self.len()) {
            Some((bytes, rest)) if bytes == self.as_bytes() => {
                *encoded = rest;
                true
            }
            _ => false,
        }
    }
}

impl LocalPart for String {
    #[inline]
    fn mix(&self, hash: &mut u64) {
        self.as_str().mix(hash);
    }
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_str().encode(out);
    }
    #[inline]
    fn matches(&self, encoded: &mut &[u8]) -> bool {
        LocalPart::matches(self.as_str(), encoded)
    }
}

impl<T: LocalPart + ?Sized> LocalPart for &T {
    #[inline(always)]
    fn mix(&self, hash: &mut u64) {
        (**self).mix(hash);
    }
    fn encode(&self, out: &mut Vec<u8>) {
        (**self).encode(out);
    }
    #[inline(always)]
    fn matches(&self, encoded: &mut &[u8]) -> bool {
        (**self).matches(encoded)
    }
    #[inline(always)]
    fn word(&self) -> Option<u64> {
        (**self).word()
    }
}

/// The compiler's path string an automatic key starts with, as a key part: told apart by
/// address and length (the same address and length are the same text; the same text at
/// two addresses only costs a miss). Two instantiations of a generic function share one
/// state but not their automatic keys.
#[derive(Debug, Clone, Copy)]
pub struct PathPart(pub &'static str);

impl LocalPart for PathPart {
    #[inline(always)]
    fn mix(&self, hash: &mut u64) {
        mix_word(hash, self.0.as_ptr() as u64);
    }
    fn encode(&self, out: &mut Vec<u8>) {
        (self.0.as_ptr() as u64).encode(out);
        (self.0.len() as u64).encode(out);
    }
    #[inline(always)]
    fn matches(&self, encoded: &mut &[u8]) -> bool {
        (self.0.as_ptr() as u64).matches(encoded) && (self.0.len() as u64).matches(encoded)
    }
}

impl<A: LocalPart> LocalParts for (A,) {
    #[inline(always)]
    fn mix(&self, hash: &mut u64) {
        self.0.mix(hash);
    }
    fn encode(&self, out: &mut Vec<u8>) {
        self.0.encode(out);
    }
    #[inline(always)]
    fn matches(&self, encoded: &[u8]) -> bool {
        let mut rest = encoded;
        self.0.matches(&mut rest) && rest.is_empty()
    }
    #[inline(always)]
    fn word(&self) -> Option<u64> {
        self.0.word()
    }
}

macro_rules! tuple_parts {
    ($(($($name:ident),*)),*) => {$(
        impl<$($name: LocalPart),*> LocalParts for ($($name,)*) {
            #[inline(always)]
            #[allow(non_snake_case, unused_variables)]
            fn mix(&self, hash: &mut u64) {
                let ($($name,)*) = self;
                $($name.mix(hash);)*
            }
            #[allow(non_snake_case, unused_variables)]
            fn encode(&self, out: &mut Vec<u8>) {
                let ($($name,)*) = self;
                $($name.encode(out);)*
            }
            #[inline(always)]
            #[allow(non_snake_case, unused_mut)]
            fn matches(&self, encoded: &[u8]) -> bool {
                let ($($name,)*) = self;
                let mut rest = encoded;
                $(if !$name.matches(&mut rest) { return false; })*
                rest.is_empty()
            }
        }
    )*};
}

tuple_parts!(
    (),
    (A, B),
    (A, B, C),
    (A, B, C, D),
    (A, B, C, D, E),
    (A, B, C, D, E, F),
    (A, B, C, D, E, F, G),
    (A, B, C, D, E, F, G, H),
    (A, B, C, D, E, F, G, H, I),
    (A, B, C, D, E, F, G, H, I, J),
    (A, B, C, D, E, F, G, H, I, J, K),
    (A, B, C, D, E, F, G, H, I, J, K, L),
    (A, B, C, D, E, F, G, H, I, J, K, L, M)
);

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(parts: &impl LocalParts) -> Vec<u8> {
        let mut out = Vec::new();
        parts.encode(&mut out);
        out
    }

    #[test]
    fn parts_match_their_own_encoding_only() {
        let one = (&7u64, &"ab");
        assert!(one.matches(&encoded(&one)));
        assert!(!(&7u64, &"abc").matches(&encoded(&one)));
        assert!(!(&8u64, &"ab").matches(&encoded(&one)));
        assert!(!(&7u64,).matches(&encoded(&one)), "fewer parts");
        // A string's length is part of it: "a" + "b" is not "ab" + "".
        let split = (&"a".to_owned(), &"b".to_owned());
        let joined = (&"ab".to_owned(), &String::new());
        assert!(!split.matches(&encoded(&joined)));
        assert!(().matches(&encoded(&())));
        let wide = (&(u128::MAX - 1),);
        assert!(wide.matches(&encoded(&wide)));
        assert!(!(&u128::MAX,).matches(&encoded(&wide)));
        assert!((&true, &'x', &-3i32).matches(&encoded(&(&true, &'x', &-3i32))));
    }

    #[test]
    fn equal_parts_hash_alike_and_others_mostly_not() {
        let hash = |parts: &dyn Fn(&mut u64)| {
            let mut h = 1;
            parts(&mut h);
            h
        };
        let a = hash(&|h| (&"user", &7u64).mix(h));
        assert_eq!(a, hash(&|h| (&"user".to_owned(), &7u64).mix(h)));
        assert_ne!(a, hash(&|h| (&"user", &8u64).mix(h)));
        assert_ne!(
            hash(&|h| (&"abcdefgh1",).mix(h)),
            hash(&|h| (&"abcdefgh2",).mix(h))
        );
    }
}
