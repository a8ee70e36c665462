//! Adds up the `test result:` lines of every `cargo test` run, for one closing line.

use std::sync::Mutex;

/// Test counts over the whole xtask run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Tests that passed.
    pub passed: u64,
    /// Tests that failed.
    pub failed: u64,
}

static TOTAL: Mutex<Tally> = Mutex::new(Tally {
    passed: 0,
    failed: 0,
});

impl Tally {
    /// Counts one line of `cargo test` output if it is a summary, e.g.
    /// `test result: ok. 11 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; ...`.
    pub fn count(&mut self, line: &str) {
        let Some(rest) = line.trim_start().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(what), Some(number)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(number) = number.parse::<u64>() else {
                continue;
            };
            match what {
                "passed" => self.passed += number,
                "failed" => self.failed += number,
                _ => {}
            }
        }
    }
}

/// Counts a line into the run's total.
pub fn count(line: &str) {
    TOTAL.lock().unwrap_or_else(|p| p.into_inner()).count(line);
}

/// The run's total so far.
pub fn total() -> Tally {
    *TOTAL.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_summaries_only() {
        let mut tally = Tally::default();
        tally.count("test result: ok. 11 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 6.72s");
        tally.count(
            "test result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out",
        );
        tally.count("test foo ... ok");
        tally.count("running 11 tests");
        assert_eq!(
            tally,
            Tally {
                passed: 14,
                failed: 1
            }
        );
    }
}
