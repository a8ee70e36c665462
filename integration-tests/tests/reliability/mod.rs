//! Helpers shared by the `reliability_*` tests: a fault-injecting TCP proxy that sits between
//! a backend and its real server, and small URL helpers.
// Every test crate includes this module but uses only part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Bytes no Redis or Memcached client can parse as a reply (no valid RESP type byte, no
/// memcached keyword, invalid UTF-8).
pub const GARBAGE: &[u8] = b"\x00\xff\xfe\x01@@ not a reply \xc3\x28\r\n\x00\x00\r\n";

/// How the proxy treats traffic; switchable while connections are open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward both directions unchanged.
    Pass,
    /// Forward, but hold every chunk (so every byte) for this long first: a slow network.
    Delay(Duration),
    /// Accept connections and requests, never answer: a hung server.
    Swallow,
    /// Close every connection, open ones included, as soon as it is seen: a dead server.
    Close,
    /// Answer every request with bytes that are not a valid reply: a confused server.
    Garbage,
}

/// A loopback TCP proxy in front of `upstream`; stops when dropped.
pub struct Proxy {
    port: u16,
    mode: watch::Sender<Mode>,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream` in [`Mode::Pass`].
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let (mode, watcher) = watch::channel(Mode::Pass);
        let accept = tokio::spawn(async move {
            loop {
                if let Ok((client, _)) = listener.accept().await {
                    tokio::spawn(serve(client, upstream, watcher.clone()));
                }
            }
        });
        Proxy { port, mode, accept }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Switches every connection, open or future, to `mode`.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Dropping the sender ends the connection tasks (their `changed()` fails).
        self.accept.abort();
    }
}

/// One client connection, until either side closes or the proxy decides it must end.
async fn serve(mut client: TcpStream, upstream: SocketAddr, mut watcher: watch::Receiver<Mode>) {
    let mut mode = *watcher.borrow_and_update();
    if mode == Mode::Close {
        return;
    }
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_read, mut client_write) = client.split();
    let (mut server_read, mut server_write) = server.split();
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            changed = watcher.changed() => {
                if changed.is_err() {
                    return;
                }
                let next = *watcher.borrow_and_update();
                // A hung or confused server loses or corrupts bytes, which TCP never does on
                // its own: end such connections when the condition changes, as the restart of
                // a real server would. A slow network loses nothing: those connections go on.
                if next == Mode::Close || (next != mode && matches!(mode, Mode::Swallow | Mode::Garbage)) {
                    return;
                }
                mode = next;
            }
            read = client_read.read(&mut up) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let written = match mode {
                    Mode::Pass => server_write.write_all(&up[..n]).await,
                    Mode::Delay(delay) => {
                        tokio::time::sleep(delay).await;
                        server_write.write_all(&up[..n]).await
                    }
                    Mode::Swallow => Ok(()),
                    Mode::Garbage => client_write.write_all(GARBAGE).await,
                    Mode::Close => return,
                };
                if written.is_err() {
                    return;
                }
            }
            read = server_read.read(&mut down) => {
                let n = match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let written = match mode {
                    Mode::Pass => client_write.write_all(&down[..n]).await,
                    Mode::Delay(delay) => {
                        tokio::time::sleep(delay).await;
                        client_write.write_all(&down[..n]).await
                    }
                    // The server's real answers never reach the client.
                    Mode::Swallow | Mode::Garbage => Ok(()),
                    Mode::Close => return,
                };
                if written.is_err() {
                    return;
                }
            }
        }
    }
}

/// The first `host:port` of a server URL such as `redis://127.0.0.1:6379/0` or
/// `memcache://user:pw@127.0.0.1:11211,127.0.0.1:11212?timeout_ms=5`, resolved.
pub fn first_server(url: &str, default_port: u16) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let hosts = authority
        .rsplit_once('@')
        .map_or(authority, |(_, hosts)| hosts);
    let first = hosts.split(',').next().unwrap_or(hosts);
    let with_port = if first.contains(':') {
        first.to_owned()
    } else {
        format!("{first}:{default_port}")
    };
    std::net::ToSocketAddrs::to_socket_addrs(&with_port)
        .ok()
        .and_then(|mut addrs| addrs.next())
        .unwrap_or_else(|| panic!("cannot resolve the server `{with_port}` of `{url}`"))
}

/// `url` with `option=value` appended to its query string.
pub fn with_option(url: &str, option: &str, value: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{option}={value}")
}

/// A fresh namespace for keys, tags and prefixes, so runs never see each other's entries.
pub fn namespace(label: &str) -> String {
    format!("rel{label}{}", fastrand::u64(..))
}
