//! Real servers for the integration tests: Redis, a Redis Cluster and Memcached, started
//! either in containers (Docker, images built locally once, see [`docker`]) or as local
//! child processes of the Debian binaries.
//!
//! Every server listens on a free port of 127.0.0.1 and is removed when its handle drops
//! (containers also carry the label `easy-cache-test=1` and the run's id, so
//! [`docker::sweep`] can remove leftovers of a crashed run).
//!
//! ```no_run
//! # async fn demo() -> easy_cache_integration_tests::servers::Result<()> {
//! use easy_cache_integration_tests::servers::{ServerMode, start_redis};
//! // A private server for a fault test, on the same path as the rest of the run.
//! let redis = start_redis(ServerMode::from_env()).await?;
//! println!("{}", redis.url());
//! redis.pause().await?;   // requests now time out
//! redis.unpause().await?;
//! redis.stop().await?;    // connections are refused
//! redis.start().await?;   // same port, empty data
//! # Ok(()) }
//! ```

mod binaries;
mod cmd;
mod container;
pub mod docker;
pub mod docker_api;
mod error;
mod handle;
mod image;
mod memcached;
mod ports;
mod probe;
mod redis;

pub use binaries::{ensure as ensure_binaries, find as find_binary};
pub use error::{Error, Result};
pub use handle::{Detached, ServerHandle};
pub use memcached::MemcachedServers;
pub use redis::{RedisCluster, RedisServer};

use std::{fmt, path::PathBuf, sync::OnceLock};

/// How to start servers, as asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServerMode {
    /// Containers when a Docker engine answers within a few seconds, else local processes.
    #[default]
    Auto,
    /// Containers only (an error without Docker).
    Containers,
    /// Local child processes of `redis-server` / `memcached`.
    Local,
}

/// How servers are actually started: [`ServerMode`] resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Docker containers.
    Containers,
    /// Local child processes.
    Local,
}

impl ServerMode {
    /// Parses `auto`, `containers` or `local`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Some(ServerMode::Auto),
            "containers" | "container" | "docker" => Some(ServerMode::Containers),
            "local" => Some(ServerMode::Local),
            _ => None,
        }
    }

    /// The mode in [`crate::env::SERVERS`] (set by `cargo xtask test`), else `Auto`; so a
    /// test's private server runs the same way as the shared ones.
    pub fn from_env() -> Self {
        std::env::var(crate::env::SERVERS)
            .ok()
            .and_then(|v| ServerMode::parse(&v))
            .unwrap_or_default()
    }

    /// Decides the provider, and makes sure it can run: Docker answers, or the binaries are
    /// installed (installing them with apt-get when root).
    pub async fn resolve(self) -> Result<Provider> {
        let provider = match self {
            ServerMode::Local => Provider::Local,
            ServerMode::Containers => match containers_usable().await {
                Ok(()) => Provider::Containers,
                Err(e) => return Err(Error::new(format!("containers asked for, but {e}"))),
            },
            ServerMode::Auto => match containers_usable().await {
                Ok(()) => Provider::Containers,
                Err(e) => {
                    tracing::info!("servers run as local processes: {e}");
                    Provider::Local
                }
            },
        };
        if provider == Provider::Local {
            binaries::ensure().await?;
        }
        Ok(provider)
    }
}

/// Ok when containers can run: a Docker engine answers, and testcontainers can talk to it
/// (directly, or through the Docker API version shim `DOCKER_HOST` points at).
pub async fn containers_usable() -> Result<()> {
    if !docker::available().await {
        return Err(Error::new("`docker info` fails"));
    }
    container::usable().await
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Provider::Containers => "containers",
            Provider::Local => "local",
        })
    }
}

/// Which servers [`Servers::start_with`] starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServersSpec {
    /// A standalone Redis.
    pub redis: bool,
    /// A Redis Cluster of `cluster_masters` masters with `cluster_replicas` replicas each
    /// (0 for none).
    pub redis_cluster: bool,
    /// Masters of the cluster (at least 3).
    pub cluster_masters: usize,
    /// Replicas per master.
    pub cluster_replicas: usize,
    /// How many Memcached servers (0 for none).
    pub memcached: usize,
}

impl Default for ServersSpec {
    /// Everything: Redis, a cluster of 3 masters + 3 replicas, 3 Memcached servers (a ring
    /// of three, where one server's share of the keys is about a third).
    fn default() -> Self {
        ServersSpec {
            redis: true,
            redis_cluster: true,
            cluster_masters: 3,
            cluster_replicas: 1,
            memcached: 3,
        }
    }
}

/// The servers of a test run. Dropping it removes them.
#[derive(Debug)]
pub struct Servers {
    provider: Provider,
    /// The standalone Redis, if started.
    pub redis: Option<RedisServer>,
    /// The Redis Cluster, if started.
    pub redis_cluster: Option<RedisCluster>,
    /// The Memcached servers, if started.
    pub memcached: Option<MemcachedServers>,
}

impl Servers {
    /// Starts every server of [`ServersSpec::default`].
    pub async fn start(mode: ServerMode) -> Result<Self> {
        Self::start_with(mode, &ServersSpec::default()).await
    }

    /// Starts the servers `spec` asks for. On failure, those already started are removed.
    pub async fn start_with(mode: ServerMode, spec: &ServersSpec) -> Result<Self> {
        let provider = mode.resolve().await?;
        let mut servers = Servers {
            provider,
            redis: None,
            redis_cluster: None,
            memcached: None,
        };
        if spec.redis {
            servers.redis = Some(redis::start_standalone(provider).await?);
        }
        if spec.redis_cluster {
            let (masters, replicas) = (spec.cluster_masters, spec.cluster_replicas);
            servers.redis_cluster = Some(redis::start_cluster(provider, masters, replicas).await?);
        }
        if spec.memcached > 0 {
            servers.memcached = Some(memcached::start(provider, spec.memcached).await?);
        }
        Ok(servers)
    }

    /// Containers or local processes.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The URL of the standalone Redis.
    pub fn redis_url(&self) -> Option<String> {
        self.redis.as_ref().map(RedisServer::url)
    }

    /// The URL of the Redis Cluster.
    pub fn redis_cluster_url(&self) -> Option<String> {
        self.redis_cluster.as_ref().map(RedisCluster::url)
    }

    /// The URL of the Memcached servers.
    pub fn memcached_url(&self) -> Option<String> {
        self.memcached.as_ref().map(MemcachedServers::url)
    }

    /// The environment variables of [`crate::env`] pointing at these servers.
    pub fn env_vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![(crate::env::SERVERS, self.provider.to_string())];
        let urls = [
            (crate::env::REDIS_URL, self.redis_url()),
            (crate::env::REDIS_CLUSTER_URL, self.redis_cluster_url()),
            (crate::env::MEMCACHED_URL, self.memcached_url()),
        ];
        vars.extend(urls.into_iter().filter_map(|(k, v)| Some((k, v?))));
        vars
    }

    /// Every server handle.
    pub fn handles(&self) -> Vec<&ServerHandle> {
        let mut all: Vec<&ServerHandle> = self.redis.iter().map(|r| &**r).collect();
        all.extend(self.redis_cluster.iter().flat_map(|c| c.nodes()));
        all.extend(self.memcached.iter().flat_map(|m| m.nodes()));
        all
    }

    /// Removes every server (containers through testcontainers, processes by kill) and
    /// reports the first failure. Dropping does the same, logging failures.
    pub async fn shutdown(self) -> Result<()> {
        let mut outcome = Ok(());
        for handle in self.into_handles() {
            let removed = handle.remove().await;
            if outcome.is_ok() {
                outcome = removed;
            }
        }
        outcome
    }

    fn into_handles(self) -> Vec<ServerHandle> {
        let mut all: Vec<ServerHandle> = self
            .redis
            .map(RedisServer::into_handle)
            .into_iter()
            .collect();
        all.extend(
            self.redis_cluster
                .into_iter()
                .flat_map(RedisCluster::into_nodes),
        );
        all.extend(
            self.memcached
                .into_iter()
                .flat_map(MemcachedServers::into_nodes),
        );
        all
    }

    /// Lets every server outlive this value; returns what is needed to stop them later.
    pub fn detach(self) -> Vec<Detached> {
        self.into_handles()
            .into_iter()
            .map(ServerHandle::detach)
            .collect()
    }
}

/// Starts a private standalone Redis (for a fault test that stops or pauses it).
pub async fn start_redis(mode: ServerMode) -> Result<RedisServer> {
    redis::start_standalone(mode.resolve().await?).await
}

/// Starts a private Redis Cluster of `masters` masters with `replicas` replicas each.
pub async fn start_redis_cluster(
    mode: ServerMode,
    masters: usize,
    replicas: usize,
) -> Result<RedisCluster> {
    redis::start_cluster(mode.resolve().await?, masters, replicas).await
}

/// Starts `count` private Memcached servers.
pub async fn start_memcached(mode: ServerMode, count: usize) -> Result<MemcachedServers> {
    memcached::start(mode.resolve().await?, count).await
}

static RUN_ID: OnceLock<String> = OnceLock::new();

/// Sets this process's run id (see [`crate::env::RUN_ID`]) before any server starts;
/// returns false when it was already fixed.
pub fn set_run_id(id: String) -> bool {
    RUN_ID.set(id).is_ok()
}

/// The run id containers are labelled with: the one set by [`set_run_id`], else
/// [`crate::env::RUN_ID`], else one made up for this process.
pub fn run_id() -> &'static str {
    RUN_ID.get_or_init(|| {
        std::env::var(crate::env::RUN_ID)
            .ok()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(new_run_id)
    })
}

/// A fresh run id.
pub fn new_run_id() -> String {
    format!("{}-{:08x}", std::process::id(), fastrand::u32(..))
}

/// A fresh working directory for a local server.
fn local_dir(kind: &str, port: u16) -> PathBuf {
    std::env::temp_dir()
        .join("easy-cache-test")
        .join(format!("{kind}-{port}-{:08x}", fastrand::u32(..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse() {
        assert_eq!(ServerMode::parse("Local"), Some(ServerMode::Local));
        assert_eq!(
            ServerMode::parse("containers"),
            Some(ServerMode::Containers)
        );
        assert_eq!(ServerMode::parse("auto"), Some(ServerMode::Auto));
        assert_eq!(ServerMode::parse("cloud"), None);
    }

    /// Both paths, end to end: start a server, stop, restart, pause; the handle's drop
    /// removes it.
    async fn lifecycle(mode: ServerMode) {
        let redis_server = start_redis(mode).await.unwrap();
        let port = redis_server.port();
        let redis: &ServerHandle = &redis_server;
        assert!(probe::redis_ready(port).await, "{redis} should answer");
        redis.pause().await.unwrap();
        assert!(!probe::redis_ready(port).await, "{redis} should be frozen");
        redis.unpause().await.unwrap();
        assert!(
            probe::redis_ready(port).await,
            "{redis} should answer again"
        );
        redis.stop().await.unwrap();
        assert!(probe::port_closed(port).await, "{redis} should be down");
        redis.start().await.unwrap();
        assert!(probe::redis_ready(port).await, "{redis} should be back");
        drop(redis_server);
        assert!(
            probe::port_closed(port).await,
            "dropping must remove the server"
        );
    }

    #[tokio::test]
    async fn local_server_lifecycle() {
        lifecycle(ServerMode::Local).await;
    }

    #[tokio::test]
    async fn container_server_lifecycle() {
        // Where testcontainers can reach Docker (always when the run asked for containers);
        // elsewhere the local test covers the handle.
        if ServerMode::from_env() == ServerMode::Containers || containers_usable().await.is_ok() {
            lifecycle(ServerMode::Containers).await;
        }
    }
}
