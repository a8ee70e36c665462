//! Running helper programs (`docker`, `apt-get`, `redis-cli`) with a time limit.

use super::{Error, Result};
use std::{process::Stdio, time::Duration};
use tokio::process::Command;

/// Runs `program args` and returns its stdout; fails with stderr when it exits non-zero or
/// runs longer than `limit` (it is killed then).
pub(crate) async fn run(program: &str, args: &[&str], limit: Duration) -> Result<String> {
    run_env(program, args, &[], limit).await
}

/// [`run`] with extra environment variables.
pub(crate) async fn run_env(
    program: &str,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Result<String> {
    let shown = format!("{program} {}", args.join(" "));
    let child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::new(format!("cannot run `{shown}`: {e}")))?;
    let output = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .map_err(|_| Error::new(format!("`{shown}` did not finish within {limit:?}")))?
        .map_err(|e| Error::new(format!("`{shown}` failed: {e}")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(Error::new(format!(
            "`{shown}` exited with {}: {}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim(),
            String::from_utf8_lossy(&output.stdout).trim()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn returns_stdout_and_reports_failures() {
        assert_eq!(
            run("echo", &["hi"], Duration::from_secs(5)).await.unwrap(),
            "hi\n"
        );
        let err = run("false", &[], Duration::from_secs(5)).await.unwrap_err();
        assert!(err.to_string().contains("exited with"), "{err}");
        let err = run("sleep", &["5"], Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("did not finish"), "{err}");
    }
}
