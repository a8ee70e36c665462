//! Private servers of a test: started on the run's path (containers or local processes, see
//! [`ServerMode::from_env`]), to be stopped, restarted and frozen without disturbing the
//! shared servers; removed when dropped.

use crate::servers::{
    MemcachedServers, RedisServer, ServerHandle, ServerMode, start_memcached, start_redis,
};

/// A kind of server a test starts privately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrivateServer {
    /// A standalone Redis.
    Redis,
    /// One Memcached server.
    Memcached,
}

impl PrivateServer {
    /// Starts one, or fails the test.
    pub async fn start(self) -> RunningServer {
        let mode = ServerMode::from_env();
        match self {
            PrivateServer::Redis => RunningServer::Redis(
                start_redis(mode)
                    .await
                    .unwrap_or_else(|e| panic!("cannot start a private redis: {e}")),
            ),
            PrivateServer::Memcached => RunningServer::Memcached(
                start_memcached(mode, 1)
                    .await
                    .unwrap_or_else(|e| panic!("cannot start a private memcached: {e}")),
            ),
        }
    }
}

/// A private server started by [`PrivateServer::start`].
#[derive(Debug)]
pub enum RunningServer {
    /// A standalone Redis.
    Redis(RedisServer),
    /// One Memcached server.
    Memcached(MemcachedServers),
}

impl RunningServer {
    /// Its URL.
    pub fn url(&self) -> String {
        match self {
            RunningServer::Redis(server) => server.url(),
            RunningServer::Memcached(servers) => servers.url(),
        }
    }

    /// The handle that stops, starts, pauses and unpauses it.
    pub fn handle(&self) -> &ServerHandle {
        match self {
            RunningServer::Redis(server) => server,
            RunningServer::Memcached(servers) => &servers.nodes()[0],
        }
    }
}
