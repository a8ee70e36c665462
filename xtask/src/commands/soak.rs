//! `cargo xtask soak [--minutes N] [--servers MODE]`: builds and runs the soak program
//! (`integration-tests/src/bin/soak/`) in release mode, which starts its own private
//! servers, and reports its exit status. Its summary is also written to
//! `target/soak-report.md`.

use crate::support::process::{self, Step};
use easy_cache_integration_tests::{
    env,
    servers::{ServerMode, docker, new_run_id},
};
use std::{process::Stdio, time::Duration};

/// A hang guard on top of the run itself: a cold release build on two cores takes minutes.
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);
/// How long the soak may take to remove its servers after an interrupt.
const CLEANUP_LIMIT: Duration = Duration::from_secs(60);

/// Runs the soak for `minutes` (validated by the parser) on servers started the `mode` way.
pub async fn run(minutes: &str, mode: ServerMode) -> Result<(), String> {
    let run_id = new_run_id();
    let report = process::target_dir().join("soak-report.md");
    let report_arg = report.to_string_lossy().into_owned();
    let args = [
        "run",
        "--release",
        "-p",
        "easy-cache-integration-tests",
        "--features",
        "soak",
        "--bin",
        "soak",
        "--",
        "--minutes",
        minutes,
        "--report",
        &report_arg,
    ];
    let limit = BUILD_LIMIT + Duration::from_secs_f64(minutes.parse::<f64>().unwrap_or(0.0) * 60.0);
    let outcome = run_cargo(&args, mode, &run_id, limit).await;
    // The soak removes its servers itself; after a crash or a kill, its labelled containers
    // would remain: remove exactly this run's.
    match docker::sweep(Some(&run_id)).await {
        Ok(0) => {}
        Ok(n) => println!("==> removed {n} leftover soak container(s)"),
        Err(e) if docker::available().await => eprintln!("==> container sweep: {e}"),
        Err(_) => {}
    }
    outcome
}

/// Runs `cargo args` with the servers' mode and the run id in the environment, output
/// going straight to the terminal. On Ctrl-C / SIGTERM the child gets SIGINT and time to
/// remove its servers before it is killed.
async fn run_cargo(
    args: &[&str],
    mode: ServerMode,
    run_id: &str,
    limit: Duration,
) -> Result<(), String> {
    let env = [
        (env::SERVERS.to_owned(), mode_name(mode).to_owned()),
        (env::RUN_ID.to_owned(), run_id.to_owned()),
    ];
    let mut step = Step::cargo(args, &env);
    let shown = step.shown.clone();
    let mut child = step
        .command
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let status = tokio::select! {
        status = child.wait() => status.map_err(|e| format!("`{shown}` failed: {e}"))?,
        () = process::interrupted() => {
            stop_gently(&mut child).await;
            return Err(format!("`{shown}` interrupted"));
        }
        () = tokio::time::sleep(limit) => {
            stop_gently(&mut child).await;
            return Err(format!("`{shown}` exceeded {limit:?}"));
        }
    };
    step.finished(status)
        .map_err(|e| format!("soak failed: {e}; see the summary above"))
}

/// SIGINT (as Ctrl-C in a terminal would send), then a kill if the child outlives the
/// cleanup limit. `cargo run` execs the binary, so the child is the soak itself once built.
async fn stop_gently(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        process::signal("-INT", &pid.to_string()).await;
    }
    if tokio::time::timeout(CLEANUP_LIMIT, child.wait())
        .await
        .is_err()
    {
        let _ = child.kill().await;
    }
}

/// The value of [`env::SERVERS`] for `mode`.
fn mode_name(mode: ServerMode) -> &'static str {
    match mode {
        ServerMode::Auto => "auto",
        ServerMode::Containers => "containers",
        ServerMode::Local => "local",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_round_trips_through_the_environment() {
        for mode in [ServerMode::Auto, ServerMode::Containers, ServerMode::Local] {
            assert_eq!(ServerMode::parse(mode_name(mode)), Some(mode));
        }
    }
}
