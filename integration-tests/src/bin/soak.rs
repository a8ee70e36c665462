//! The soak run behind `cargo xtask soak`: starts a private Redis and two private Memcached
//! servers (in containers or as local processes, as `EASY_CACHE_TEST_SERVERS` says), loads
//! them for `--minutes N` with a restart halfway, prints a summary, writes it as markdown
//! (`--report`, default `target/soak-report.md`) and exits non-zero when the run failed.
//! See `easy_cache_integration_tests::soak`.
//!
//! ```text
//! soak [--minutes N] [--interval SECONDS] [--report PATH]
//! ```

use easy_cache_integration_tests::servers::{ServerMode, start_memcached, start_redis};
use easy_cache_integration_tests::soak::{self, Backend, Config, Target};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "usage: soak [--minutes N] [--interval SECONDS] [--report PATH]";
/// The default length of a run.
const DEFAULT_MINUTES: f64 = 5.0;
/// Operation and connect timeouts of the backends: an outage costs at most this per call.
const TIMEOUT_MS: u64 = 100;

#[derive(Debug, PartialEq)]
struct Args {
    duration: Duration,
    interval: Option<Duration>,
    report: PathBuf,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        duration: minutes(DEFAULT_MINUTES)?,
        interval: None,
        report: PathBuf::from("target/soak-report.md"),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_owned(), Some(value.to_owned())),
            None => (arg, None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--minutes" => parsed.duration = minutes(number(&value()?)?)?,
            "--interval" => parsed.interval = Some(Duration::from_secs_f64(number(&value()?)?)),
            "--report" => parsed.report = PathBuf::from(value()?),
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(parsed)
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
        Err(e) => {
            eprintln!("soak: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
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
            url: soak::with_timeouts(&redis.url(), TIMEOUT_MS),
            description: format!("{} as a {kind}", redis.address()),
            restart: Some(&redis),
        },
        Target {
            backend: Backend::Memcached,
            url: soak::with_timeouts(&memcached.url(), TIMEOUT_MS),
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
    let summary = match soak::run(&config, &targets).await {
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

    fn parse_str(line: &str) -> Result<Args, String> {
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
}
