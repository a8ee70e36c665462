//! `cargo xtask services up|down`: test servers that outlive xtask, for running single tests
//! by hand. A state file under `target/` remembers what to stop.

use crate::docker_shim;
use crate::support::{process, run_servers};
use easy_cache_integration_tests::servers::{Detached, ServerMode, docker, new_run_id, set_run_id};
use std::{path::PathBuf, time::Duration};

fn state_file() -> PathBuf {
    process::target_dir().join("easy-cache-test-services.state")
}

/// Starts the servers, records them, and prints `export` lines on stdout (everything else goes
/// to stderr, so `eval "$(cargo xtask services up)"` works).
pub async fn up(mode: ServerMode) -> Result<(), String> {
    let state = state_file();
    if state.exists() {
        return Err(format!(
            "services are already up ({}); run `cargo xtask services down` first",
            state.display()
        ));
    }
    let run_id = new_run_id();
    set_run_id(run_id.clone());
    let spec = run_servers::spec_from_env();
    let started = run_servers::start(mode, &spec).await?;
    let exports: Vec<String> = started
        .env_vars()
        .into_iter()
        .map(|(k, v)| format!("export {k}={v}"))
        .collect();
    let mut lines = vec![format!("run {run_id}")];
    let mut exports = exports;
    if let Ok(pid) = std::env::var(docker_shim::SHIM_PID) {
        // A detached Docker API shim (see `docker_shim`): tests starting their own containers
        // need it too, and `down` stops it.
        lines.push(format!("shim {pid}"));
        if let Ok(host) = std::env::var("DOCKER_HOST") {
            exports.push(format!("export DOCKER_HOST={host}"));
        }
    }
    for detached in started.detach() {
        lines.push(match detached {
            Detached::Container(id) => format!("container {id}"),
            Detached::Process { pid, dir } => format!("process {pid} {}", dir.display()),
        });
    }
    if let Some(dir) = state.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    std::fs::write(&state, lines.join("\n") + "\n")
        .map_err(|e| format!("cannot write {}: {e}", state.display()))?;
    eprintln!("==> services up; stop them with `cargo xtask services down`");
    for line in exports {
        println!("{line}");
    }
    Ok(())
}

/// Stops what `up` started and removes the state file.
pub async fn down() -> Result<(), String> {
    let state = state_file();
    let text = match std::fs::read_to_string(&state) {
        Ok(text) => text,
        Err(_) => {
            eprintln!("==> no services are up ({} is missing)", state.display());
            return Ok(());
        }
    };
    let mut containers = Vec::new();
    let mut shims = Vec::new();
    let mut run_id = None;
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("run"), Some(id), _) => run_id = Some(id.to_owned()),
            (Some("container"), Some(id), _) => containers.push(id.to_owned()),
            (Some("process"), Some(pid), dir) => stop_process(pid, dir).await,
            (Some("shim"), Some(pid), _) => shims.push(pid.to_owned()),
            _ => {}
        }
    }
    if !containers.is_empty() {
        docker::remove(&containers)
            .await
            .map_err(|e| format!("cannot remove containers: {e}"))?;
    }
    if let Some(run_id) = &run_id {
        set_run_id(run_id.clone());
        if docker::available().await {
            docker::sweep(Some(run_id))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    // Last: the containers above were removed through the engine, not the shim.
    for pid in &shims {
        docker_shim::stop(pid).await;
    }
    std::fs::remove_file(&state).map_err(|e| format!("cannot remove {}: {e}", state.display()))?;
    eprintln!("==> services down");
    Ok(())
}

async fn stop_process(pid: &str, dir: Option<&str>) {
    // SIGKILL also ends a paused (SIGSTOP) server; nothing is persisted anyway.
    if !process::signal("-KILL", pid).await {
        eprintln!("==> process {pid} was already gone");
    }
    if let Some(dir) = dir {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let _ = std::fs::remove_dir_all(dir);
    }
}
