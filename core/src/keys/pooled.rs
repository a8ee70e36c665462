//! The storage key of one call, built in a `String` taken from a per-thread spare and given
//! back when the call ends: a hit builds its key without allocating.

use std::cell::Cell;
use std::ops::{Deref, DerefMut};

thread_local! {
    static SPARE: Cell<String> = const { Cell::new(String::new()) };
}

/// Longer buffers are freed rather than kept (one odd key must not pin its memory).
const KEEP_CAPACITY: usize = 512;

/// A call's key: a `String` (it derefs to one) that returns to this thread's spare when
/// dropped. Generated code builds it; nothing else needs to.
#[derive(Debug, Default)]
pub struct PooledKey(String);

impl PooledKey {
    /// An empty key with room for `capacity` bytes, reusing this thread's spare buffer.
    // Inlined into the generated code, which then builds the key in place: a call returned
    // the `String` through the stack, and that copy stalled on store forwarding (3% of a
    // sled hit's time).
    #[inline]
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buffer = SPARE.try_with(Cell::take).unwrap_or_default();
        buffer.reserve(capacity);
        PooledKey(buffer)
    }
}

impl From<String> for PooledKey {
    fn from(key: String) -> Self {
        PooledKey(key)
    }
}

impl Deref for PooledKey {
    type Target = String;

    fn deref(&self) -> &String {
        &self.0
    }
}

impl DerefMut for PooledKey {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.0
    }
}

impl std::fmt::Write for PooledKey {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        self.0.push_str(text);
        Ok(())
    }
}

impl Drop for PooledKey {
    #[inline]
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.0);
        if buffer.capacity() <= KEEP_CAPACITY {
            buffer.clear();
            // During thread teardown the spare is gone: the buffer is freed instead.
            let _ = SPARE.try_with(|spare| spare.set(buffer));
        }
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
    fn a_long_key_is_freed_not_kept() {
        drop(PooledKey::from("x".repeat(KEEP_CAPACITY + 1)));
        let next = PooledKey::with_capacity(1);
        assert!(next.capacity() <= KEEP_CAPACITY);
    }
}
