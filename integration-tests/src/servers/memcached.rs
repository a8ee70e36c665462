//! Memcached: N independent servers (the client shards keys over them).

use super::{
    Error, Provider, Result, ServerHandle, binaries,
    handle::Protocol,
    image::{Flavor, image_for},
    local_dir, ports,
};

/// Some Memcached servers; the URL lists them all.
#[derive(Debug)]
pub struct MemcachedServers {
    nodes: Vec<ServerHandle>,
}

impl MemcachedServers {
    /// `memcache://127.0.0.1:<p1>,127.0.0.1:<p2>,...`.
    pub fn url(&self) -> String {
        let addresses: Vec<String> = self.nodes.iter().map(ServerHandle::address).collect();
        format!("memcache://{}", addresses.join(","))
    }

    /// Every server.
    pub fn nodes(&self) -> &[ServerHandle] {
        &self.nodes
    }

    /// The server handles.
    pub fn into_nodes(self) -> Vec<ServerHandle> {
        self.nodes
    }
}

/// Starts `count` Memcached servers on free loopback ports.
pub(crate) async fn start(provider: Provider, count: usize) -> Result<MemcachedServers> {
    let mut nodes = Vec::with_capacity(count);
    for _ in 0..count {
        let port = ports::free_port()?;
        // UDP off (-U 0): nothing uses it and it is an amplification vector.
        let mut args: Vec<String> = ["-p", &port.to_string(), "-U", "0", "-l", "127.0.0.1"]
            .map(String::from)
            .into();
        args.extend(["-t", "2", "-m", "64"].map(String::from));
        let node = match provider {
            Provider::Containers => {
                let image = image_for(Flavor::Memcached).await?;
                let mut argv = vec!["memcached".to_owned()];
                argv.extend(args);
                ServerHandle::container(&image, Protocol::Memcached, port, &argv).await?
            }
            Provider::Local => {
                if binaries::is_root() {
                    // memcached refuses to run as root without naming a user.
                    args.extend(["-u".to_owned(), "root".to_owned()]);
                }
                let program = binaries::find("memcached")
                    .ok_or_else(|| Error::new("`memcached` is not installed"))?;
                let dir = local_dir("memcached", port);
                ServerHandle::local(program, Protocol::Memcached, port, args, dir).await?
            }
        };
        nodes.push(node);
    }
    Ok(MemcachedServers { nodes })
}
