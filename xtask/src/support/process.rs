//! Running cargo steps as child processes, stoppable by Ctrl-C / SIGTERM.

use std::{
    path::PathBuf,
    process::{ExitStatus, Stdio},
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

/// Where cargo builds: `CARGO_TARGET_DIR`, else `<root>/target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Sends `signal` (`-TERM`, `-KILL`, ...) to process `pid` with `kill(1)` (xtask forbids
/// `unsafe`, so no `libc::kill`); false when there was no such process.
pub async fn signal(signal: &str, pid: &str) -> bool {
    let sent = Command::new("kill").args([signal, pid]).status().await;
    sent.is_ok_and(|s| s.success())
}

/// Notes a failed step: printed at once, and kept to be listed again at the end of the run
/// (a run keeps going after a failure, to report them all).
pub fn record(failures: &mut Vec<String>, step: Result<(), String>) {
    if let Err(e) = step {
        eprintln!("==> {e}");
        failures.push(e);
    }
}

/// A step: `cargo args` in the workspace root with extra environment variables, announced
/// by a `==>` line; [`Step::finished`] gives its closing line.
pub struct Step {
    /// The command, to be spawned by the caller (which chooses stdin and stdout).
    pub command: Command,
    /// The command line as shown to the user.
    pub shown: String,
    started: Instant,
}

impl Step {
    /// Announces `cargo args` and prepares it.
    pub fn cargo(args: &[&str], env: &[(String, String)]) -> Step {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let shown = format!("cargo {}", args.join(" "));
        println!("\n==> {shown}");
        let mut command = Command::new(&cargo);
        command
            .args(args)
            .current_dir(root())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .kill_on_drop(true);
        Step {
            command,
            shown,
            started: Instant::now(),
        }
    }

    /// The step's closing line for `status`: ok, or an error with the status and the time.
    pub fn finished(&self, status: ExitStatus) -> Result<(), String> {
        let (shown, took) = (&self.shown, self.started.elapsed().as_secs());
        if status.success() {
            println!("==> {shown}: ok ({took} s)");
            Ok(())
        } else {
            Err(format!("`{shown}` failed ({status}, {took} s)"))
        }
    }
}

/// Runs `cargo args` in the workspace root with extra environment variables, printing the
/// command first and counting the `test result:` lines of its output (see
/// [`crate::support::tally`]); fails when it exits non-zero, exceeds `limit`, or is
/// interrupted.
pub async fn cargo(args: &[&str], env: &[(String, String)], limit: Duration) -> Result<(), String> {
    let mut step = Step::cargo(args, env);
    let shown = step.shown.clone();
    let mut child = step
        .command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let stdout = child.stdout.take();
    let echo = tokio::spawn(async move {
        let Some(stdout) = stdout else { return };
        let mut lines = BufReader::new(stdout).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            println!("{line}");
            super::tally::count(&line);
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
    step.finished(outcome?)
}
