//! `cargo xtask docker-shim`: a Docker API version shim in the foreground (see
//! [`crate::docker_shim`]; `services up` starts one detached this way).

use crate::docker_shim::proxy::ApiShim;
use crate::support::process;
use easy_cache_integration_tests::servers::docker_api;

/// `cargo xtask docker-shim`: runs a shim in front of the engine until SIGTERM or Ctrl-C,
/// after printing its `DOCKER_HOST` on stdout.
pub async fn run() -> Result<(), String> {
    let engine = docker_api::engine_socket();
    let version = docker_api::engine_api_version(&engine)
        .await
        .map_err(|e| e.to_string())?;
    let shim = ApiShim::start(engine, version)?;
    println!("{}", shim.docker_host());
    // `main` already catches the signals.
    process::interrupted().await;
    drop(shim);
    Ok(())
}
