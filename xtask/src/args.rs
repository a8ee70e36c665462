//! Command-line parsing (plain `std::env::args`, no parser dependency).

use easy_cache_integration_tests::servers::ServerMode;

/// The usage text.
pub const USAGE: &str = "\
usage:
  cargo xtask test [--servers auto|containers|local] [--quick]
      fmt check, clippy, then `cargo test --workspace --all-features` against real
      Redis, Redis Cluster and Memcached servers it starts and removes.
      --quick skips fmt, clippy and the CI-only local-binary pass.
  cargo xtask services up [--servers auto|containers|local]
      starts the servers and prints `export` lines for the EASY_CACHE_TEST_* variables
      (try: eval \"$(cargo xtask services up)\").
  cargo xtask services down
      stops what `services up` started.
  cargo xtask fuzz [--minutes N]
      the `fuzz_` property tests (envelope decoder, bounded decoding, stored bytes, key
      digest, URL and TOML parsers) with 20 000 cases each, round after round with fresh
      seeds, for N minutes (default 5; at least one round).
  cargo xtask soak [--minutes N] [--servers auto|containers|local]
      a mixed load through #[ecached] functions on a private Redis and two Memcached
      servers for N minutes (default 5, fractions allowed), restarting them halfway;
      prints calls, errors, wrong values, latency and memory per interval, writes
      target/soak-report.md, fails on a wrong value or memory growth.
  cargo xtask bench [--quick] [--servers auto|containers|local]
      the speed and memory targets: criterion benches and counting examples of
      benches/ against a Redis and two Memcached servers it starts and removes; writes
      target/bench-report.md (ours, the baseline of the same run, ratio, target, verdict).
      A full run also records its verdicts in docs/guide/bench-history.json and rewrites
      docs/guide/bench-report.md from it; --quick shortens criterion's warm-up and
      measurement (under 2 minutes once built) and leaves the docs alone.
  cargo xtask bench-page
      rewrites docs/guide/bench-report.md from docs/guide/bench-history.json, measuring
      nothing (after merging two histories, or a change to the page's layout).
  cargo xtask docker-shim
      runs a Docker API version shim for testcontainers in front of an older engine and
      prints its DOCKER_HOST (`test` and `services up` start one when needed).";

/// What to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `test`.
    Test {
        /// Where servers run.
        mode: ServerMode,
        /// Skip fmt, clippy and the CI local-binary pass.
        quick: bool,
    },
    /// `services up`.
    ServicesUp {
        /// Where servers run.
        mode: ServerMode,
    },
    /// `services down`.
    ServicesDown,
    /// `fuzz`.
    Fuzz {
        /// How long to keep fuzzing, in seconds.
        seconds: u64,
    },
    /// `soak`.
    Soak {
        /// How long, in minutes, as given (a positive number; fractions allowed).
        minutes: String,
        /// Where servers run.
        mode: ServerMode,
    },
    /// `bench`.
    Bench {
        /// Where servers run.
        mode: ServerMode,
        /// Short criterion runs.
        quick: bool,
    },
    /// `bench-page`.
    BenchPage,
    /// `docker-shim`.
    DockerShim,
    /// `help`, `-h`, `--help`.
    Help,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let args: Vec<String> = args.into_iter().collect();
    let (command, rest) = match args.split_first() {
        None => return Ok(Command::Help),
        Some((first, rest)) => (first.as_str(), rest),
    };
    match command {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "docker-shim" if rest.is_empty() => Ok(Command::DockerShim),
        "bench-page" if rest.is_empty() => Ok(Command::BenchPage),
        "fuzz" => Ok(Command::Fuzz {
            seconds: minutes_flag(rest, 5.0)?,
        }),
        "soak" => soak_args(rest),
        "bench" => {
            let (mode, quick) = mode_and_quick(rest)?;
            Ok(Command::Bench { mode, quick })
        }
        "test" => {
            let mut mode = ServerMode::Auto;
            let mut quick = false;
            let mut rest = rest.iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--quick" => quick = true,
                    _ => mode = servers_flag(arg, &mut rest)?,
                }
            }
            Ok(Command::Test { mode, quick })
        }
        "services" => match rest.split_first() {
            Some((verb, flags)) if verb == "up" => {
                let mut mode = ServerMode::Auto;
                let mut flags = flags.iter();
                while let Some(arg) = flags.next() {
                    mode = servers_flag(arg, &mut flags)?;
                }
                Ok(Command::ServicesUp { mode })
            }
            Some((verb, [])) if verb == "down" => Ok(Command::ServicesDown),
            _ => Err("`services` takes `up [--servers MODE]` or `down`".to_owned()),
        },
        other => Err(format!("unknown command `{other}`")),
    }
}

/// Parses an optional `--minutes N` / `--minutes=N` (a positive number, fractions allowed)
/// as the only flag, in whole seconds; `default` minutes when absent.
fn minutes_flag(args: &[String], default: f64) -> Result<u64, String> {
    let value = match args {
        [] => return Ok((default * 60.0) as u64),
        [flag, value] if flag == "--minutes" => value.as_str(),
        [flag] => flag
            .strip_prefix("--minutes=")
            .ok_or_else(|| format!("unknown option `{flag}`"))?,
        _ => return Err("expected at most `--minutes N`".to_owned()),
    };
    value
        .parse::<f64>()
        .ok()
        .filter(|m| m.is_finite() && *m > 0.0 && *m < 1e6)
        .map(|m| ((m * 60.0) as u64).max(1))
        .ok_or_else(|| format!("--minutes takes a positive number, got `{value}`"))
}

/// Parses the flags of `soak`: `--minutes N` (default 5) and `--servers MODE`.
fn soak_args(flags: &[String]) -> Result<Command, String> {
    let mut minutes = "5".to_owned();
    let mut mode = ServerMode::Auto;
    let mut flags = flags.iter();
    while let Some(arg) = flags.next() {
        let value = match arg.strip_prefix("--minutes") {
            Some("") => flags.next().map(String::as_str),
            Some(inline) if inline.starts_with('=') => Some(&inline[1..]),
            _ => {
                mode = servers_flag(arg, &mut flags)?;
                continue;
            }
        };
        minutes = value
            .filter(|v| v.parse::<f64>().is_ok_and(|m| m.is_finite() && m > 0.0))
            .ok_or("--minutes takes a positive number of minutes")?
            .to_owned();
    }
    Ok(Command::Soak { minutes, mode })
}

/// Parses `--quick` and `--servers MODE` in any order.
fn mode_and_quick(flags: &[String]) -> Result<(ServerMode, bool), String> {
    let (mut mode, mut quick) = (ServerMode::Auto, false);
    let mut flags = flags.iter();
    while let Some(arg) = flags.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            _ => mode = servers_flag(arg, &mut flags)?,
        }
    }
    Ok((mode, quick))
}

/// Parses `--servers MODE` or `--servers=MODE`; anything else is an error.
fn servers_flag<'a>(
    arg: &str,
    rest: &mut impl Iterator<Item = &'a String>,
) -> Result<ServerMode, String> {
    let value = match arg.strip_prefix("--servers") {
        Some("") => rest.next().map(String::as_str),
        Some(inline) => inline.strip_prefix('='),
        None => return Err(format!("unknown option `{arg}`")),
    };
    value
        .and_then(ServerMode::parse)
        .ok_or_else(|| "--servers takes auto, containers or local".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Command, String> {
        parse(line.split_whitespace().map(String::from))
    }

    #[test]
    fn parses_commands_and_flags() {
        assert_eq!(parse_str(""), Ok(Command::Help));
        assert_eq!(
            parse_str("test"),
            Ok(Command::Test {
                mode: ServerMode::Auto,
                quick: false
            })
        );
        assert_eq!(
            parse_str("test --servers local --quick"),
            Ok(Command::Test {
                mode: ServerMode::Local,
                quick: true
            })
        );
        assert_eq!(
            parse_str("services up --servers=containers"),
            Ok(Command::ServicesUp {
                mode: ServerMode::Containers
            })
        );
        assert_eq!(parse_str("services down"), Ok(Command::ServicesDown));
        assert_eq!(parse_str("fuzz"), Ok(Command::Fuzz { seconds: 300 }));
        assert_eq!(
            parse_str("fuzz --minutes 0.5"),
            Ok(Command::Fuzz { seconds: 30 })
        );
        assert_eq!(
            parse_str("fuzz --minutes=30"),
            Ok(Command::Fuzz { seconds: 1800 })
        );
    }

    #[test]
    fn parses_soak() {
        let soak = |minutes: &str, mode| Command::Soak {
            minutes: minutes.to_owned(),
            mode,
        };
        assert_eq!(parse_str("soak"), Ok(soak("5", ServerMode::Auto)));
        assert_eq!(
            parse_str("soak --minutes 0.5 --servers local"),
            Ok(soak("0.5", ServerMode::Local))
        );
        assert_eq!(
            parse_str("soak --servers=containers --minutes=2"),
            Ok(soak("2", ServerMode::Containers))
        );
        for nonsense in [
            "soak --minutes",
            "soak --minutes 0",
            "soak --minutes -1",
            "soak --minutes soon",
            "soak --minutes=",
            "soak --minutesx 2",
            "soak --servers cloud",
            "soak --quick",
        ] {
            assert!(parse_str(nonsense).is_err(), "{nonsense}");
        }
    }

    #[test]
    fn parses_bench() {
        let bench = |mode, quick| Ok(Command::Bench { mode, quick });
        assert_eq!(parse_str("bench"), bench(ServerMode::Auto, false));
        assert_eq!(parse_str("bench --quick"), bench(ServerMode::Auto, true));
        assert_eq!(
            parse_str("bench --servers local --quick"),
            bench(ServerMode::Local, true)
        );
        assert_eq!(
            parse_str("bench --quick --servers=containers"),
            bench(ServerMode::Containers, true)
        );
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse_str("benchmark").is_err());
        assert_eq!(parse_str("bench-page"), Ok(Command::BenchPage));
        assert!(parse_str("bench-page --quick").is_err());
        assert!(parse_str("bench --fast").is_err());
        assert!(parse_str("bench --servers cloud").is_err());
        assert!(parse_str("test --servers cloud").is_err());
        assert!(parse_str("test --servers").is_err());
        assert!(parse_str("test --fast").is_err());
        assert!(parse_str("services sideways").is_err());
        assert!(parse_str("services down now").is_err());
        assert!(parse_str("fuzz --minutes").is_err());
        assert!(parse_str("fuzz --minutes -1").is_err());
        assert!(parse_str("fuzz --minutes soon").is_err());
        assert!(parse_str("fuzz --hours 1").is_err());
    }
}
