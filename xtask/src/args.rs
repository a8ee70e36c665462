//! Command-line parsing, with clap's builder: the commands, their flags, and the help text
//! (`cargo xtask --help`, `cargo xtask <command> --help`).

use clap::{Arg, ArgAction, ArgMatches};
use easy_cache_integration_tests::servers::ServerMode;

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
    /// No command: the help.
    Help,
}

/// The command line: every command with its flags and help.
pub fn cli() -> clap::Command {
    clap::Command::new("xtask")
        .bin_name("cargo xtask")
        .about("Project automation for easy-cache (see docs/guide/testing.md).")
        .disable_version_flag(true)
        .subcommand(
            clap::Command::new("test")
                .about("fmt check, clippy, then the workspace's tests against servers it starts")
                .long_about(
                    "fmt check, clippy, then `cargo test --workspace --all-features` against \
                     real Redis, Redis Cluster and Memcached servers it starts and removes.",
                )
                .arg(servers())
                .arg(quick("skips fmt, clippy and the CI-only local-binary pass")),
        )
        .subcommand(
            clap::Command::new("services")
                .about("test servers that outlive xtask, for running single tests by hand")
                .subcommand_required(true)
                .subcommand(
                    clap::Command::new("up")
                        .about(
                            "starts the servers and prints `export` lines for the \
                             EASY_CACHE_TEST_* variables (try: eval \"$(cargo xtask services up)\")",
                        )
                        .arg(servers()),
                )
                .subcommand(
                    clap::Command::new("down").about("stops what `services up` started"),
                ),
        )
        .subcommand(
            clap::Command::new("fuzz")
                .about("the `fuzz_` property tests with many cases, for N minutes")
                .long_about(
                    "the `fuzz_` property tests (envelope decoder, bounded decoding, stored \
                     bytes, key digest, URL and TOML parsers) with 20 000 cases each, round \
                     after round with fresh seeds, for N minutes (at least one round).",
                )
                .arg(minutes().value_parser(fuzz_seconds)),
        )
        .subcommand(
            clap::Command::new("soak")
                .about("a mixed load on private Redis and Memcached servers, restarted halfway")
                .long_about(
                    "a mixed load through #[ecached] functions on a private Redis and two \
                     Memcached servers for N minutes (fractions allowed), restarting them \
                     halfway; prints calls, errors, wrong values, latency and memory per \
                     interval, writes target/soak-report.md, fails on a wrong value or memory \
                     growth.",
                )
                .arg(minutes().value_parser(soak_minutes))
                .arg(servers()),
        )
        .subcommand(
            clap::Command::new("bench")
                .about("the speed and memory targets, measured; writes target/bench-report.md")
                .long_about(
                    "the speed and memory targets: criterion benches and counting examples of \
                     benches/ against a Redis and two Memcached servers it starts and removes; \
                     writes target/bench-report.md (ours, the baseline of the same run, ratio, \
                     target, verdict). A full run also records its verdicts in \
                     docs/guide/bench-history.json and rewrites docs/guide/bench-report.md \
                     from it.",
                )
                .arg(servers())
                .arg(quick(
                    "shortens criterion's warm-up and measurement (under 2 minutes once \
                     built) and leaves the docs alone",
                )),
        )
        .subcommand(
            clap::Command::new("bench-page")
                .about("rewrites docs/guide/bench-report.md from docs/guide/bench-history.json")
                .long_about(
                    "rewrites docs/guide/bench-report.md from docs/guide/bench-history.json, \
                     measuring nothing (after merging two histories, or a change to the \
                     page's layout).",
                ),
        )
        .subcommand(
            clap::Command::new("docker-shim")
                .about("runs a Docker API version shim for testcontainers in the foreground")
                .long_about(
                    "runs a Docker API version shim for testcontainers in front of an older \
                     engine and prints its DOCKER_HOST (`test` and `services up` start one \
                     when needed).",
                ),
        )
}

/// `--servers MODE`.
fn servers() -> Arg {
    Arg::new("servers")
        .long("servers")
        .value_name("auto|containers|local")
        .value_parser(|text: &str| {
            ServerMode::parse(text).ok_or("--servers takes auto, containers or local")
        })
        .default_value("auto")
        .help(
            "where the servers run: containers, local binaries, or auto (containers when Docker answers, else local)",
        )
}

/// `--quick`.
fn quick(help: &'static str) -> Arg {
    Arg::new("quick")
        .long("quick")
        .action(ArgAction::SetTrue)
        .help(help)
}

/// `--minutes N`, 5 by default (its value parser is the command's).
fn minutes() -> Arg {
    Arg::new("minutes")
        .long("minutes")
        .value_name("N")
        .default_value("5")
        .help("how long, in minutes (fractions allowed)")
}

/// A positive number of minutes as whole seconds (at least one).
fn fuzz_seconds(text: &str) -> Result<u64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|m| m.is_finite() && *m > 0.0 && *m < 1e6)
        .map(|m| ((m * 60.0) as u64).max(1))
        .ok_or_else(|| format!("--minutes takes a positive number, got `{text}`"))
}

/// A positive number of minutes, kept as given (the soak program parses it again).
fn soak_minutes(text: &str) -> Result<String, String> {
    match text.parse::<f64>() {
        Ok(m) if m.is_finite() && m > 0.0 => Ok(text.to_owned()),
        _ => Err(format!(
            "--minutes takes a positive number of minutes, got `{text}`"
        )),
    }
}

/// Parses the arguments after the program name. `--help` and mistakes come back as clap's
/// error, which prints itself ([`clap::Error::exit`]).
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, clap::Error> {
    let matches = cli().try_get_matches_from(std::iter::once("xtask".to_owned()).chain(args))?;
    let mode = |m: &ArgMatches| {
        m.get_one::<ServerMode>("servers")
            .copied()
            .unwrap_or_default()
    };
    let quick = |m: &ArgMatches| m.get_flag("quick");
    Ok(match matches.subcommand() {
        Some(("test", m)) => Command::Test {
            mode: mode(m),
            quick: quick(m),
        },
        Some(("services", m)) => match m.subcommand() {
            Some(("up", m)) => Command::ServicesUp { mode: mode(m) },
            _ => Command::ServicesDown,
        },
        Some(("fuzz", m)) => Command::Fuzz {
            seconds: m.get_one::<u64>("minutes").copied().unwrap_or(300),
        },
        Some(("soak", m)) => Command::Soak {
            minutes: m.get_one::<String>("minutes").cloned().unwrap_or_default(),
            mode: mode(m),
        },
        Some(("bench", m)) => Command::Bench {
            mode: mode(m),
            quick: quick(m),
        },
        Some(("bench-page", _)) => Command::BenchPage,
        Some(("docker-shim", _)) => Command::DockerShim,
        _ => Command::Help,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse_str(line: &str) -> Result<Command, clap::Error> {
        parse(line.split_whitespace().map(String::from))
    }

    fn ok(line: &str) -> Command {
        parse_str(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn the_command_line_is_consistent() {
        cli().debug_assert();
    }

    #[test]
    fn parses_commands_and_flags() {
        assert_eq!(ok(""), Command::Help);
        assert_eq!(
            ok("test"),
            Command::Test {
                mode: ServerMode::Auto,
                quick: false
            }
        );
        assert_eq!(
            ok("test --servers local --quick"),
            Command::Test {
                mode: ServerMode::Local,
                quick: true
            }
        );
        assert_eq!(
            ok("services up --servers=containers"),
            Command::ServicesUp {
                mode: ServerMode::Containers
            }
        );
        assert_eq!(ok("services down"), Command::ServicesDown);
        assert_eq!(ok("fuzz"), Command::Fuzz { seconds: 300 });
        assert_eq!(ok("fuzz --minutes 0.5"), Command::Fuzz { seconds: 30 });
        assert_eq!(ok("fuzz --minutes=30"), Command::Fuzz { seconds: 1800 });
    }

    #[test]
    fn help_is_asked_for_not_a_mistake() {
        for line in ["help", "-h", "--help", "bench --help", "services up -h"] {
            let kind = parse_str(line)
                .map(|c| format!("{c:?}"))
                .unwrap_err()
                .kind();
            assert_eq!(kind, ErrorKind::DisplayHelp, "{line}");
        }
        let usage = cli().render_long_help().to_string();
        for command in [
            "test",
            "services",
            "fuzz",
            "soak",
            "bench",
            "bench-page",
            "docker-shim",
        ] {
            assert!(usage.contains(command), "{command} in {usage}");
        }
    }

    #[test]
    fn parses_soak() {
        let soak = |minutes: &str, mode| Command::Soak {
            minutes: minutes.to_owned(),
            mode,
        };
        assert_eq!(ok("soak"), soak("5", ServerMode::Auto));
        assert_eq!(
            ok("soak --minutes 0.5 --servers local"),
            soak("0.5", ServerMode::Local)
        );
        assert_eq!(
            ok("soak --servers=containers --minutes=2"),
            soak("2", ServerMode::Containers)
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
        let bench = |mode, quick| Command::Bench { mode, quick };
        assert_eq!(ok("bench"), bench(ServerMode::Auto, false));
        assert_eq!(ok("bench --quick"), bench(ServerMode::Auto, true));
        assert_eq!(
            ok("bench --servers local --quick"),
            bench(ServerMode::Local, true)
        );
        assert_eq!(
            ok("bench --quick --servers=containers"),
            bench(ServerMode::Containers, true)
        );
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse_str("benchmark").is_err());
        assert_eq!(ok("bench-page"), Command::BenchPage);
        for nonsense in [
            "bench-page --quick",
            "bench --fast",
            "bench --servers cloud",
            "test --servers cloud",
            "test --servers",
            "test --fast",
            "services",
            "services sideways",
            "services down now",
            "fuzz --minutes",
            "fuzz --minutes -1",
            "fuzz --minutes soon",
            "fuzz --hours 1",
        ] {
            let error = parse_str(nonsense).unwrap_err();
            assert_ne!(error.kind(), ErrorKind::DisplayHelp, "{nonsense}");
        }
    }
}
