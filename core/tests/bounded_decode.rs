//! Decoding is bounded: whatever a stored value's length prefixes claim, decoding it
//! allocates about as much as the bytes at hand, never the claimed size. Measured with
//! dhat's heap statistics (one profiler per process, so one test in this file).

#![cfg(feature = "bincode")]

use easy_cache_core::{Bincode, Codec};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::collections::HashMap;

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// bincode's varint for `n` (standard config): a marker byte and the little-endian value.
fn varint(n: u64) -> Vec<u8> {
    let mut out = vec![253u8];
    out.extend_from_slice(&n.to_le_bytes());
    out
}

/// Decodes `bytes` as several types and returns the bytes it allocated in all (dhat's
/// peak is since the start of the process, so a per-decode peak cannot be read; the total
/// bounds it).
fn allocated_by_decoding(bytes: &[u8]) -> u64 {
    let before = dhat::HeapStats::get();
    let _ = Bincode::decode::<Vec<u8>>(bytes);
    let _ = Bincode::decode::<String>(bytes);
    let _ = Bincode::decode::<Vec<u64>>(bytes);
    let _ = Bincode::decode::<Vec<String>>(bytes);
    let _ = Bincode::decode::<HashMap<String, Vec<u32>>>(bytes);
    let _ = Bincode::decode::<(u8, Vec<Vec<u16>>)>(bytes);
    let after = dhat::HeapStats::get();
    after.total_bytes.saturating_sub(before.total_bytes)
}

/// Allowance per input (six decodes): the capacity guesses serde makes (it caps each at
/// 1 MiB).
const ALLOWED: u64 = 8 * 1024 * 1024;

#[test]
fn fuzz_length_prefixes_claiming_gigabytes_allocate_nothing_large() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // The measure itself works: an allocation of the allowance is seen.
    let before = dhat::HeapStats::get();
    drop(std::hint::black_box(vec![0u8; ALLOWED as usize]));
    assert!(dhat::HeapStats::get().total_bytes - before.total_bytes >= ALLOWED);
    for claim in [
        1u64 << 20,
        1 << 24,
        200_000_000,
        1 << 28,
        1 << 32,
        1 << 40,
        u64::MAX,
    ] {
        for lead in [&[][..], &[1u8][..], &[1, 1][..]] {
            let bytes = [lead, &varint(claim)[..], b"tail"].concat();
            let grew = allocated_by_decoding(&bytes);
            assert!(grew < ALLOWED, "claim {claim}: grew {grew} bytes");
        }
    }
    // Random bytes, with huge varints spliced in at random places.
    let mut runner = TestRunner::new(Config::default());
    let input = (
        prop::collection::vec(any::<u8>(), 0..256),
        any::<prop::sample::Index>(),
        any::<u64>(),
    );
    runner
        .run(&input, |(mut bytes, at, claim)| {
            let at = at.index(bytes.len() + 1);
            bytes.splice(at..at, varint(claim | (1 << 30)));
            let grew = allocated_by_decoding(&bytes);
            prop_assert!(grew < ALLOWED, "grew {} bytes on {:?}", grew, bytes);
            Ok(())
        })
        .unwrap();
}
