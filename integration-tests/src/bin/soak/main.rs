//! The soak load generator behind `cargo xtask soak` (binary `soak`, feature `soak`): a
//! mixed load through `#[ecached]` functions on Redis and Memcached for minutes, checking
//! every returned value.
//!
//! Per backend, several reader tasks call a cached function with a template key, a tag and a
//! prefix (90 % of the calls on a hot set of [`db::HOT`] items, the rest over a key space of
//! [`db::KEYS`], mostly misses), a writer bumps items in an in-process database and then
//! invalidates them by key, tag or prefix, and a refresher refreshes hot items. Halfway the
//! servers are stopped for a few seconds and started again, empty.
//!
//! Every value a call returns is checked against the database ([`db`]: a value older than
//! the last invalidation that completed before the call started is wrong). Each interval
//! prints calls, hit rate, backend errors, wrong values, latency percentiles and the
//! process's resident memory; the [`Summary`] says whether the run passed: no wrong value,
//! no stalled call, memory steady after warm-up, and caching back after the restart.
//!
//! This program starts a private Redis and two private Memcached servers (in containers or
//! as local processes, as `EASY_CACHE_TEST_SERVERS` says), loads them for `--minutes N` with
//! a restart halfway, prints a summary, writes it as markdown (`--report`, default
//! `target/soak-report.md`) and exits non-zero when the run failed. Its test runs a few
//! seconds of the same load on the shared servers of `cargo xtask test`.
//!
//! ```text
//! soak [--minutes N] [--interval SECONDS] [--report PATH]
//! ```

mod config;
mod db;
mod errors;
mod functions;
mod latency;
mod memory;
mod restart;
mod runner;
mod stats;
mod summary;
mod workload;

use clap::Arg;
use config::{Config, Target, with_timeouts};
use easy_cache_integration_tests::servers::{ServerMode, start_memcached, start_redis};
use functions::Backend;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Operation and connect timeouts of the backends: an outage costs at most this per call.
const TIMEOUT_MS: u64 = 100;

/// The command line, parsed.
#[derive(Debug, PartialEq)]
struct Args {
    duration: Duration,
    interval: Option<Duration>,
    report: PathBuf,
}

/// The command line: its options and help.
fn cli() -> clap::Command {
    clap::Command::new("soak")
        .about("A mixed load on private Redis and Memcached servers, restarted halfway.")
        .disable_version_flag(true)
        .arg(
            Arg::new("minutes")
                .long("minutes")
                .value_name("N")
                .value_parser(|text: &str| number(text).and_then(minutes))
                .default_value("5")
                .help("how long the load runs, in minutes (fractions allowed)"),
        )
        .arg(
            Arg::new("interval")
                .long("interval")
                .value_name("SECONDS")
                .value_parser(|text: &str| number(text).map(Duration::from_secs_f64))
                .help("the interval between two report lines"),
        )
        .arg(
            Arg::new("report")
                .long("report")
                .value_name("PATH")
                .value_parser(clap::value_parser!(PathBuf))
                .default_value("target/soak-report.md")
                .help("where the markdown summary goes"),
        )
}

/// Parses the arguments after the program name; `--help` and mistakes come back as clap's
/// error, which prints itself.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, clap::Error> {
    let matches = cli().try_get_matches_from(std::iter::once("soak".to_owned()).chain(args))?;
    Ok(Args {
        duration: matches
            .get_one::<Duration>("minutes")
            .copied()
            .unwrap_or_default(),
        interval: matches.get_one::<Duration>("interval").copied(),
        report: matches
            .get_one::<PathBuf>("report")
            .cloned()
            .unwrap_or_default(),
    })
}

/// A positive, finite number.
fn number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err(format!("`{text}` is not a positive number")),
    }
}

fn minutes(n: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(n * 60.0).map_err(|e| format!("{n} minutes: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    tokio::select! {
        code = soak_run(&args) => code,
        _ = tokio::signal::ctrl_c() => {
            // Dropping `soak_run` drops its server handles, which removes the servers.
            eprintln!("soak: interrupted");
            ExitCode::from(130)
        }
    }
}

async fn soak_run(args: &Args) -> ExitCode {
    let mode = ServerMode::from_env();
    println!("==> soak: starting a private Redis and two Memcached servers ({mode:?})");
    let redis = match start_redis(mode).await {
        Ok(redis) => redis,
        Err(e) => return fail(&format!("cannot start redis: {e}")),
    };
    let memcached = match start_memcached(mode, 2).await {
        Ok(memcached) => memcached,
        Err(e) => return fail(&format!("cannot start memcached: {e}")),
    };
    let (kind, kinds) = if redis.is_container() {
        ("container", "containers")
    } else {
        ("local process", "local processes")
    };
    let nodes: Vec<String> = memcached.nodes().iter().map(|n| n.address()).collect();
    let targets = [
        Target {
            backend: Backend::Redis,
            url: with_timeouts(&redis.url(), TIMEOUT_MS),
            description: format!("{} as a {kind}", redis.address()),
            restart: Some(&redis),
        },
        Target {
            backend: Backend::Memcached,
            url: with_timeouts(&memcached.url(), TIMEOUT_MS),
            description: format!(
                "{} as {kinds}; the first one restarted",
                nodes.join(" and ")
            ),
            restart: memcached.nodes().first(),
        },
    ];
    let mut config = Config::new(args.duration);
    if let Some(interval) = args.interval {
        config.interval = interval;
    }
    println!(
        "==> soak: {:.1} min, a report every {:.1} s, restart at {:.0} s for {:.0} s, timeouts {TIMEOUT_MS} ms",
        args.duration.as_secs_f64() / 60.0,
        config.interval.as_secs_f64(),
        (config.duration / 2).as_secs_f64(),
        config.outage.as_secs_f64()
    );
    let summary = match runner::run(&config, &targets).await {
        Ok(summary) => summary,
        Err(e) => return fail(&e),
    };
    println!("\n{}", summary.text());
    if let Err(e) = write_report(&args.report, &summary.markdown()) {
        eprintln!("soak: {e}");
        return ExitCode::FAILURE;
    }
    println!("==> soak: report written to {}", args.report.display());
    if summary.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn write_report(path: &std::path::Path, markdown: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, markdown).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("soak: {message}");
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;
    use db::Invalidation;
    use easy_cache_integration_tests::env::{self, require_url};

    fn parse_str(line: &str) -> Result<Args, clap::Error> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_fractional_minutes_and_options() {
        let args = parse_str("--minutes 0.5 --interval=2 --report /tmp/r.md").unwrap();
        assert_eq!(args.duration, Duration::from_secs(30));
        assert_eq!(args.interval, Some(Duration::from_secs(2)));
        assert_eq!(args.report, PathBuf::from("/tmp/r.md"));
        let defaults = parse_str("").unwrap();
        assert_eq!(defaults.duration, Duration::from_secs(300));
        assert_eq!(defaults.report, PathBuf::from("target/soak-report.md"));
    }

    #[test]
    fn rejects_nonsense() {
        for line in [
            "--minutes",
            "--minutes 0",
            "--minutes -1",
            "--minutes x",
            "--hours 1",
            "--minutes inf",
        ] {
            assert!(parse_str(line).is_err(), "{line}");
        }
    }

    /// The soak machinery for a few seconds on the shared servers of `cargo xtask test` (no
    /// restart: other tests use them), so it does not rot: every kind of call happens,
    /// nothing fails, and no value is wrong.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_short_soak_on_the_shared_servers_has_no_wrong_value() {
        let target = |backend, var| Target {
            backend,
            url: with_timeouts(&require_url(var), 1000),
            description: format!("the shared server of {var}"),
            restart: None,
        };
        let targets = [
            target(Backend::Redis, env::REDIS_URL),
            target(Backend::Memcached, env::MEMCACHED_URL),
        ];
        let mut config = Config::new(Duration::from_secs(5));
        config.interval = Duration::from_millis(2500);
        config.readers = 2;
        let summary = runner::run(&config, &targets)
            .await
            .expect("the soak starts");
        println!("{}", summary.text());
        assert_eq!(summary.wrong(), 0, "wrong values:\n{}", summary.text());
        assert!(summary.passed(), "{:?}", summary.failures());
        assert_eq!(summary.totals.len(), 2);
        for total in &summary.totals {
            let backend = total.backend;
            assert!(total.calls > 100, "{backend}: only {} calls", total.calls);
            assert!(
                total.hits() > 0 && total.misses() > 0,
                "{backend}: {total:?}"
            );
            let kinds = total.invalidations;
            assert!(
                kinds.iter().all(|&n| n > 0),
                "{backend}: invalidations {kinds:?}"
            );
            assert_eq!(
                total.invalidation_errors, 0,
                "{backend}: failed invalidations"
            );
            assert!(total.refreshes > 0, "{backend}: no refresh");
            assert_eq!(
                total.errors, 0,
                "{backend}: backend errors on a healthy server"
            );
            assert_eq!(total.stalls, 0, "{backend}: stalled calls");
            assert!(total.p99() >= total.p50() && total.max_micros >= total.p99());
        }
        let markdown = summary.markdown();
        assert!(markdown.contains("| redis |") && markdown.contains("| memcached |"));
        assert_eq!(summary.memory.len(), 2, "an RSS sample per interval");

        // The check can fail: a write whose invalidation is skipped leaves a stale hit, and the
        // check flags it (the run is over, so moving a floor by hand disturbs nothing).
        for backend in Backend::ALL {
            let ns = format!("soak-control-{}", fastrand::u64(..));
            let id = db::hot_id(0);
            let cached = backend.call(&ns, id).await;
            assert_eq!(backend.call(&ns, id).await, cached, "{backend}: a hit");
            let written = backend.db().bump(id);
            backend.db().settle(id, written, Invalidation::Key);
            let stale = backend.call(&ns, id).await;
            assert!(
                db::check(id, backend.db().floor(id), stale).is_err(),
                "{backend}: a stale hit went unnoticed: {stale:?} at floor {written}"
            );
        }
    }
}
