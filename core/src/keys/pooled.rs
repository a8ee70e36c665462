//! The storage key of one call, built in a `String` taken from a per-thread spare and given
//! back when the call ends: a hit builds its key without allocating. A tagged call builds
//! the version keys of its argument-dependent tags and prefix the same way, in spares of
//! their own ([`VersionKey`]), so an untagged call's key stays one `Cell` away.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

/// Spares for version keys: a call's argument-dependent tags and prefix, each thread.
const VERSION_SPARES: usize = 4;

thread_local! {
    static SPARE: Cell<String> = const { Cell::new(String::new()) };
    static VERSION_SPARE: [Cell<String>; VERSION_SPARES] =
        const { [const { Cell::new(String::new()) }; VERSION_SPARES] };
}

/// Longer buffers are freed rather than kept (one odd key must not pin its memory).
const KEEP_CAPACITY: usize = 512;

/// A `String` (it derefs to one) taken from this thread's spares `S` and given back,
/// cleared, when dropped. Generated code builds them; nothing else needs to.
#[derive(Debug, Default)]
pub struct Spared<S: Spares>(String, PhantomData<S>);

/// A call's key, in this thread's one spare.
pub type PooledKey = Spared<KeySpare>;

/// The buffer of a version key built for one call: like [`PooledKey`], in spares of its
/// own (a call may build several).
pub type VersionKeyBuf = Spared<VersionSpares>;

/// Where a [`Spared`] buffer comes from and returns to.
pub trait Spares {
    /// A spare buffer (empty, with its capacity), or a new one.
    fn take() -> String;
    /// Keeps `buffer`, cleared, if there is room (freed otherwise, or in thread teardown).
    fn give(buffer: String);
}

/// The spare of call keys.
#[derive(Debug, Default)]
pub struct KeySpare;

impl Spares for KeySpare {
    #[inline]
    fn take() -> String {
        SPARE.try_with(Cell::take).unwrap_or_default()
    }

    #[inline]
    fn give(buffer: String) {
        let _ = SPARE.try_with(|spare| spare.set(buffer));
    }
}

/// The spares of version keys.
#[derive(Debug, Default)]
pub struct VersionSpares;

impl Spares for VersionSpares {
    #[inline]
    fn take() -> String {
        let spare = VERSION_SPARE.try_with(|spares| {
            spares
                .iter()
                .map(Cell::take)
                .find(|buffer| buffer.capacity() != 0)
        });
        spare.ok().flatten().unwrap_or_default()
    }

    fn give(mut buffer: String) {
        // Into the first free spare.
        let _ = VERSION_SPARE.try_with(|spares| {
            for spare in spares {
                buffer = spare.replace(buffer);
                if buffer.capacity() == 0 {
                    return;
                }
            }
        });
    }
}

impl<S: Spares> Spared<S> {
    /// An empty buffer with room for `capacity` bytes, reusing a spare one.
    // Inlined into the generated code, which then builds the key in place: a call returned
    // the `String` through the stack, and that copy stalled on store forwarding (3% of a
    // sled hit's time).
    #[inline]
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buffer = S::take();
        buffer.reserve(capacity);
        Spared(buffer, PhantomData)
    }
}

impl<S: Spares> From<String> for Spared<S> {
    fn from(key: String) -> Self {
        Spared(key, PhantomData)
    }
}

impl<S: Spares> Deref for Spared<S> {
    type Target = String;

    fn deref(&self) -> &String {
        &self.0
    }
}

impl<S: Spares> DerefMut for Spared<S> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

impl<S: Spares> std::fmt::Write for Spared<S> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.push_str(text);
        Ok(())
    }
}

impl<S: Spares> Drop for Spared<S> {
    #[inline]
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if buffer.capacity() <= KEEP_CAPACITY {
            buffer.clear();
            S::give(buffer);
        }
    }
}

/// A tag or prefix version key of one call: a constant, or built in a spare buffer, so a
/// tagged hit allocates none. Generated code builds it.
#[derive(Debug)]
pub enum VersionKey {
    /// A key known at compile time.
    Static(&'static str),
    /// A key built for this call.
    Built(VersionKeyBuf),
}

impl Deref for VersionKey {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        match self {
            VersionKey::Static(key) => key,
            VersionKey::Built(key) => key,
        }
    }
}

impl From<VersionKeyBuf> for VersionKey {
    #[inline]
    fn from(key: VersionKeyBuf) -> Self {
        VersionKey::Built(key)
    }
}

impl From<String> for VersionKey {
    fn from(key: String) -> Self {
        VersionKey::Built(VersionKeyBuf::from(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    #[test]
    fn a_dropped_key_lends_its_buffer_to_the_next() {
        let mut key = PooledKey::with_capacity(32);
        key.push_str("user:");
        write!(key, "{}", 7).unwrap();
        assert_eq!(key.as_str(), "user:7");
        let address = key.as_ptr();
        drop(key);
        let next = PooledKey::with_capacity(16);
        assert!(next.is_empty());
        assert_eq!(next.as_ptr(), address, "the same buffer, cleared");
        let nested = PooledKey::with_capacity(16);
        assert_ne!(nested.as_ptr(), address, "the spare is lent once");
    }

    #[test]
    fn version_keys_built_side_by_side_each_reuse_a_buffer() {
        let keys: Vec<VersionKeyBuf> = (0..VERSION_SPARES)
            .map(|_| VersionKeyBuf::with_capacity(16))
            .collect();
        let addresses: Vec<_> = keys.iter().map(|key| key.as_ptr()).collect();
        drop(keys);
        let again: Vec<VersionKeyBuf> = (0..VERSION_SPARES)
            .map(|_| VersionKeyBuf::with_capacity(16))
            .collect();
        for key in &again {
            assert!(
                addresses.contains(&key.as_ptr()),
                "a spare, not a new buffer"
            );
        }
        let one_more = VersionKeyBuf::with_capacity(16);
        assert!(
            !addresses.contains(&one_more.as_ptr()),
            "each spare is lent once"
        );
        let key = PooledKey::with_capacity(16);
        assert!(
            !addresses.contains(&key.as_ptr()),
            "call keys have their own spare"
        );
    }

    #[test]
    fn a_version_key_reads_as_its_text() {
        let mut built = VersionKeyBuf::with_capacity(8);
        built.push_str("ec:t:a:7");
        let keys = [VersionKey::Static("ec:t:a"), VersionKey::from(built)];
        let texts: Vec<&str> = keys.iter().map(|key| &**key).collect();
        assert_eq!(texts, ["ec:t:a", "ec:t:a:7"]);
        assert_eq!(&*VersionKey::from("ec:p:x".to_owned()), "ec:p:x");
    }

    #[test]
    fn a_long_key_is_freed_not_kept() {
        drop(PooledKey::from("x".repeat(KEEP_CAPACITY + 1)));
        let next = PooledKey::with_capacity(1);
        assert!(next.capacity() <= KEEP_CAPACITY);
    }
}
