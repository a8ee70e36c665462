//! Memcached: N independent servers (the client shards keys over them).

use super::{
    Error, Provider, Result, ServerHandle, binaries,
    handle::Protocol,
    image::{Flavor, image_for},
    local_dir, ports, probe,
};
use std::collections::BTreeMap;

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

    /// The `stats` of server `index` (name to value, e.g. `curr_items`).
    pub async fn stats(&self, index: usize) -> Result<BTreeMap<String, String>> {
        let node = self.node(index)?;
        probe::memcached_stats(node.port()).await
    }

    /// How many items server `index` holds now (its `curr_items`): a test counts where its
    /// keys went.
    pub async fn item_count(&self, index: usize) -> Result<u64> {
        let stats = self.stats(index).await?;
        let node = self.node(index)?;
        stats
            .get("curr_items")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| Error::new(format!("{node} reports no numeric `curr_items`")))
    }

    fn node(&self, index: usize) -> Result<&ServerHandle> {
        self.nodes.get(index).ok_or_else(|| {
            Error::new(format!(
                "no memcached server {index}: there are {}",
                self.nodes.len()
            ))
        })
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

#[cfg(test)]
mod tests {
    use super::super::ServerMode;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    #[tokio::test]
    async fn item_count_follows_stores() {
        let servers = super::super::start_memcached(ServerMode::Local, 2)
            .await
            .unwrap();
        assert_eq!(servers.item_count(0).await.unwrap(), 0);
        let mut stream = tokio::net::TcpStream::connect(servers.nodes()[0].address())
            .await
            .unwrap();
        stream
            .write_all(b"set a 0 0 1\r\nx\r\nset b 0 0 1\r\ny\r\n")
            .await
            .unwrap();
        let mut reader = BufReader::new(stream);
        for _ in 0..2 {
            let mut line = String::new();
            reader.read_line(&mut line).await.unwrap();
            assert_eq!(line, "STORED\r\n");
        }
        assert_eq!(servers.item_count(0).await.unwrap(), 2);
        assert_eq!(servers.item_count(1).await.unwrap(), 0);
        assert!(servers.stats(0).await.unwrap().contains_key("version"));
        assert!(
            servers.item_count(2).await.is_err(),
            "there is no third server"
        );
    }
}
