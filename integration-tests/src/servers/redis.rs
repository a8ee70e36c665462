//! Redis: a standalone server and a cluster.

use super::{
    Error, Provider, Result, ServerHandle, binaries,
    handle::Protocol,
    image::{Flavor, image_for},
    local_dir, ports, probe,
};
use std::{
    ops::Deref,
    time::{Duration, Instant},
};

/// How long a new cluster may take to agree on its slots.
const CLUSTER_LIMIT: Duration = Duration::from_secs(30);

/// A standalone Redis server; derefs to its [`ServerHandle`] for `stop`/`start`/`pause`.
#[derive(Debug)]
pub struct RedisServer {
    handle: ServerHandle,
}

impl RedisServer {
    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.handle.address())
    }

    /// The handle of the server.
    pub fn into_handle(self) -> ServerHandle {
        self.handle
    }
}

impl Deref for RedisServer {
    type Target = ServerHandle;
    fn deref(&self) -> &ServerHandle {
        &self.handle
    }
}

/// A Redis Cluster on loopback: masters first, then their replicas.
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<ServerHandle>,
    masters: usize,
}

impl RedisCluster {
    /// `redis+cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,...` listing every node.
    pub fn url(&self) -> String {
        let addresses: Vec<String> = self.nodes.iter().map(ServerHandle::address).collect();
        format!("redis+cluster://{}", addresses.join(","))
    }

    /// Every node, as started (the first `masters()` were created as masters).
    pub fn nodes(&self) -> &[ServerHandle] {
        &self.nodes
    }

    /// How many masters the cluster was created with.
    pub fn masters(&self) -> usize {
        self.masters
    }

    /// The node handles.
    pub fn into_nodes(self) -> Vec<ServerHandle> {
        self.nodes
    }
}

/// The arguments of `redis-server` (without the program name).
fn server_args(port: u16, provider: Provider) -> Vec<String> {
    let mut args: Vec<String> = [
        "--port",
        &port.to_string(),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    .map(String::from)
    .into();
    if provider == Provider::Local {
        // Containers run in their image's writable /data; a local server in its own dir.
        args.extend(["--dir".to_owned(), ".".to_owned()]);
    }
    args
}

async fn start_node(provider: Provider, port: u16, extra: &[String]) -> Result<ServerHandle> {
    let mut args = server_args(port, provider);
    args.extend_from_slice(extra);
    match provider {
        Provider::Containers => {
            let image = image_for(Flavor::Redis).await?;
            let mut argv = vec!["redis-server".to_owned()];
            argv.extend(args);
            ServerHandle::container(&image, Protocol::Redis, port, &argv).await
        }
        Provider::Local => {
            let program = binaries::find("redis-server")
                .ok_or_else(|| Error::new("`redis-server` is not installed"))?;
            let dir = local_dir("redis", port);
            ServerHandle::local(program, Protocol::Redis, port, args, dir).await
        }
    }
}

/// Starts a standalone Redis on a free loopback port.
pub(crate) async fn start_standalone(provider: Provider) -> Result<RedisServer> {
    let handle = start_node(provider, ports::free_port()?, &[]).await?;
    Ok(RedisServer { handle })
}

/// Starts `masters * (1 + replicas)` cluster nodes, joins them with `redis-cli --cluster
/// create`, and waits until every node reports `cluster_state:ok` and knows all the others.
pub(crate) async fn start_cluster(
    provider: Provider,
    masters: usize,
    replicas: usize,
) -> Result<RedisCluster> {
    if masters < 3 {
        return Err(Error::new("a Redis Cluster needs at least 3 masters"));
    }
    let count = masters * (1 + replicas);
    let mut nodes = Vec::with_capacity(count);
    for _ in 0..count {
        let port = ports::free_port()?;
        let bus = ports::free_port()?;
        let extra: Vec<String> = [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            &format!("nodes-{port}.conf"),
            "--cluster-node-timeout",
            "3000",
            // A new replica's first sync starts at once, not after the default 5 s wait for
            // more replicas: a failover test needs the replicas to hold the data early.
            "--repl-diskless-sync-delay",
            "0",
            // Nodes tell clients where to go: it must be an address the tests can reach.
            "--cluster-announce-ip",
            "127.0.0.1",
            "--cluster-port",
            &bus.to_string(),
        ]
        .map(String::from)
        .into();
        nodes.push(start_node(provider, port, &extra).await?);
    }
    let addresses: Vec<String> = nodes.iter().map(ServerHandle::address).collect();
    let replicas = replicas.to_string();
    let mut args = vec!["--cluster", "create"];
    args.extend(addresses.iter().map(String::as_str));
    args.extend(["--cluster-replicas", &replicas, "--cluster-yes"]);
    nodes[0].exec("redis-cli", &args).await?;
    let cluster = RedisCluster { nodes, masters };
    wait_until_formed(&cluster).await?;
    Ok(cluster)
}

async fn wait_until_formed(cluster: &RedisCluster) -> Result<()> {
    let deadline = Instant::now() + CLUSTER_LIMIT;
    let expected_nodes = format!("cluster_known_nodes:{}", cluster.nodes.len());
    for node in &cluster.nodes {
        loop {
            let info = probe::redis_command(node.port(), &["CLUSTER", "INFO"]).await;
            match &info {
                Ok(info) if info.contains("cluster_state:ok") && info.contains(&expected_nodes) => {
                    break;
                }
                _ if Instant::now() > deadline => {
                    return Err(Error::new(format!(
                        "cluster node {node} not ready within {CLUSTER_LIMIT:?}: {info:?}"
                    )));
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    Ok(())
}
