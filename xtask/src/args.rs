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
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse_str("bench").is_err());
        assert!(parse_str("test --servers cloud").is_err());
        assert!(parse_str("test --servers").is_err());
        assert!(parse_str("test --fast").is_err());
        assert!(parse_str("services sideways").is_err());
        assert!(parse_str("services down now").is_err());
    }
}
