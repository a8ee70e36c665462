//! `cargo xtask bench [--quick] [--servers MODE]`: the speed and memory targets, measured.
//!
//! Starts a standalone Redis and two Memcached servers (as `cargo xtask test` does), runs
//! the criterion benches of `benches/` and its counting examples against them, removes the
//! servers, measures resident memory in two separate processes and counts the in-process
//! hits' instructions with callgrind (when valgrind is installed), then reads criterion's
//! estimates and the examples' JSON files and writes `target/bench-report.md`: one line per
//! target with our figure, the baseline's from the same run, the ratio and the verdict.
//! A full run (not `--quick`) also adds its verdicts to the docs' history of full runs and
//! rewrites the docs' benchmark page from it (see [`crate::bench::published`]).

use crate::bench::{figures, instructions, published, report, rows};
use crate::support::{
    process::{self, record},
    run_servers::{self, RunServers},
};
use easy_cache_integration_tests::{
    env,
    servers::{Provider, ServerMode, ServersSpec, docker, new_run_id, set_run_id},
};
use std::time::{Duration, Instant};

/// Hang guards only: a cold build of the bench profile takes minutes on two cores.
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);
const RUN_LIMIT: Duration = Duration::from_secs(20 * 60);

/// The criterion bench targets of the `benches` package.
const BENCHES: [&str; 8] = [
    "memory_hit",
    "metrics_hit",
    "invalidation",
    "redis_hit",
    "redis_near",
    "memcached_hit",
    "sled_hit",
    "redb_hit",
];

/// `metrics_hit` built with easy-cache's `metrics` feature: the "on" side of
/// `memory_hit_metrics_vs_plain` (the "off" side is `metrics_hit` among [`BENCHES`]).
const METRICS_ON: [&str; 7] = [
    "bench",
    "-p",
    "easy-cache-benches",
    "--features",
    "metrics",
    "--bench",
    "metrics_hit",
];

/// Entries of the resident-memory line.
const RESIDENT_ENTRIES: &str = "1000000";

/// Criterion's timing flags: its defaults (3 s warm-up, 5 s of samples) for a full run;
/// a fraction of them for `--quick`, enough to see a missed target, not to rank close ones.
fn criterion_flags(quick: bool) -> Vec<&'static str> {
    let mut flags = vec!["--noplot"];
    if quick {
        flags.extend([
            "--warm-up-time",
            "0.3",
            "--measurement-time",
            "0.8",
            "--sample-size",
            "10",
            "--nresamples",
            "10000",
        ]);
    }
    flags
}

/// Runs everything, always removes the servers, writes the report from what was measured.
pub async fn run(mode: ServerMode, quick: bool) -> Result<(), String> {
    let started = Instant::now();
    // Before building: the load others put on the machine, not ours.
    let load_before = report::load_average();
    let run_id = new_run_id();
    set_run_id(run_id.clone());
    let target = process::target_dir();
    let (criterion_dir, extra_dir) = (target.join("criterion"), target.join("bench-extra"));
    // Figures of an earlier run must never reach this report.
    for group in figures::GROUPS {
        remove_dir(&criterion_dir.join(group));
    }
    remove_dir(&extra_dir);

    let mut failures = Vec::new();
    let mut vars = vec![
        (env::RUN_ID.to_owned(), run_id.clone()),
        ("CRITERION_HOME".to_owned(), path_string(&criterion_dir)),
        (
            "EASY_CACHE_BENCH_EXTRA_DIR".to_owned(),
            path_string(&extra_dir),
        ),
    ];
    if quick {
        vars.push(("EASY_CACHE_BENCH_QUICK".to_owned(), "1".to_owned()));
    }

    let built = Instant::now();
    let build = build_all(&vars).await;
    let build_secs = built.elapsed().as_secs();
    record(&mut failures, build);

    let measured = Instant::now();
    let mut provider = None;
    if failures.is_empty() && !process::is_interrupted() {
        provider = measure_with_servers(mode, quick, &vars, &mut failures).await;
    }
    if failures.is_empty() && !process::is_interrupted() {
        // After the servers are gone: this row needs none, and a quieter machine.
        for store in ["ours", "ecached", "moka"] {
            let args = example_args("resident", &[store, RESIDENT_ENTRIES]);
            record(&mut failures, process::cargo(&args, &vars, RUN_LIMIT).await);
        }
    }
    if failures.is_empty() && !process::is_interrupted() {
        let hit_loop = target.join("release").join("examples").join("hit_loop");
        if let Some(counts) = instructions::count(&hit_loop).await {
            let path = extra_dir.join("instructions.json");
            if let Err(e) = std::fs::write(&path, counts.to_string()) {
                failures.push(format!("cannot write {}: {e}", path.display()));
            }
        }
    }
    match docker::sweep(Some(&run_id)).await {
        Ok(0) => {}
        Ok(n) => println!("==> removed {n} leftover bench container(s)"),
        Err(e) if docker::available().await => failures.push(format!("container sweep: {e}")),
        Err(_) => {}
    }
    if process::is_interrupted() {
        failures.push("interrupted".to_owned());
    }

    let context = report::Context {
        quick,
        date: report::utc_now(),
        machine: report::Machine::current(),
        load_before,
        load_after: report::load_average(),
        servers: provider.map_or_else(|| "none".to_owned(), |p| p.to_string()),
        build_secs,
        measure_secs: measured.elapsed().as_secs(),
    };
    let figures = figures::Figures::load(&criterion_dir, &extra_dir);
    let rows = rows::all(&figures);
    let text = report::render(&context, &rows, &figures, &failures);
    let path = target.join("bench-report.md");
    std::fs::write(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("\n{text}");
    println!(
        "==> wrote {} ({} s in all)",
        path.display(),
        started.elapsed().as_secs()
    );
    if published::should_publish(quick, process::is_interrupted(), &rows) {
        match published::publish(&published::docs_dir(), &context, &rows, &text) {
            Ok(page) => println!("==> recorded this full run in {}", page.display()),
            Err(e) => failures.push(e),
        }
    } else {
        println!("==> docs left as they were: only a full run that measured something goes there");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} step(s) failed: {}",
            failures.len(),
            failures.join("; ")
        ))
    }
}

/// Builds the benches and the examples in the bench profile, so the measuring steps after
/// it only run (and the build's time is reported apart).
async fn build_all(vars: &[(String, String)]) -> Result<(), String> {
    let mut args = vec!["bench", "--no-run", "-p", "easy-cache-benches"];
    for bench in BENCHES {
        args.extend(["--bench", bench]);
    }
    process::cargo(&args, vars, BUILD_LIMIT).await?;
    let mut metrics_on = METRICS_ON.to_vec();
    metrics_on.push("--no-run");
    process::cargo(&metrics_on, vars, BUILD_LIMIT).await?;
    let examples = [
        "build",
        "--profile",
        "bench",
        "-p",
        "easy-cache-benches",
        "--examples",
    ];
    process::cargo(&examples, vars, BUILD_LIMIT).await
}

/// Starts Redis and two Memcached servers, runs the benches and the counting examples
/// against them, removes the servers; returns where they ran.
async fn measure_with_servers(
    mode: ServerMode,
    quick: bool,
    vars: &[(String, String)],
    failures: &mut Vec<String>,
) -> Option<Provider> {
    let servers = match RunServers::start(mode, &bench_spec()).await {
        Ok(servers) => servers,
        Err(e) => {
            failures.push(e);
            return None;
        }
    };
    let mut vars = vars.to_vec();
    vars.extend(servers.env_vars());
    let mut args = vec!["bench", "-p", "easy-cache-benches"];
    for bench in BENCHES {
        args.extend(["--bench", bench]);
    }
    args.push("--");
    args.extend(criterion_flags(quick));
    record(failures, process::cargo(&args, &vars, RUN_LIMIT).await);
    let mut metrics_on = METRICS_ON.to_vec();
    metrics_on.push("--");
    metrics_on.extend(criterion_flags(quick));
    record(
        failures,
        process::cargo(&metrics_on, &vars, RUN_LIMIT).await,
    );
    for example in ["allocations", "round_trips", "near_invalidation"] {
        if process::is_interrupted() {
            break;
        }
        let args = example_args(example, &[]);
        record(failures, process::cargo(&args, &vars, RUN_LIMIT).await);
    }
    let provider = servers.provider();
    servers.stop(failures).await;
    Some(provider)
}

/// A standalone Redis and two Memcached servers, less those the user brought (URL set).
fn bench_spec() -> ServersSpec {
    let from_env = run_servers::spec_from_env();
    ServersSpec {
        redis_cluster: false,
        memcached: if from_env.memcached == 0 { 0 } else { 2 },
        ..from_env
    }
}

/// `cargo run --profile bench -p easy-cache-benches --example NAME -- ARGS`.
fn example_args<'a>(example: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--profile",
        "bench",
        "-p",
        "easy-cache-benches",
        "--example",
        example,
        "--",
    ];
    args.extend(rest);
    args
}

fn remove_dir(dir: &std::path::Path) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        if e.kind() != std::io::ErrorKind::NotFound {
            eprintln!("==> cannot remove {}: {e}", dir.display());
        }
    }
}

/// `cargo xtask bench-page`: rewrites the docs' benchmark page from its history of full
/// runs, measuring nothing (after a merge of two histories, or a change to the page).
pub fn rewrite_page() -> Result<(), String> {
    let page = published::regenerate(&published::docs_dir())?;
    println!("==> rewrote {}", page.display());
    Ok(())
}

fn path_string(path: &std::path::Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_shortens_criterion_and_full_keeps_its_defaults() {
        assert_eq!(criterion_flags(false), ["--noplot"]);
        let quick = criterion_flags(true);
        assert!(quick.windows(2).any(|w| w == ["--measurement-time", "0.8"]));
    }

    #[test]
    fn examples_run_in_the_bench_profile_with_their_arguments() {
        let args = example_args("resident", &["moka", "10"]);
        assert_eq!(args[..3], ["run", "--profile", "bench"]);
        assert_eq!(args[args.len() - 3..], ["--", "moka", "10"]);
    }
}
