//! Project automation, run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
//!
//! - `cargo xtask test [--servers auto|containers|local] [--quick]`: `cargo fmt --check`,
//!   `cargo clippy -D warnings`, then starts Redis, a Redis Cluster and Memcached, exports
//!   `EASY_CACHE_TEST_*` and runs `cargo test --workspace --all-features`; removes the servers
//!   afterwards, also on failure and Ctrl-C.
//! - `cargo xtask services up|down`: the same servers, left running for manual test runs.
//! - `cargo xtask fuzz [--minutes N]`: the `fuzz_` property tests with many cases, for N
//!   minutes (see [`commands::fuzz`]).
//! - `cargo xtask soak [--minutes N] [--servers MODE]`: the soak program
//!   (`integration-tests/src/bin/soak/`), in release mode, on private servers (see
//!   [`commands::soak`]).
//! - `cargo xtask bench [--quick] [--servers MODE]`: the benchmarks of `benches/` against
//!   servers it starts, and `target/bench-report.md`; a full run also rewrites
//!   `docs/guide/bench-report.md` (see [`commands::bench`]).
//! - `cargo xtask bench-page`: rewrites `docs/guide/bench-report.md` from its history.
//! - `cargo xtask docker-shim`: a Docker API version shim in the foreground (see
//!   [`docker_shim`]).
//!
//! See `docs/guide/testing.md`.

#![forbid(unsafe_code)]

mod args;
mod bench;
mod commands;
mod docker_shim;
mod support;

use args::Command;
use std::process::ExitCode;
use support::process;

fn main() -> ExitCode {
    let command = match args::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        // `--help` included: clap prints it (to stdout, exit 0) or the mistake (exit 2).
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("xtask: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(code) = runtime.block_on(docker_shim::rerun::rerun_behind_shim(&command)) {
        return code;
    }
    let outcome = runtime.block_on(async move {
        process::catch_signals();
        match command {
            Command::Help => {
                println!("{}", args::cli().render_long_help());
                Ok(())
            }
            Command::Test { mode, quick } => commands::test::run(mode, quick).await,
            Command::ServicesUp { mode } => commands::services::up(mode).await,
            Command::ServicesDown => commands::services::down().await,
            Command::Fuzz { seconds } => commands::fuzz::run(seconds).await,
            Command::Soak { minutes, mode } => commands::soak::run(&minutes, mode).await,
            Command::Bench { mode, quick } => commands::bench::run(mode, quick).await,
            Command::BenchPage => commands::bench::rewrite_page(),
            Command::DockerShim => commands::docker_shim::run().await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("xtask: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
