//! Helpers shared by the `reliability_*` tests (and `redis_tracking`): a fault-injecting TCP
//! proxy that sits between a backend and its real server, and small URL helpers.
// Every test crate includes this module but uses only part of it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Keep every connection open and forward nothing, either way: a black-holed route (no
    /// reply, no FIN, no RST). Connections that saw this mode stay silent for good, whatever
    /// the mode becomes, as behind a NAT entry that is gone; only connections opened after
    /// the mode changes forward again.
    Silent,
}

/// A loopback TCP proxy in front of `upstream`; stops when dropped.
pub struct Proxy {
    port: u16,
    mode: watch::Sender<Mode>,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

/// What the proxy's connection tasks share besides the mode.
#[derive(Default)]
struct Shared {
    /// Connections accepted so far; each task's number is its place in this count.
    accepted: AtomicU64,
    /// Connections numbered up to this one were open when the proxy went [`Mode::Silent`]:
    /// they forward nothing, ever again.
    silenced: AtomicU64,
    /// A reply the proxy gives to `CLIENT TRACKING` instead of the server, and how many more
    /// times: see [`Proxy::refuse_tracking`].
    tracking_refusal: Mutex<(&'static str, usize)>,
}

impl Shared {
    /// If `request` is a `CLIENT TRACKING` command to refuse, the refusal to answer with.
    fn refusal_for(&self, request: &[u8]) -> Option<&'static str> {
        let mut refusal = self.tracking_refusal.lock().unwrap();
        let is_tracking = request.starts_with(b"*")
            && request
                .windows(8)
                .any(|w| w.eq_ignore_ascii_case(b"TRACKING"));
        if !is_tracking || refusal.1 == 0 {
            return None;
        }
        refusal.1 -= 1;
        Some(refusal.0)
    }
}

impl Proxy {
    /// Listens on `127.0.0.1:0` and forwards to `upstream` in [`Mode::Pass`].
    pub async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let (mode, watcher) = watch::channel(Mode::Pass);
        let shared = Arc::new(Shared::default());
        let tasks = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            loop {
                if let Ok((client, _)) = listener.accept().await {
                    let number = tasks.accepted.fetch_add(1, Ordering::SeqCst) + 1;
                    let connection = Connection {
                        number,
                        shared: Arc::clone(&tasks),
                        watcher: watcher.clone(),
                    };
                    tokio::spawn(serve(client, upstream, connection));
                }
            }
        });
        Proxy {
            port,
            mode,
            shared,
            accept,
        }
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Switches every connection, open or future, to `mode`. Once this returns with
    /// [`Mode::Silent`], no connection open at that moment forwards another byte.
    pub fn set_mode(&self, mode: Mode) {
        self.mode.send_replace(mode);
        if mode == Mode::Silent {
            // After the mode: a connection accepted after this load reads the mode as silent.
            let accepted = self.shared.accepted.load(Ordering::SeqCst);
            self.shared.silenced.fetch_max(accepted, Ordering::SeqCst);
        }
    }

    /// Answers the next `times` `CLIENT TRACKING` commands with `reply` (a RESP error line
    /// such as `-LOADING Redis is loading the dataset in memory\r\n`) instead of passing
    /// them on; other commands pass as the mode says. A command is recognized when one read
    /// starts with it, as a client's single request on an idle connection does.
    pub fn refuse_tracking(&self, reply: &'static str, times: usize) {
        *self.shared.tracking_refusal.lock().unwrap() = (reply, times);
    }

    /// How many of the refusals asked for by [`Proxy::refuse_tracking`] are still to come.
    pub fn tracking_refusals_left(&self) -> usize {
        self.shared.tracking_refusal.lock().unwrap().1
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Dropping the sender ends the connection tasks (their `changed()` fails).
        self.accept.abort();
    }
}

/// One accepted connection's view of the proxy.
struct Connection {
    number: u64,
    shared: Arc<Shared>,
    watcher: watch::Receiver<Mode>,
}

impl Connection {
    /// Whether the proxy went silent while this connection was open.
    fn silenced(&self) -> bool {
        self.number <= self.shared.silenced.load(Ordering::SeqCst)
    }
}

/// One client connection, until either side closes or the proxy decides it must end.
async fn serve(mut client: TcpStream, upstream: SocketAddr, mut connection: Connection) {
    let mut mode = *connection.watcher.borrow_and_update();
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
        if mode == Mode::Silent || connection.silenced() {
            return black_hole(&mut client_read, &mut server_read, &mut connection.watcher).await;
        }
        tokio::select! {
            changed = connection.watcher.changed() => {
                if changed.is_err() {
                    return;
                }
                let next = *connection.watcher.borrow_and_update();
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
                if connection.silenced() {
                    continue;
                }
                if let Some(reply) = connection.shared.refusal_for(&up[..n]) {
                    if client_write.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    continue;
                }
                let written = match mode {
                    Mode::Pass => server_write.write_all(&up[..n]).await,
                    Mode::Delay(delay) => {
                        tokio::time::sleep(delay).await;
                        server_write.write_all(&up[..n]).await
                    }
                    Mode::Swallow => Ok(()),
                    Mode::Garbage => client_write.write_all(GARBAGE).await,
                    Mode::Close | Mode::Silent => return,
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
                if connection.silenced() {
                    continue;
                }
                let written = match mode {
                    Mode::Pass => client_write.write_all(&down[..n]).await,
                    Mode::Delay(delay) => {
                        tokio::time::sleep(delay).await;
                        client_write.write_all(&down[..n]).await
                    }
                    // The server's real answers never reach the client.
                    Mode::Swallow | Mode::Garbage => Ok(()),
                    Mode::Close | Mode::Silent => return,
                };
                if written.is_err() {
                    return;
                }
            }
        }
    }
}

/// A connection of [`Mode::Silent`]: both sockets stay open and everything either side sends
/// is read and dropped, until a side closes or the proxy is dropped; mode changes are ignored.
async fn black_hole(
    client: &mut (impl AsyncReadExt + Unpin),
    server: &mut (impl AsyncReadExt + Unpin),
    watcher: &mut watch::Receiver<Mode>,
) {
    let mut up = vec![0u8; 16 * 1024];
    let mut down = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            changed = watcher.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            read = client.read(&mut up) => {
                if matches!(read, Ok(0) | Err(_)) {
                    return;
                }
            }
            read = server.read(&mut down) => {
                if matches!(read, Ok(0) | Err(_)) {
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
