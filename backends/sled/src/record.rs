//! The stored record (the format every on-disk backend shares: see
//! [`easy_cache_disk::record`]), and what only sled needs of it: a live record's value owned
//! without a copy.

pub(crate) use easy_cache_disk::record::*;

use bytes::Bytes;
use sled::IVec;

/// The value of a live record, owned: small values are copied, larger ones share the
/// record's memory.
pub(crate) fn value(record: IVec) -> Bytes {
    let value = record.get(HEADER_LEN..).unwrap_or_default();
    if value.len() <= COPY_MAX {
        return Bytes::copy_from_slice(value);
    }
    // The record itself owns the value's bytes: one allocation for the owner, and no
    // reference counting of a slice of it.
    Bytes::from_owner(Value(record))
}

/// Values up to this size are copied out of their record: a copy this small costs less
/// than the reference counting of a shared owner.
const COPY_MAX: usize = 64;

/// A live record seen as its value: the bytes after the header.
struct Value(IVec);

impl AsRef<[u8]> for Value {
    fn as_ref(&self) -> &[u8] {
        self.0.get(HEADER_LEN..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn small_values_are_copied_out_of_their_record() {
        let record = encode(expiry_at(1_000, Some(Duration::from_secs(2))), b"value");
        assert_eq!(value(IVec::from(record)), Bytes::from_static(b"value"));
        assert_eq!(value(IVec::from(encode(NEVER, b""))), Bytes::new());
    }

    #[test]
    fn large_values_share_the_record() {
        let big = vec![7u8; COPY_MAX + 1];
        let record = encode(expiry_at(5, None), &big);
        assert_eq!(value(IVec::from(record)), Bytes::from(big));
    }
}
