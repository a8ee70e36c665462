//! `cargo xtask fuzz [--minutes N]`: the workspace's `fuzz_` property tests (envelope
//! decoder, bounded decoding, stored-bytes handling, memcached key digest, URL and TOML
//! parsers) with many more cases than `cargo xtask test` gives them, round after round with
//! fresh random seeds, until the time is up.
//!
//! proptest reads its case count from `PROPTEST_CASES` and seeds each run randomly, so a
//! round is one `cargo test` of the `fuzz_` tests; a failure prints proptest's minimal
//! failing input and stops the run.

use crate::support::{process, tally};
use std::time::{Duration, Instant};

/// Cases per test per round: long enough to amortise the `cargo test` start.
const CASES_PER_ROUND: u32 = 20_000;
/// A hang guard for one round.
const ROUND_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Runs rounds until `seconds` have passed (at least one round).
pub async fn run(seconds: u64) -> Result<(), String> {
    let budget = Duration::from_secs(seconds);
    let started = Instant::now();
    // Debug builds: the ones `cargo xtask test` already made; doctests hold no fuzz tests.
    let args = [
        "test",
        "--workspace",
        "--all-features",
        "--lib",
        "--tests",
        "--",
        "fuzz_",
    ];
    let env = [("PROPTEST_CASES".to_owned(), CASES_PER_ROUND.to_string())];
    let mut rounds = 0u32;
    loop {
        rounds += 1;
        println!("\n==> fuzz round {rounds} ({CASES_PER_ROUND} cases per test)");
        let outcome = process::cargo(&args, &env, ROUND_LIMIT).await;
        let tests = tally::total().passed;
        if let Err(e) = outcome {
            return Err(format!("fuzz round {rounds} failed: {e}"));
        }
        if started.elapsed() >= budget || process::is_interrupted() {
            println!(
                "\n==> fuzz: {rounds} round(s) in {} s, {tests} test run(s) passed, \
                 about {} cases each",
                started.elapsed().as_secs(),
                u64::from(rounds) * u64::from(CASES_PER_ROUND)
            );
            return Ok(());
        }
    }
}
