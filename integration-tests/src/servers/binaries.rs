//! The server binaries on this machine (`redis-server`, `redis-cli`, `memcached`), installed
//! from Debian packages when missing and running as root.

use super::{Error, Result, cmd};
use std::{
    os::unix::fs::MetadataExt,
    path::{Path, PathBuf},
    time::Duration,
};
use tokio::sync::Mutex;

/// The programs the local path runs and the container images are built from.
pub(crate) const PROGRAMS: [&str; 3] = ["redis-server", "redis-cli", "memcached"];
/// The Debian packages that provide [`PROGRAMS`].
const PACKAGES: [&str; 2] = ["redis-server", "memcached"];

/// Where `program` is installed, searching `PATH` and the usual system directories (a
/// non-root `PATH` often lacks `/usr/sbin`).
pub fn find(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/bin", "/usr/sbin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0)
}

/// True when this process runs as root (the owner of `/proc/self` is the effective user).
pub(crate) fn is_root() -> bool {
    Path::new("/proc/self")
        .metadata()
        .is_ok_and(|m| m.uid() == 0)
}

/// Makes sure every program of [`PROGRAMS`] is installed: runs `apt-get install` when some
/// are missing and this process is root, and fails naming the missing ones otherwise.
pub async fn ensure() -> Result<()> {
    // Parallel tests must not race on the dpkg lock.
    static INSTALLING: Mutex<()> = Mutex::const_new(());
    let _guard = INSTALLING.lock().await;
    let missing: Vec<&str> = PROGRAMS.into_iter().filter(|p| find(p).is_none()).collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() || find("apt-get").is_none() {
        return Err(Error::new(format!(
            "missing {}: install the Debian packages `{}` (or run as root with apt-get)",
            missing.join(", "),
            PACKAGES.join(" ")
        )));
    }
    tracing::info!("installing {} with apt-get", PACKAGES.join(" "));
    let limit = Duration::from_secs(600);
    cmd::run("apt-get", &["update", "-qq"], limit).await?;
    let mut args = vec!["install", "-y", "-qq", "--no-install-recommends"];
    args.extend(PACKAGES);
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    cmd::run_env("apt-get", &args, &env, limit).await?;
    match PROGRAMS.into_iter().find(|p| find(p).is_none()) {
        Some(still_missing) => Err(Error::new(format!(
            "apt-get installed {} but `{still_missing}` is still missing",
            PACKAGES.join(" ")
        ))),
        None => Ok(()),
    }
}

/// The version of an installed Debian package, if it is one.
pub(crate) async fn package_version(package: &str) -> Option<String> {
    let limit = Duration::from_secs(30);
    cmd::run("dpkg-query", &["-W", "-f", "${Version}", package], limit)
        .await
        .ok()
        .filter(|v| !v.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_shell_and_not_a_fantasy() {
        assert!(find("sh").is_some());
        assert!(find("no-such-program-easy-cache").is_none());
    }
}
