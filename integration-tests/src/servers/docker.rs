//! The Docker engine through the `docker` CLI, for what is not a container's lifecycle:
//! probing the engine, building images, `exec`, logs, and sweeping leftovers by label.
//!
//! Containers themselves start, stop, pause and go through testcontainers' async runner
//! (`servers/container.rs`). testcontainers 0.28 talks to the engine through bollard 0.21
//! pinned to Docker API 1.53 without negotiating, and this project's CI machines run Docker
//! 20.10 (API 1.41), which refuses such requests ("client version 1.53 is too new"); so on
//! those engines `cargo xtask` runs a version shim that rewrites the version in request
//! paths, and points `DOCKER_HOST` at it. The CLI negotiates the version by itself.

use super::{Result, cmd};
use std::time::Duration;

/// The label every container of this project carries (`easy-cache-test=1`).
pub const LABEL: &str = "easy-cache-test";
/// The label naming the run that started a container (see [`crate::env::RUN_ID`]).
pub const RUN_LABEL: &str = "easy-cache-test.run";

const DOCKER: &str = "docker";
/// Docker calls are local and quick; a hung engine must not hang the tests.
const LIMIT: Duration = Duration::from_secs(60);

/// True when a Docker engine answers `docker info` within a few seconds.
pub async fn available() -> bool {
    let limit = Duration::from_secs(5);
    match cmd::run(DOCKER, &["info", "--format", "{{.ServerVersion}}"], limit).await {
        Ok(version) => !version.trim().is_empty(),
        Err(e) => {
            tracing::debug!("no usable docker engine: {e}");
            false
        }
    }
}

/// True when the engine has `image` locally.
pub(crate) async fn image_exists(image: &str) -> bool {
    cmd::run(
        DOCKER,
        &["image", "inspect", "--format", "{{.Id}}", image],
        LIMIT,
    )
    .await
    .is_ok()
}

/// Builds `tag` from a context directory holding a `Dockerfile`.
pub(crate) async fn build(tag: &str, context: &str) -> Result<()> {
    // A first build copies ~20 MB of binaries; allow for a slow disk.
    cmd::run(
        DOCKER,
        &["build", "-q", "-t", tag, context],
        Duration::from_secs(300),
    )
    .await?;
    Ok(())
}

/// Runs a command inside a running container and returns its output.
pub(crate) async fn exec(id: &str, args: &[&str]) -> Result<String> {
    let mut argv = vec!["exec", id];
    argv.extend_from_slice(args);
    cmd::run(DOCKER, &argv, LIMIT).await
}

/// The last lines a container printed, for error messages.
pub(crate) async fn logs(id: &str) -> String {
    match cmd::run(DOCKER, &["logs", "--tail", "20", id], LIMIT).await {
        Ok(out) => out,
        Err(e) => e.to_string(),
    }
}

/// Removes these containers (and their anonymous volumes).
pub async fn remove(ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut argv = vec!["rm", "-f", "-v"];
    argv.extend(ids.iter().map(String::as_str));
    cmd::run(DOCKER, &argv, LIMIT).await.map(drop)
}

/// Removes every container labelled with this project's label and, when given, the run
/// `run`; returns how many were removed. The safety net after a run (a test binary that
/// crashed cannot clean up after itself).
pub async fn sweep(run: Option<&str>) -> Result<usize> {
    let filter = match run {
        Some(run) => format!("label={RUN_LABEL}={run}"),
        None => format!("label={LABEL}=1"),
    };
    let ids = cmd::run(DOCKER, &["ps", "-aq", "--filter", &filter], LIMIT).await?;
    let ids: Vec<String> = ids.split_whitespace().map(str::to_owned).collect();
    remove(&ids).await?;
    Ok(ids.len())
}
