//! A small pool of connections to one server.
//!
//! The protocol runs one request then its reply at a time on a stream, so concurrency
//! comes from several streams per server. Connections open lazily (an instance is built
//! while the server is down), go back to the pool only after a clean exchange, and are
//! dropped on any error or timeout, when their state is unknown; the next call then opens
//! a fresh one.

use crate::proto;
use std::{
    io,
    sync::{
        Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};
use tokio::{
    net::TcpStream,
    runtime::{Handle, Id},
    sync::{Semaphore, SemaphorePermit},
};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// One connection: futures-io traits over a tokio socket, as `proto` speaks on it.
pub(crate) type Stream = Compat<TcpStream>;

/// Credentials of memcached's ASCII authentication.
#[derive(Clone)]
pub(crate) struct Credentials {
    /// The user.
    pub(crate) user: String,
    /// The password.
    pub(crate) password: String,
}

/// The connections to one server: at most `size` open, idle ones kept for reuse.
pub(crate) struct Pool {
    address: String,
    /// Idle connections, each with the runtime that opened it.
    idle: Mutex<Vec<(Option<Id>, Stream)>>,
    slots: Semaphore,
    credentials: Option<Credentials>,
    /// False from a failure until the next clean exchange, to log transitions only.
    healthy: AtomicBool,
}

/// A connection in use; hand it back with [`Pool::put_back`] after a clean exchange, or
/// drop it (it closes) when the exchange failed.
pub(crate) struct Conn<'a> {
    /// The stream to talk on.
    pub(crate) stream: Stream,
    /// The runtime that opened it.
    runtime: Option<Id>,
    slot: SemaphorePermit<'a>,
}

impl Pool {
    /// A pool for `address` (`host:port`) of at most `size` connections; connects nothing.
    pub(crate) fn new(address: String, size: usize, credentials: Option<Credentials>) -> Self {
        Pool {
            address,
            idle: Mutex::new(Vec::with_capacity(size)),
            slots: Semaphore::new(size),
            credentials,
            healthy: AtomicBool::new(true),
        }
    }

    /// The server's `host:port`.
    pub(crate) fn address(&self) -> &str {
        &self.address
    }

    /// A connection: an idle one the server has not closed, or a new one. Waits while all
    /// `size` are in use.
    pub(crate) async fn get(&self) -> io::Result<Conn<'_>> {
        let slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| io::Error::other("connection pool closed"))?;
        let runtime = Handle::try_current().ok().map(|handle| handle.id());
        while let Some((opened_on, stream)) = self.idle().pop() {
            if opened_on != runtime {
                // Closed to keep the pool's size: this call opens one on its runtime.
                tracing::debug!(server = %self.address, "dropping a connection of another runtime");
                continue;
            }
            if is_open(&stream) {
                return Ok(Conn {
                    stream,
                    runtime,
                    slot,
                });
            }
            tracing::debug!(server = %self.address, "dropping a connection the server closed");
        }
        let stream = self.connect().await?;
        Ok(Conn {
            stream,
            runtime,
            slot,
        })
    }

    /// Keeps a connection that just finished a clean exchange.
    pub(crate) fn put_back(&self, conn: Conn<'_>) {
        let Conn {
            stream,
            runtime,
            slot,
        } = conn;
        self.idle().push((runtime, stream));
        // The slot frees only now, so idle plus busy connections never exceed the size.
        drop(slot);
    }

    /// Drops every idle connection: after an I/O error the others are likely dead too
    /// (the server restarted), and the next calls should not each find that out.
    pub(crate) fn discard_idle(&self) {
        self.idle().clear();
    }

    /// Records a failed call; true when the server was healthy until now.
    pub(crate) fn record_failure(&self) -> bool {
        self.healthy.swap(false, Ordering::Relaxed)
    }

    /// Records a clean exchange; true when the server was failing until now.
    pub(crate) fn record_success(&self) -> bool {
        !self.healthy.swap(true, Ordering::Relaxed)
    }

    async fn connect(&self) -> io::Result<Stream> {
        let socket = TcpStream::connect(&self.address).await?;
        // Requests are small and waited on: don't let Nagle delay them.
        socket.set_nodelay(true)?;
        let mut stream = socket.compat();
        if let Some(c) = &self.credentials {
            proto::authenticate(&mut stream, &c.user, &c.password).await?;
        }
        tracing::debug!(server = %self.address, "connected to memcached");
        Ok(stream)
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<(Option<Id>, Stream)>> {
        // The list stays consistent even if a holder panicked: push and pop are atomic.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// True when an idle connection is still usable: nothing to read yet. End of stream means
/// the server closed it; stray bytes mean the stream is out of step with its requests.
fn is_open(stream: &Stream) -> bool {
    let mut probe = [0u8; 1];
    matches!(
        stream.get_ref().try_read(&mut probe),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::{io::AsyncWriteExt, net::TcpListener};

    #[tokio::test]
    async fn reuses_connections_and_drops_closed_ones() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = Pool::new(listener.local_addr().unwrap().to_string(), 2, None);
        let conn = pool.get().await.unwrap();
        let (mut first, _) = listener.accept().await.unwrap();
        pool.put_back(conn);
        // Reused: no second accept needed.
        let conn = pool.get().await.unwrap();
        pool.put_back(conn);
        // The server closes it: the pool notices and connects anew.
        first.shutdown().await.unwrap();
        drop(first);
        tokio::time::sleep(Duration::from_millis(50)).await;
        let accept = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
        let conn = pool.get().await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), accept)
            .await
            .expect("the pool should have opened a new connection")
            .unwrap()
            .unwrap();
        drop(conn);
    }

    #[tokio::test]
    async fn bounds_connections_and_fails_fast_when_refused() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = Pool::new(listener.local_addr().unwrap().to_string(), 1, None);
        let busy = pool.get().await.unwrap();
        let waiting = tokio::time::timeout(Duration::from_millis(100), pool.get()).await;
        assert!(waiting.is_err(), "a second connection exceeded the size");
        drop(busy);
        assert!(pool.get().await.is_ok());

        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        let closed = Pool::new(address, 1, None);
        let err = closed.get().await.err().expect("nothing listens there");
        assert_eq!(err.kind(), io::ErrorKind::ConnectionRefused);
        // A failed connect frees its slot.
        assert!(closed.get().await.is_err());
    }

    #[test]
    fn a_connection_is_reused_only_on_the_runtime_that_opened_it() {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let (first, second) = (runtime(), runtime());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let pool = Pool::new(listener.local_addr().unwrap().to_string(), 1, None);
        let use_once = |on: &tokio::runtime::Runtime| {
            on.block_on(async {
                let conn = pool.get().await.unwrap();
                pool.put_back(conn);
            })
        };
        use_once(&first);
        assert!(listener.accept().is_ok(), "the first connection");
        use_once(&first);
        assert!(listener.accept().is_err(), "reused on its runtime");
        use_once(&second);
        assert!(listener.accept().is_ok(), "another runtime opens its own");
    }

    #[test]
    fn health_changes_are_reported_once() {
        let pool = Pool::new("h:1".into(), 1, None);
        assert!(!pool.record_success());
        assert!(pool.record_failure());
        assert!(!pool.record_failure());
        assert!(pool.record_success());
        assert!(!pool.record_success());
    }
}
