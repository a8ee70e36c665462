//! `cargo xtask test`: fmt, clippy, servers, `cargo test`, cleanup.

use crate::support::{
    process::{self, cargo, record},
    run_servers::{self, RunServers},
    tally,
};
use easy_cache_integration_tests::{
    env,
    servers::{Provider, ServerMode, ServersSpec, docker, set_run_id},
};
use std::time::Duration;

/// Hang guards only: a cold build on two cores takes several minutes.
const FMT_LIMIT: Duration = Duration::from_secs(5 * 60);
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);

/// Runs every step, keeps going after a failure (to report them all), and always removes the
/// servers and this run's containers. Fails when any step failed.
pub async fn run(mode: ServerMode, quick: bool) -> Result<(), String> {
    let run_id = easy_cache_integration_tests::servers::new_run_id();
    set_run_id(run_id.clone());
    let mut failures = Vec::new();
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if in_ci && docker::available().await {
        // A dedicated CI machine: containers of an earlier, killed run are garbage.
        if let Ok(n @ 1..) = docker::sweep(None).await {
            println!("==> removed {n} stale test container(s)");
        }
    }

    if !quick {
        let fmt = ["fmt", "--all", "--", "--check"];
        record(&mut failures, cargo(&fmt, &[], FMT_LIMIT).await);
        let clippy = [
            "clippy",
            "--workspace",
            "--all-targets",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ];
        if !process::is_interrupted() {
            record(&mut failures, cargo(&clippy, &[], BUILD_LIMIT).await);
        }
    }

    let spec = run_servers::spec_from_env();
    // --no-fail-fast: one failing crate must not hide the results of the others.
    let workspace = ["test", "--workspace", "--all-features", "--no-fail-fast"];
    let provider = if process::is_interrupted() {
        None
    } else {
        test_with_servers(mode, &spec, &run_id, &workspace, &mut failures).await
    };

    // CI keeps the local-binary path alive too: the standalone suites and the fault tests
    // again, on local servers.
    if in_ci && !quick && provider == Some(Provider::Containers) && !process::is_interrupted() {
        let mut args = vec![
            "test",
            "--no-fail-fast",
            "-p",
            "easy-cache-integration-tests",
        ];
        // The behaviour suites, client tracking, and the fault tests that stop and freeze
        // servers.
        for name in ["redis", "redis_tracking", "memcached", "topology_faults"] {
            if process::root()
                .join(format!("integration-tests/tests/{name}.rs"))
                .exists()
            {
                args.extend(["--test", name]);
            }
        }
        if args.len() > 4 {
            println!("\n==> CI: the Redis and Memcached suites again, on local binaries");
            test_with_servers(ServerMode::Local, &spec, &run_id, &args, &mut failures).await;
        }
    }

    // On a dedicated CI machine every labelled container is ours; elsewhere only this run's
    // (another developer's `services up` may be running).
    let scope = if in_ci { None } else { Some(run_id.as_str()) };
    match docker::sweep(scope).await {
        Ok(0) => {}
        Ok(n) => println!("==> removed {n} leftover test container(s)"),
        Err(e) if docker::available().await => failures.push(format!("container sweep: {e}")),
        Err(_) => {} // no Docker: nothing to sweep
    }
    if process::is_interrupted() {
        failures.push("interrupted".to_owned());
    }
    if failures.is_empty() {
        println!("\n==> xtask test: every step passed");
    } else {
        println!("\n==> xtask test: {} step(s) failed:", failures.len());
        for failure in &failures {
            println!("  - {failure}");
        }
    }
    // The plain closing line, over every cargo test run above.
    let total = tally::total();
    println!("tests: {} passed, {} failed", total.passed, total.failed);
    if failures.is_empty() {
        Ok(())
    } else {
        // Already reported above: main prints nothing more, so the tally stays the last line.
        Err(String::new())
    }
}

/// Starts the servers of `spec`, runs `cargo args` pointed at them, removes them; returns
/// the provider used (None when servers could not start).
async fn test_with_servers(
    mode: ServerMode,
    spec: &ServersSpec,
    run_id: &str,
    args: &[&str],
    failures: &mut Vec<String>,
) -> Option<Provider> {
    let servers = match RunServers::start(mode, spec).await {
        Ok(servers) => servers,
        Err(e) => {
            failures.push(e);
            return None;
        }
    };
    let mut vars = vec![(env::RUN_ID.to_owned(), run_id.to_owned())];
    vars.extend(servers.env_vars());
    record(failures, cargo(args, &vars, BUILD_LIMIT).await);
    let provider = servers.provider();
    servers.stop(failures).await;
    Some(provider)
}
