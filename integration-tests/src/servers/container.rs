//! Server containers, run through testcontainers' async runner.
//!
//! Every testcontainers call runs on one runtime owned by this module (its own threads), not
//! on the caller's: testcontainers shares one Docker client per process, whose pooled
//! connections belong to the runtime that opened them, and each `#[tokio::test]` has a
//! runtime of its own that ends with the test. It also lets `Drop` remove a container
//! synchronously from any thread, inside a runtime or not, panicking or not.

use super::{
    Error, Result,
    docker::{LABEL, RUN_LABEL},
    docker_api::{self, ApiVersion},
    run_id,
};
use std::{
    future::Future,
    sync::{Arc, OnceLock},
    time::Duration,
};
use testcontainers::{ContainerAsync, GenericImage, ImageExt, runners::AsyncRunner};

/// Lifecycle calls are local and quick; a hung engine must not hang the tests.
const LIMIT: Duration = Duration::from_secs(60);

/// A running (or stopped, or paused) container; dropping it removes it.
pub(crate) struct Container {
    inner: Option<Arc<ContainerAsync<GenericImage>>>,
    id: String,
}

/// Starts a labelled container of `image` (`name:tag`) running `args` on the host network
/// (so ports and cluster announcements are the host's loopback).
pub(crate) async fn run(image: &str, kind: &str, args: &[String]) -> Result<Container> {
    let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    let request = GenericImage::new(name, tag)
        .with_cmd(args.to_vec())
        .with_label(LABEL, "1")
        .with_label(RUN_LABEL, run_id())
        .with_label(format!("{LABEL}.kind"), kind)
        .with_network("host");
    let started = on_runtime(async move { request.start().await }).await?;
    let container = started.map_err(|e| Error::new(format!("cannot start {image}: {e}")))?;
    Ok(Container {
        id: container.id().to_owned(),
        inner: Some(Arc::new(container)),
    })
}

impl Container {
    /// The container id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// `stop` (2 s before SIGKILL), `start`, `pause` or `unpause`.
    pub(crate) async fn lifecycle(&self, verb: &'static str) -> Result<()> {
        let Some(container) = self.inner.clone() else {
            return Err(Error::new(format!("container {} is gone", self.id)));
        };
        let done = on_runtime(async move {
            match verb {
                "stop" => container.stop_with_timeout(Some(2)).await,
                "start" => container.start().await,
                "pause" => container.pause().await,
                _ => container.unpause().await,
            }
        })
        .await?;
        done.map_err(|e| Error::new(format!("docker {verb} {}: {e}", self.id)))
    }

    /// Removes the container (and its anonymous volumes) now; later calls do nothing.
    pub(crate) async fn remove(&mut self) -> Result<()> {
        let Some(container) = self.inner.take() else {
            return Ok(());
        };
        let id = self.id.clone();
        let removed = on_runtime(async move { rm(container).await }).await?;
        removed.map_err(|e| Error::new(format!("docker rm {id}: {e}")))
    }

    /// Lets the container outlive this value (`services up`).
    pub(crate) fn detach(&mut self) {
        if let Some(container) = self.inner.take() {
            // Its `Drop` would remove it; the container is meant to stay.
            std::mem::forget(container);
        }
    }
}

async fn rm(
    container: Arc<ContainerAsync<GenericImage>>,
) -> testcontainers::core::error::Result<()> {
    match Arc::try_unwrap(container) {
        Ok(container) => container.rm().await,
        // Lifecycle calls hold a clone only while they run, and they have all returned.
        Err(container) => {
            tracing::warn!("container {} is still in use; not removed", container.id());
            Ok(())
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let Some(container) = self.inner.take() else {
            return;
        };
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(e) => {
                tracing::warn!("cannot remove container {}: {e}", self.id);
                return;
            }
        };
        let (tx, rx) = std::sync::mpsc::channel();
        runtime.spawn(async move {
            let _ = tx.send(rm(container).await);
        });
        // Blocking is fine: the removal runs on the module's own threads.
        match rx.recv_timeout(LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("cannot remove container {}: {e}", self.id),
            Err(_) => tracing::warn!("container {} not removed within {LIMIT:?}", self.id),
        }
    }
}

/// Ok when testcontainers can talk to the engine: the engine speaks testcontainers' API
/// version, or `DOCKER_HOST` points at a version shim in front of it (`cargo xtask`'s).
pub async fn usable() -> Result<()> {
    let socket = docker_api::engine_socket();
    let wanted = ApiVersion::testcontainers();
    let served = docker_api::engine_api_version(&socket).await?;
    if served >= wanted || docker_api::accepts(&socket, wanted).await {
        return Ok(());
    }
    Err(Error::new(format!(
        "the Docker engine at {} speaks API {served}, testcontainers needs {wanted}: run \
         through `cargo xtask`, which puts a version shim in front of it, or `eval \"$(cargo \
         xtask services up)\"` and use its DOCKER_HOST",
        socket.display()
    )))
}

/// Runs `future` on the module's runtime and waits for it.
async fn on_runtime<F>(future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::time::timeout(LIMIT, runtime()?.spawn(future))
        .await
        .map_err(|_| Error::new(format!("a docker call did not finish within {LIMIT:?}")))?
        .map_err(|e| Error::new(format!("a docker call failed: {e}")))
}

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            // Multi-threaded: testcontainers' own drop path uses `block_in_place` there.
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("easy-cache-docker")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot build the docker runtime: {e}"))
        })
        .as_ref()
        .map_err(|e| Error::new(e.clone()))
}
