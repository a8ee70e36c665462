//! Running cargo steps as child processes, stoppable by Ctrl-C / SIGTERM.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::OnceLock,
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
    sync::watch,
};

fn interrupt_channel() -> &'static watch::Sender<bool> {
    static CHANNEL: OnceLock<watch::Sender<bool>> = OnceLock::new();
    CHANNEL.get_or_init(|| watch::channel(false).0)
}

/// Catches Ctrl-C and SIGTERM so the servers are removed before xtask exits: the signal
/// only marks the run as interrupted; every wait below then returns.
pub fn catch_signals() {
    tokio::spawn(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| eprintln!("xtask: cannot catch SIGTERM: {e}"))
            .ok();
        let terminated = async {
            match term.as_mut() {
                Some(term) => drop(term.recv().await),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminated => {}
        }
        eprintln!("\nxtask: interrupted, cleaning up");
        interrupt_channel().send_replace(true);
    });
}

/// True once a signal arrived.
pub fn is_interrupted() -> bool {
    *interrupt_channel().borrow()
}

/// Resolves when a signal arrives.
pub async fn interrupted() {
    let mut rx = interrupt_channel().subscribe();
    let _ = rx.wait_for(|stop| *stop).await;
}

/// The workspace root (xtask lives in `<root>/xtask`).
pub fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map_or(manifest.clone(), PathBuf::from)
}

/// Runs `cargo args` in the workspace root with extra environment variables, printing the
/// command first and counting the `test result:` lines of its output (see [`crate::tally`]);
/// fails when it exits non-zero, exceeds `limit`, or is interrupted.
pub async fn cargo(args: &[&str], env: &[(String, String)], limit: Duration) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let shown = format!("cargo {}", args.join(" "));
    println!("\n==> {shown}");
    let started = Instant::now();
    let mut child = Command::new(&cargo)
        .args(args)
        .current_dir(root())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let stdout = child.stdout.take();
    let echo = tokio::spawn(async move {
        let Some(stdout) = stdout else { return };
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            println!("{line}");
            crate::tally::count(&line);
        }
    });
    let outcome = tokio::select! {
        status = child.wait() => status.map_err(|e| format!("`{shown}` failed: {e}")),
        () = tokio::time::sleep(limit) => Err(format!("`{shown}` exceeded {limit:?}")),
        () = interrupted() => Err(format!("`{shown}` interrupted")),
    };
    if outcome.is_err() {
        let _ = child.kill().await;
    }
    // The last lines; a test binary outliving a killed cargo must not hold xtask up.
    let _ = tokio::time::timeout(Duration::from_secs(5), echo).await;
    let status = outcome?;
    let took = started.elapsed().as_secs();
    if status.success() {
        println!("==> {shown}: ok ({took} s)");
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status}, {took} s)"))
    }
}
