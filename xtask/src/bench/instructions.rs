//! Instructions per call of the in-process hits (`memory_hit_vs_hand_written`,
//! `memory_hit_vs_moka_get`, `memory_hit_vs_cached_crate`, `sled_hit_vs_raw_get`,
//! `redb_hit_vs_raw_get`), counted by callgrind: unlike times, these do not move with the
//! load of a shared machine, so they back the timed ratios up. Each mode of the `hit_loop`
//! example runs twice with different call counts, counting only inside its loop; the
//! difference divided by the extra calls is the cost of one call, setup excluded.

use serde_json::{Map, Value, json};
use std::path::Path;
use std::time::Duration;
use tokio::process::Command;

/// The `hit_loop` modes counted.
pub const MODES: [&str; 8] = [
    "ecached", "hand", "moka", "cached", "sled", "sled_raw", "redb", "redb_raw",
];
const CALLS: (u64, u64) = (20_000, 60_000);
const LIMIT: Duration = Duration::from_secs(120);

/// Counts every mode with `hit_loop` (built in the bench profile); `None` without valgrind.
pub async fn count(hit_loop: &Path) -> Option<Value> {
    if !valgrind_available().await {
        println!("==> valgrind not found: no instruction counts");
        return None;
    }
    println!(
        "\n==> instructions per call (callgrind, {} modes)",
        MODES.len()
    );
    let mut modes = Map::new();
    for mode in MODES {
        let (Some(few), Some(many)) = (
            collected(hit_loop, mode, CALLS.0).await,
            collected(hit_loop, mode, CALLS.1).await,
        ) else {
            continue;
        };
        let per_call = many.saturating_sub(few) as f64 / (CALLS.1 - CALLS.0) as f64;
        println!("    {mode}: {per_call:.0} instructions per call");
        modes.insert(mode.to_owned(), json!(per_call));
    }
    Some(Value::Object(modes))
}

async fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .await
        .is_ok_and(|o| o.status.success())
}

/// Instructions callgrind counted inside the runtime's `block_on` of `calls` calls.
async fn collected(hit_loop: &Path, mode: &str, calls: u64) -> Option<u64> {
    let run = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            "--collect-atstart=no",
            "--toggle-collect=*CoreGuard*block_on*",
        ])
        .arg(hit_loop)
        .args([mode, &calls.to_string()])
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(LIMIT, run).await {
        Ok(Ok(output)) if output.status.success() => output,
        Ok(Ok(output)) => {
            eprintln!("==> callgrind {mode}: exit {}", output.status);
            return None;
        }
        Ok(Err(e)) => {
            eprintln!("==> callgrind {mode}: {e}");
            return None;
        }
        Err(_) => {
            eprintln!("==> callgrind {mode}: exceeded {LIMIT:?}");
            return None;
        }
    };
    parse_collected(&String::from_utf8_lossy(&output.stderr))
}

/// The count of callgrind's `==pid== Collected : 123456` line.
fn parse_collected(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|line| {
        let (_, count) = line.split_once("Collected :")?;
        count.trim().parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_collected_line() {
        let stderr = "==12== Callgrind\n==12== Events    : Ir\n==12== Collected : 386418919\n";
        assert_eq!(parse_collected(stderr), Some(386_418_919));
        assert_eq!(parse_collected("nothing"), None);
    }
}
