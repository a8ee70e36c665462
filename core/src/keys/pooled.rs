//! The storage key of one call, built in a `String` taken from a per-thread pool of spare
//! buffers and given back when the call ends: a hit builds its key without allocating, and
//! so do calls in flight side by side on one thread (up to [`SPARES`] buffers). A tagged
//! call builds the version keys of its argument-dependent tags and prefix the same way
//! ([`VersionKey`]).
//!
//! A buffer is boxed so that a key moves as one pointer: moving the `String` itself (three
//! words, right after they were written) stalled on store forwarding, a fifth of a memory
//! hit's time.

#![allow(
    clippy::box_collection,
    clippy::vec_box,
    reason = "boxed on purpose: a key moves as one pointer"
)]

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// Spare buffers kept per thread: enough for the calls one worker has in flight at once.
const SPARES: usize = 64;

/// Longer buffers are freed rather than kept (one odd key must not pin its memory).
const KEEP_CAPACITY: usize = 512;

thread_local! {
    static SPARE_BUFFERS: RefCell<Vec<Box<String>>> = const { RefCell::new(Vec::new()) };
}

/// A `String` (it derefs to one) taken from this thread's spare buffers and given back,
/// cleared, when dropped. Generated code builds them; nothing else needs to.
///
/// The box is only taken out by `drop` (an `Option` of a box is one pointer, and taking it
/// allocates nothing).
#[derive(Debug, Default)]
pub struct Spared(Option<Box<String>>);

/// A call's key.
pub type PooledKey = Spared;

/// The buffer of a version key built for one call (a call may build several).
pub type VersionKeyBuf = Spared;

/// A spare buffer (empty, with its capacity), or a new one.
#[inline]
fn take_spare() -> Box<String> {
    let spare = SPARE_BUFFERS.try_with(|spares| spares.try_borrow_mut().ok()?.pop());
    spare.ok().flatten().unwrap_or_default()
}

/// Keeps `buffer`, cleared, if there is room (freed otherwise, or in thread teardown).
#[inline]
fn give_spare(mut buffer: Box<String>) {
    if buffer.capacity() > KEEP_CAPACITY {
        return;
    }
    buffer.clear();
    let _ = SPARE_BUFFERS.try_with(|spares| {
        if let Ok(mut spares) = spares.try_borrow_mut()
            && spares.len() < SPARES
        {
            spares.push(buffer);
        }
    });
}

impl Spared {
    /// An empty buffer with room for `capacity` bytes, reusing a spare one.
    #[inline]
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buffer = take_spare();
        buffer.reserve(capacity);
        Spared(Some(buffer))
    }
}

impl Spared {
    /// The key as the call's `&str`. Not inlined on purpose: inlined, the pointer and the
    /// length (just written by the key's last push) were copied into the call's spec as one
    /// 16-byte load, which stalled on store forwarding; a call returns them in registers.
    #[inline(never)]
    pub fn text(&self) -> &str {
        self
    }
}

impl From<String> for Spared {
    fn from(key: String) -> Self {
        Spared(Some(Box::new(key)))
    }
}

impl Deref for Spared {
    type Target = String;

    #[inline]
    fn deref(&self) -> &String {
        /// What a buffer reads as once given back (never seen: only `drop` gives it).
        static GIVEN_BACK: String = String::new();
        self.0.as_deref().unwrap_or(&GIVEN_BACK)
    }
}

impl DerefMut for Spared {
    #[inline]
    fn deref_mut(&mut self) -> &mut String {
        self.0.get_or_insert_default()
    }
}

impl std::fmt::Write for Spared {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.push_str(text);
        Ok(())
    }
}

impl Drop for Spared {
    #[inline]
    fn drop(&mut self) {
        if let Some(buffer) = self.0.take() {
            give_spare(buffer);
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
    fn keys_built_side_by_side_each_reuse_a_buffer() {
        let keys: Vec<VersionKeyBuf> = (0..SPARES)
            .map(|_| VersionKeyBuf::with_capacity(16))
            .collect();
        let addresses: Vec<_> = keys.iter().map(|key| key.as_ptr()).collect();
        drop(keys);
        let again: Vec<PooledKey> = (0..SPARES).map(|_| PooledKey::with_capacity(16)).collect();
        for key in &again {
            assert!(
                addresses.contains(&key.as_ptr()),
                "a spare, not a new buffer"
            );
        }
        let one_more = PooledKey::with_capacity(16);
        assert!(
            !addresses.contains(&one_more.as_ptr()),
            "each spare is lent once"
        );
        drop(one_more);
        drop(again);
        assert_eq!(
            SPARE_BUFFERS.with(|spares| spares.borrow().len()),
            SPARES,
            "no more kept than the bound"
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
