//! Old Docker engines and testcontainers: when the engine speaks an older API than
//! testcontainers' client (Docker 20.10 speaks 1.41, testcontainers 0.28 sends 1.53), xtask
//! starts a Docker API version shim ([`super::proxy`]) and runs itself again as a child
//! whose `DOCKER_HOST` points at it; the child, and the `cargo test` processes it starts,
//! inherit that `DOCKER_HOST`. (A process cannot safely set its own environment, and
//! testcontainers reads `DOCKER_HOST` from it.)
//!
//! `test` keeps the shim in this process. `services up` leaves servers running after xtask
//! exits, so its shim is a detached `cargo xtask docker-shim` process that `services down`
//! stops (its pid reaches the child in [`SHIM_PID`]).

use super::proxy::ApiShim;
use crate::args::Command;
use easy_cache_integration_tests::servers::{
    ServerMode, docker,
    docker_api::{self, ApiVersion},
};
use std::{path::PathBuf, process::ExitCode, process::Stdio, time::Duration};
use tokio::io::{AsyncBufReadExt, BufReader};

/// Set in the child, so it does not start another shim.
const CHILD: &str = "EASY_CACHE_TEST_DOCKER_SHIM_CHILD";
/// The pid of a detached shim process, for `services up` to record.
pub const SHIM_PID: &str = "EASY_CACHE_TEST_DOCKER_SHIM_PID";

/// Runs xtask again behind a shim when `command` may use containers and the engine needs
/// one; returns the child's exit code, or None when this process should do the work itself.
pub async fn rerun_behind_shim(command: &Command) -> Option<ExitCode> {
    let (mode, detached) = match command {
        Command::Test { mode, .. } => (*mode, false),
        Command::ServicesUp { mode } => (*mode, true),
        Command::Soak { mode, .. } => (*mode, false),
        Command::Bench { mode, .. } => (*mode, false),
        Command::Help
        | Command::ServicesDown
        | Command::DockerShim
        | Command::BenchPage
        | Command::Fuzz { .. } => {
            return None;
        }
    };
    if mode == ServerMode::Local || std::env::var_os(CHILD).is_some() {
        return None;
    }
    if !docker::available().await {
        return None;
    }
    let (engine, version) = match needed().await {
        Ok(Some(needed)) => needed,
        Ok(None) => return None,
        Err(e) => {
            eprintln!("==> no Docker API shim ({e}); containers may be refused");
            return None;
        }
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("xtask: cannot find its own program to rerun behind the shim: {e}");
            return Some(ExitCode::FAILURE);
        }
    };
    // Ctrl-C reaches the child too; this process must outlive its cleanup.
    crate::support::process::catch_signals();
    let mut child = tokio::process::Command::new(&exe);
    child.args(std::env::args_os().skip(1)).env(CHILD, "1");
    let mut in_process = None;
    let mut shim_pid = None;
    if detached {
        match spawn_detached(&exe).await {
            Ok((pid, host)) => {
                child
                    .env("DOCKER_HOST", host)
                    .env(SHIM_PID, pid.to_string());
                shim_pid = Some(pid);
            }
            Err(e) => {
                eprintln!("xtask: cannot start a Docker API shim: {e}");
                return Some(ExitCode::FAILURE);
            }
        }
    } else {
        match ApiShim::start(engine, version) {
            Ok(shim) => {
                child.env("DOCKER_HOST", shim.docker_host());
                in_process = Some(shim);
            }
            Err(e) => {
                eprintln!("xtask: cannot start a Docker API shim: {e}");
                return Some(ExitCode::FAILURE);
            }
        }
    }
    eprintln!("==> Docker engine API {version} is older than testcontainers': using a shim");
    let status = child.status().await;
    drop(in_process);
    let code = match status {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => ExitCode::from(
            status
                .code()
                .and_then(|c| u8::try_from(c).ok())
                .unwrap_or(1),
        ),
        Err(e) => {
            eprintln!("xtask: cannot rerun itself behind the shim: {e}");
            ExitCode::FAILURE
        }
    };
    if code != ExitCode::SUCCESS
        && let Some(pid) = shim_pid
    {
        // `services up` failed: nothing will stop this shim later.
        stop(&pid.to_string()).await;
    }
    Some(code)
}

/// Starts `xtask docker-shim` in its own process group (Ctrl-C in this terminal must not end
/// it) and returns its pid and `DOCKER_HOST`.
async fn spawn_detached(exe: &std::path::Path) -> Result<(u32, String), String> {
    let mut shim = tokio::process::Command::new(exe)
        .arg("docker-shim")
        .env(CHILD, "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot run `xtask docker-shim`: {e}"))?;
    let pid = shim.id().ok_or("`xtask docker-shim` exited at once")?;
    let stdout = shim
        .stdout
        .take()
        .ok_or("no stdout of `xtask docker-shim`")?;
    let mut line = String::new();
    let mut reader = BufReader::new(stdout);
    let read = reader.read_line(&mut line);
    match tokio::time::timeout(Duration::from_secs(10), read).await {
        Ok(Ok(_)) if line.starts_with("unix://") => Ok((pid, line.trim().to_owned())),
        _ => {
            let _ = shim.kill().await;
            Err(format!(
                "`xtask docker-shim` did not report its socket: {line:?}"
            ))
        }
    }
}

/// The engine socket and its API version when the engine is older than testcontainers'
/// client, so a shim is needed; None when testcontainers can use it directly.
async fn needed() -> Result<Option<(PathBuf, ApiVersion)>, String> {
    let engine = docker_api::engine_socket();
    let served = docker_api::engine_api_version(&engine)
        .await
        .map_err(|e| e.to_string())?;
    if served >= ApiVersion::testcontainers()
        || docker_api::accepts(&engine, ApiVersion::testcontainers()).await
    {
        return Ok(None);
    }
    Ok(Some((engine, served)))
}

/// Ends a detached shim process (SIGTERM: it removes its socket directory).
pub async fn stop(pid: &str) {
    if !crate::support::process::signal("-TERM", pid).await {
        eprintln!("==> Docker API shim {pid} was already gone");
    }
}
