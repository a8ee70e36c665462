//! Pluggable value codecs: how a returned value becomes bytes and back.

use crate::error::{Error, ErrorKind, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

mod depth;

/// Turns values into bytes and back. Chosen per function with `#[ecached(codec = ...)]`;
/// [`DefaultCodec`] otherwise. A codec's [`ID`](Codec::ID) is stored with every entry, so
/// switching codecs turns old entries into misses instead of decode errors.
///
/// Decoding is bounded: easy-cache's codecs refuse a value nested more than 128 levels deep
/// (each sequence element, map key or value, `Some`, newtype, enum variant's content and
/// struct field is one level below its container), because a recursive type read from a small hostile
/// or damaged entry could otherwise overflow the stack and abort the process. Such an entry
/// is a decode error, which the engine treats as a miss (logged at debug level). A type
/// that really nests deeper needs a codec of its own.
///
/// ```
/// use easy_cache_core::{Codec, DefaultCodec, ErrorKind};
/// #[derive(Debug, serde::Serialize, serde::Deserialize)]
/// enum Tree { Leaf, Node(Box<Tree>) }
/// /// A tree of `levels` levels: `levels - 1` nodes above a leaf.
/// fn tree(levels: usize) -> Tree {
///     (1..levels).fold(Tree::Leaf, |below, _| Tree::Node(Box::new(below)))
/// }
/// let mut bytes = Vec::new();
/// DefaultCodec::encode(&tree(128), &mut bytes).unwrap();
/// assert!(DefaultCodec::decode::<Tree>(&bytes).is_ok());
/// bytes.clear();
/// DefaultCodec::encode(&tree(129), &mut bytes).unwrap();
/// assert_eq!(DefaultCodec::decode::<Tree>(&bytes).unwrap_err().kind(), ErrorKind::Decode);
/// ```
///
/// ```
/// use easy_cache_core::{Codec, DefaultCodec};
/// let mut bytes = Vec::new();
/// DefaultCodec::encode(&vec![1u32, 2, 3], &mut bytes).unwrap();
/// let back: Vec<u32> = DefaultCodec::decode(&bytes).unwrap();
/// assert_eq!(back, [1, 2, 3]);
/// ```
pub trait Codec: Send + Sync + 'static {
    /// A byte identifying the format in stored entries (0–15 are reserved for easy-cache).
    ///
    /// ```
    /// use easy_cache_core::{Codec, DefaultCodec};
    /// // easy-cache's own codecs use the reserved range; a third-party codec picks 16 or above.
    /// assert!(DefaultCodec::ID < 16);
    /// ```
    const ID: u8;
    /// Appends the encoding of `value` to `out`.
    ///
    /// ```
    /// use easy_cache_core::{Codec, DefaultCodec};
    /// let mut out = b"header".to_vec();
    /// DefaultCodec::encode(&("Dune", 1965u32), &mut out).unwrap();
    /// assert!(out.len() > 6 && out.starts_with(b"header")); // appended, not replaced
    /// assert_eq!(DefaultCodec::decode::<(String, u32)>(&out[6..]).unwrap().1, 1965);
    /// ```
    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()>;
    /// Decodes a whole value from `bytes`; trailing bytes are an error.
    ///
    /// ```
    /// use easy_cache_core::{Codec, DefaultCodec, ErrorKind};
    /// let mut bytes = Vec::new();
    /// DefaultCodec::encode(&vec![1u8, 2], &mut bytes).unwrap();
    /// assert_eq!(DefaultCodec::decode::<Vec<u8>>(&bytes).unwrap(), [1, 2]);
    /// bytes.push(0);
    /// assert_eq!(DefaultCodec::decode::<Vec<u8>>(&bytes).unwrap_err().kind(), ErrorKind::Decode);
    /// ```
    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T>;
}

/// bincode 2 (through serde): compact and fast. The default codec.
///
/// ```
/// use easy_cache_core::{Bincode, Codec};
/// let mut bytes = Vec::new();
/// Bincode::encode(&("Dune", 1965u32), &mut bytes).unwrap();
/// assert_eq!(Bincode::decode::<(String, u32)>(&bytes).unwrap(), ("Dune".to_string(), 1965));
/// // Trailing bytes are an error, not silently ignored.
/// bytes.push(0);
/// assert!(Bincode::decode::<(String, u32)>(&bytes).is_err());
/// ```
#[cfg(feature = "bincode")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Bincode;

#[cfg(feature = "bincode")]
mod bincode_codec {
    use super::*;

    /// The largest value encoded or decoded.
    const LIMIT: usize = 256 * 1024 * 1024;

    fn config() -> impl bincode::config::Config {
        bincode::config::standard().with_limit::<LIMIT>()
    }

    /// bincode checks a length prefix against the limit, then allocates what it claims
    /// before reading (a `String` of 200 MB from 20 bytes of input). So the limit follows
    /// the input: valid input claims at most 16 bytes per byte read (a `u128` as a one-byte
    /// varint), and the smallest of these limits above that bounds what bad input can make
    /// decoding allocate: 64 KiB for a small entry, never more than 16 times its size.
    /// bincode's `decode_from_slice`, through the depth limit (see [`super::depth`]).
    fn decode_from_slice<T: DeserializeOwned, C: bincode::config::Config>(
        bytes: &[u8],
        config: C,
    ) -> Result<(T, usize), bincode::error::DecodeError> {
        let seed = super::depth::Limited::<T>::new(super::depth::MAX_DEPTH);
        bincode::serde::seed_decode_from_slice(seed, bytes, config)
    }

    fn decode_bounded<T: DeserializeOwned>(
        bytes: &[u8],
    ) -> Result<(T, usize), bincode::error::DecodeError> {
        use bincode::config::standard;
        const KIB_64: usize = 64 * 1024;
        const MIB: usize = 1024 * 1024;
        const MIB_16: usize = 16 * 1024 * 1024;
        let needed = bytes.len().saturating_mul(16).saturating_add(4096);
        if needed <= KIB_64 {
            decode_from_slice(bytes, standard().with_limit::<KIB_64>())
        } else if needed <= MIB {
            decode_from_slice(bytes, standard().with_limit::<MIB>())
        } else if needed <= MIB_16 {
            decode_from_slice(bytes, standard().with_limit::<MIB_16>())
        } else {
            decode_from_slice(bytes, config())
        }
    }

    impl Codec for Bincode {
        const ID: u8 = 1;

        fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
            bincode::serde::encode_into_std_write(value, out, config())
                .map(drop)
                .map_err(|e| Error::new(ErrorKind::Encode, "bincode encode failed").with_source(e))
        }

        fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
            let (value, used) = decode_bounded(bytes).map_err(|e| {
                Error::new(ErrorKind::Decode, "bincode decode failed").with_source(e)
            })?;
            if used != bytes.len() {
                return Err(Error::new(
                    ErrorKind::Decode,
                    format!("bincode value left {} trailing bytes", bytes.len() - used),
                ));
            }
            Ok(value)
        }
    }
}

/// JSON (serde_json): readable in the backend, slower and larger.
///
/// ```
/// use easy_cache_core::{Codec, Json};
/// let mut bytes = Vec::new();
/// Json::encode(&vec!["a", "b"], &mut bytes).unwrap();
/// assert_eq!(bytes, br#"["a","b"]"#);
/// assert_eq!(Json::decode::<Vec<String>>(&bytes).unwrap(), ["a", "b"]);
/// ```
#[cfg(feature = "json")]
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

#[cfg(feature = "json")]
impl Codec for Json {
    const ID: u8 = 2;

    fn encode<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
        serde_json::to_writer(out, value)
            .map_err(|e| Error::new(ErrorKind::Encode, "JSON encode failed").with_source(e))
    }

    fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
        use serde::de::DeserializeSeed;
        // serde_json's own limit (128) counts only arrays and objects: `struct N(Option<Box<N>>)`
        // recurses on the input `1` without reading a byte. So JSON goes through the depth
        // limit too; otherwise this is `serde_json::from_slice`.
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        depth::Limited::<T>::new(depth::MAX_DEPTH)
            .deserialize(&mut deserializer)
            .and_then(|value| deserializer.end().map(|()| value))
            .map_err(|e| Error::new(ErrorKind::Decode, "JSON decode failed").with_source(e))
    }
}

/// The codec used when a function names none: bincode when the `bincode` feature is on.
///
/// ```
/// use easy_cache_core::{Bincode, Codec, DefaultCodec};
/// assert_eq!(DefaultCodec::ID, Bincode::ID);
/// ```
#[cfg(feature = "bincode")]
pub type DefaultCodec = Bincode;
/// The codec used when a function names none: JSON (the `bincode` feature is off).
///
/// ```
/// use easy_cache_core::{Codec, DefaultCodec, Json};
/// assert_eq!(DefaultCodec::ID, Json::ID);
/// ```
#[cfg(all(not(feature = "bincode"), feature = "json"))]
pub type DefaultCodec = Json;

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Book {
        id: u64,
        title: String,
        tags: Vec<String>,
    }

    fn book() -> Book {
        Book {
            id: 7,
            title: "Dune".into(),
            tags: vec!["sf".into()],
        }
    }

    fn round_trip<C: Codec>() {
        let mut bytes = Vec::new();
        C::encode(&book(), &mut bytes).unwrap();
        assert_eq!(C::decode::<Book>(&bytes).unwrap(), book());
        assert_eq!(
            C::decode::<Book>(&bytes[..bytes.len() / 2])
                .unwrap_err()
                .kind(),
            ErrorKind::Decode
        );
    }

    #[cfg(feature = "bincode")]
    #[test]
    fn bincode_round_trips_and_rejects_truncation_and_trailing_bytes() {
        round_trip::<Bincode>();
        let mut bytes = Vec::new();
        Bincode::encode(&1u8, &mut bytes).unwrap();
        bytes.push(0);
        assert_eq!(
            Bincode::decode::<u8>(&bytes).unwrap_err().kind(),
            ErrorKind::Decode
        );
    }

    #[cfg(feature = "bincode")]
    #[test]
    fn huge_length_prefix_does_not_allocate_it() {
        // A varint length claiming ~2^60 elements: must fail fast, not allocate.
        let bytes = [253u8, 0, 0, 0, 0, 0, 0, 0, 16];
        assert!(Bincode::decode::<Vec<u64>>(&bytes).is_err());
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_round_trips() {
        round_trip::<Json>();
    }

    /// A recursive enum: bincode reads one level from one byte (`1` for `Node`).
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Tree {
        Leaf,
        Node(Box<Tree>),
    }

    /// Nested vectors: bincode reads one level from one byte (a length of 1).
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Nested(Vec<Nested>);

    /// Recurses without reading input where `Some` reads none (JSON: anything but `null`).
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Chain(Option<Box<Chain>>);

    /// A tree of `levels` levels: `levels - 1` nodes above a leaf.
    fn tree(levels: usize) -> Tree {
        (1..levels).fold(Tree::Leaf, |below, _| Tree::Node(Box::new(below)))
    }

    fn nested(count: usize) -> Nested {
        (1..count).fold(Nested(Vec::new()), |below, _| Nested(vec![below]))
    }

    /// The sizes of hostile entries: the reported 20 KB, and 1 MB.
    const HOSTILE_SIZES: [usize; 2] = [20 * 1024, 1024 * 1024];

    /// Runs `check` in a child process (this test binary running only `test`), so that a
    /// stack overflow, which aborts the process, fails this test instead of killing the run.
    fn in_child_process(test: &str, check: impl FnOnce()) {
        const CHILD: &str = "EASY_CACHE_CODEC_DEPTH_CHILD";
        if std::env::var_os(CHILD).is_some() {
            check();
            return;
        }
        let name = format!("codec::tests::{test}");
        let exe = std::env::current_exe().expect("the test binary");
        let output = std::process::Command::new(exe)
            .args(["--exact", &name, "--test-threads=1", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .expect("run the test binary");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "the child process failed ({}): {stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            stdout.contains("1 passed"),
            "the child ran no test: {stdout}"
        );
    }

    fn assert_decode_error<T: DeserializeOwned + std::fmt::Debug>(result: Result<T>, what: &str) {
        match result {
            Ok(value) => panic!("{what}: decoded {value:?}"),
            Err(err) => assert_eq!(err.kind(), ErrorKind::Decode, "{what}: {err}"),
        }
    }

    #[cfg(feature = "bincode")]
    #[test]
    fn a_deeply_nested_stored_entry_is_an_error_not_a_stack_overflow() {
        in_child_process(
            "a_deeply_nested_stored_entry_is_an_error_not_a_stack_overflow",
            || {
                for size in HOSTILE_SIZES {
                    // `Node` (or a length of 1) at every level, a `Leaf` (an empty `Vec`) last.
                    let mut hostile = vec![1u8; size - 1];
                    hostile.push(0);
                    assert_decode_error(Bincode::decode::<Tree>(&hostile), "Tree");
                    assert_decode_error(Bincode::decode::<Nested>(&hostile), "Nested");
                    assert_decode_error(Bincode::decode::<Chain>(&hostile), "Chain");
                }
            },
        );
    }

    #[cfg(feature = "json")]
    #[test]
    fn a_deeply_nested_json_entry_is_an_error_not_a_stack_overflow() {
        in_child_process(
            "a_deeply_nested_json_entry_is_an_error_not_a_stack_overflow",
            || {
                for size in HOSTILE_SIZES {
                    let levels = size / 9;
                    let tree = format!(
                        "{}\"Leaf\"{}",
                        r#"{"Node":"#.repeat(levels),
                        "}".repeat(levels)
                    );
                    assert_decode_error(Json::decode::<Tree>(tree.as_bytes()), "Tree");
                    let nested = format!("{}{}", "[".repeat(size / 2), "]".repeat(size / 2));
                    assert_decode_error(Json::decode::<Nested>(nested.as_bytes()), "Nested");
                }
                // serde_json's own limit counts brackets: this one recurses on no input.
                assert_decode_error(Json::decode::<Chain>(b"1"), "Chain");
            },
        );
    }

    fn moderately_nested_values_round_trip<C: Codec>() {
        for value in [tree(64), tree(depth::MAX_DEPTH)] {
            let mut bytes = Vec::new();
            C::encode(&value, &mut bytes).unwrap();
            assert_eq!(C::decode::<Tree>(&bytes).unwrap(), value);
        }
        // Two levels per `Nested`: its newtype and its `Vec`.
        let value = nested(32);
        let mut bytes = Vec::new();
        C::encode(&value, &mut bytes).unwrap();
        assert_eq!(C::decode::<Nested>(&bytes).unwrap(), value);
        // The limit is exact: one level more is refused.
        let mut bytes = Vec::new();
        C::encode(&tree(depth::MAX_DEPTH + 1), &mut bytes).unwrap();
        assert_decode_error(C::decode::<Tree>(&bytes), "one level too deep");
    }

    #[cfg(feature = "bincode")]
    #[test]
    fn a_moderately_nested_value_still_round_trips_with_bincode() {
        moderately_nested_values_round_trip::<Bincode>();
    }

    #[cfg(feature = "json")]
    #[test]
    fn a_moderately_nested_value_still_round_trips_with_json() {
        moderately_nested_values_round_trip::<Json>();
    }
}
