//! One running server: a container or a local child process, with the lifecycle calls fault
//! tests need (stop, start, pause, unpause). Dropping the handle removes the server.

use super::{Error, Result, cmd, container, docker, probe};
use std::{
    fmt,
    fs::File,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

/// How long a server may take to accept connections after a start.
const READY_LIMIT: Duration = Duration::from_secs(20);

/// The wire protocol of a server, to know when it is ready.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Redis (RESP).
    Redis,
    /// Memcached (text protocol).
    Memcached,
}

enum Runner {
    Container {
        container: container::Container,
        image: String,
    },
    Local {
        program: PathBuf,
        args: Vec<String>,
        /// Working directory and log file (`server.log`); removed on drop.
        dir: PathBuf,
        child: Mutex<Option<Child>>,
    },
}

/// A server this process started. Dropping it removes the container or kills the process.
pub struct ServerHandle {
    protocol: Protocol,
    port: u16,
    runner: Runner,
    /// Set by [`ServerHandle::detach`]: the server must outlive this handle.
    detached: bool,
}

/// What is left of a detached server: enough for another process to stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detached {
    /// A container id.
    Container(String),
    /// A local process id and its directory.
    Process {
        /// The process id.
        pid: u32,
        /// Its working directory.
        dir: PathBuf,
    },
}

impl ServerHandle {
    /// Starts a labelled container running `args` and waits until it answers.
    pub(crate) async fn container(
        image: &str,
        protocol: Protocol,
        port: u16,
        args: &[String],
    ) -> Result<Self> {
        let kind = match protocol {
            Protocol::Redis => "redis",
            Protocol::Memcached => "memcached",
        };
        let container = container::run(image, kind, args).await?;
        let handle = ServerHandle {
            protocol,
            port,
            runner: Runner::Container {
                container,
                image: image.to_owned(),
            },
            detached: false,
        };
        handle.wait_ready().await?;
        Ok(handle)
    }

    /// Starts `program args` as a child process in `dir` and waits until it answers.
    pub(crate) async fn local(
        program: PathBuf,
        protocol: Protocol,
        port: u16,
        args: Vec<String>,
        dir: PathBuf,
    ) -> Result<Self> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
        let handle = ServerHandle {
            protocol,
            port,
            runner: Runner::Local {
                program,
                args,
                dir,
                child: Mutex::new(None),
            },
            detached: false,
        };
        handle.spawn()?;
        handle.wait_ready().await?;
        Ok(handle)
    }

    /// The loopback port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// True for a container, false for a local process.
    pub fn is_container(&self) -> bool {
        matches!(self.runner, Runner::Container { .. })
    }

    /// Stops the server (container stop / process kill) and waits until its port is closed.
    pub async fn stop(&self) -> Result<()> {
        match &self.runner {
            Runner::Container { container, .. } => container.lifecycle("stop").await?,
            Runner::Local { child, .. } => {
                if let Some(mut child) = lock(child).take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
        let deadline = Instant::now() + READY_LIMIT;
        while !probe::port_closed(self.port).await {
            if Instant::now() > deadline {
                return Err(Error::new(format!("{self} still listens after stop")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Starts a stopped server again on the same port and waits until it answers.
    pub async fn start(&self) -> Result<()> {
        match &self.runner {
            Runner::Container { container, .. } => container.lifecycle("start").await?,
            Runner::Local { .. } => self.spawn()?,
        }
        self.wait_ready().await
    }

    /// Freezes the server: connections stay open but nothing answers (timeouts, not errors).
    /// Returns once every thread of the server is stopped, so a request sent afterwards
    /// cannot be answered until [`ServerHandle::unpause`].
    pub async fn pause(&self) -> Result<()> {
        match &self.runner {
            // `docker pause` returns once the cgroup freezer reports the container frozen.
            Runner::Container { container, .. } => container.lifecycle("pause").await,
            Runner::Local { .. } => {
                self.signal("-STOP").await?;
                self.wait_all_threads_stopped().await
            }
        }
    }

    /// Resumes a paused server.
    pub async fn unpause(&self) -> Result<()> {
        match &self.runner {
            Runner::Container { container, .. } => container.lifecycle("unpause").await,
            Runner::Local { .. } => self.signal("-CONT").await,
        }
    }

    /// Runs a command next to the server: inside the container, or on the host.
    pub(crate) async fn exec(&self, program: &str, args: &[&str]) -> Result<String> {
        match &self.runner {
            Runner::Container { container, .. } => {
                let mut argv = vec![program];
                argv.extend_from_slice(args);
                docker::exec(container.id(), &argv).await
            }
            Runner::Local { .. } => {
                let path = super::binaries::find(program)
                    .ok_or_else(|| Error::new(format!("`{program}` is not installed")))?;
                cmd::run(&path.to_string_lossy(), args, Duration::from_secs(60)).await
            }
        }
    }

    /// The container id, for a container.
    pub fn container_id(&self) -> Option<&str> {
        match &self.runner {
            Runner::Container { container, .. } => Some(container.id()),
            Runner::Local { .. } => None,
        }
    }

    /// Gives the server up: it keeps running after this handle is gone (`services up`).
    pub fn detach(mut self) -> Detached {
        self.detached = true;
        match &mut self.runner {
            Runner::Container { container, .. } => {
                container.detach();
                Detached::Container(container.id().to_owned())
            }
            Runner::Local { dir, child, .. } => Detached::Process {
                pid: lock(child).as_ref().map_or(0, Child::id),
                dir: dir.clone(),
            },
        }
    }

    /// Removes the server now: a container through the engine (reporting failures), a
    /// process as dropping does.
    pub async fn remove(mut self) -> Result<()> {
        match &mut self.runner {
            Runner::Container { container, .. } => container.remove().await,
            Runner::Local { .. } => Ok(()),
        }
    }

    fn spawn(&self) -> Result<()> {
        let Runner::Local {
            program,
            args,
            dir,
            child,
        } = &self.runner
        else {
            return Ok(());
        };
        let log = File::options()
            .create(true)
            .append(true)
            .open(dir.join("server.log"))
            .map_err(|e| Error::new(format!("cannot open a log in {}: {e}", dir.display())))?;
        let log_err = log
            .try_clone()
            .map_err(|e| Error::new(format!("cannot clone a log handle: {e}")))?;
        let spawned = Command::new(program)
            .args(args)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|e| Error::new(format!("cannot start {}: {e}", program.display())))?;
        *lock(child) = Some(spawned);
        Ok(())
    }

    async fn signal(&self, signal: &str) -> Result<()> {
        let Some(pid) = self.local_pid()? else {
            return Ok(());
        };
        cmd::run("kill", &[signal, &pid.to_string()], Duration::from_secs(5))
            .await
            .map(drop)
    }

    /// The process id of a local server (`None` for a container); an error when it is not
    /// running.
    fn local_pid(&self) -> Result<Option<u32>> {
        let Runner::Local { child, .. } = &self.runner else {
            return Ok(None);
        };
        // The guard must be gone before formatting `self` (Display locks too).
        let pid = lock(child).as_ref().map(Child::id);
        pid.map(Some)
            .ok_or_else(|| Error::new(format!("{self} is not running")))
    }

    /// `kill -STOP` only queues the signal: each thread stops when it next runs, which on a
    /// loaded machine can be milliseconds later, and until then a worker thread still answers.
    async fn wait_all_threads_stopped(&self) -> Result<()> {
        let Some(pid) = self.local_pid()? else {
            return Ok(());
        };
        let deadline = Instant::now() + READY_LIMIT;
        loop {
            match proc_threads_stopped(pid) {
                Ok(true) => return Ok(()),
                Ok(false) if Instant::now() < deadline => {}
                Ok(false) => {
                    return Err(Error::new(format!(
                        "{self} still runs {READY_LIMIT:?} after SIGSTOP"
                    )));
                }
                Err(e) => return Err(Error::new(format!("{self}: {e}"))),
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    async fn wait_ready(&self) -> Result<()> {
        let deadline = Instant::now() + READY_LIMIT;
        loop {
            let ready = match self.protocol {
                Protocol::Redis => probe::redis_ready(self.port).await,
                Protocol::Memcached => probe::memcached_ready(self.port).await,
            };
            if ready {
                return Ok(());
            }
            if let Some(status) = self.exited() {
                return Err(Error::new(format!(
                    "{self} exited ({status}) before answering:\n{}",
                    self.log_tail().await
                )));
            }
            if Instant::now() > deadline {
                return Err(Error::new(format!(
                    "{self} did not answer within {READY_LIMIT:?}:\n{}",
                    self.log_tail().await
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The exit status of a local process that died.
    fn exited(&self) -> Option<String> {
        let Runner::Local { child, .. } = &self.runner else {
            return None;
        };
        let mut child = lock(child);
        let status = child.as_mut()?.try_wait().ok()??;
        Some(status.to_string())
    }

    async fn log_tail(&self) -> String {
        match &self.runner {
            Runner::Container { container, .. } => docker::logs(container.id()).await,
            Runner::Local { dir, .. } => tail(&dir.join("server.log")),
        }
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// True when every thread of process `pid` is in the stopped state (`T` in
/// `/proc/<pid>/task/<tid>/stat`, read after the command name, which may hold spaces).
fn proc_threads_stopped(pid: u32) -> std::io::Result<bool> {
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let stat = match std::fs::read_to_string(task?.path().join("stat")) {
            Ok(stat) => stat,
            // A thread that ended meanwhile is not running either.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next());
        if state != Some('T') {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A poisoned lock only means another test panicked; the child handle is still valid.
fn lock(child: &Mutex<Option<Child>>) -> std::sync::MutexGuard<'_, Option<Child>> {
    child.lock().unwrap_or_else(|p| p.into_inner())
}

impl fmt::Display for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.protocol {
            Protocol::Redis => "redis",
            Protocol::Memcached => "memcached",
        };
        match &self.runner {
            Runner::Container { container, image } => {
                let id = container.id();
                let short = id.get(..12).unwrap_or(id);
                write!(
                    f,
                    "{what} at {} (container {short}, image {image})",
                    self.address()
                )
            }
            Runner::Local { program, child, .. } => {
                let pid = lock(child).as_ref().map(Child::id);
                let pid = pid.map_or_else(|| "stopped".to_owned(), |p| format!("pid {p}"));
                let program = program.display();
                write!(f, "{what} at {} (local {program}, {pid})", self.address())
            }
        }
    }
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if self.detached {
            return;
        }
        match &self.runner {
            // Dropping the container removes it, synchronously (see `container`).
            Runner::Container { .. } => {}
            Runner::Local { child, dir, .. } => {
                if let Some(mut child) = lock(child).take() {
                    // SIGKILL also ends a process stopped by `pause`.
                    let _ = child.kill();
                    let _ = child.wait();
                }
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}
