//! A server's `VALUE` line announcing a huge length is an error on that
//! call: the process does not abort, nothing of the announced size is allocated (measured
//! with dhat's heap statistics: one profiler per process, so one test in this file), and
//! the connection, out of step, is dropped rather than reused.

use easy_cache_core::{CacheInstance, ErrorKind};
use easy_cache_memcached::{MemcachedCache, MemcachedConfig};
use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

/// What a call may allocate in all (the client, the fake server, tokio), far below any
/// of the claims.
const ALLOWED: u64 = 8 << 20;

/// A fake memcached: on its first connection it answers the first request with `bad`,
/// then closes the connection when `close` is set, or keeps it and answers anything
/// more on it with `reused` (which the test must never see). Later connections answer
/// with the value `good`. Returns its address and the count of connections accepted.
async fn fake_server(bad: &'static [u8], close: bool) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let first = count.fetch_add(1, Ordering::SeqCst) == 0;
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut answered = false;
                while let Ok(Some(_request)) = lines.next_line().await {
                    let reply: &[u8] = match (first, answered) {
                        (true, false) => bad,
                        (true, true) => b"VALUE k 0 6\r\nreused\r\nEND\r\n",
                        (false, _) => b"VALUE k 0 4\r\ngood\r\nEND\r\n",
                    };
                    answered = true;
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                    if first && close {
                        return;
                    }
                }
            });
        }
    });
    (address, accepted)
}

#[tokio::test]
async fn a_huge_value_length_from_the_server_is_an_error_not_an_abort() {
    let _profiler = dhat::Profiler::builder().testing().build();
    // The measure itself works: an allocation of the allowance is seen.
    let before = dhat::HeapStats::get();
    drop(std::hint::black_box(vec![0u8; ALLOWED as usize]));
    assert!(dhat::HeapStats::get().total_bytes - before.total_bytes >= ALLOWED);

    for (bad, close) in [
        (&b"VALUE k 0 99999999999999\r\n"[..], false),
        (b"VALUE k 0 18446744073709551615\r\n", false),
        // 512 MiB is within memcached's largest item size: announced, then the server
        // closes after a few bytes.
        (b"VALUE k 0 536870912\r\nabc", true),
    ] {
        let claim = String::from_utf8_lossy(bad).into_owned();
        let (address, accepted) = fake_server(bad, close).await;
        let cache = MemcachedCache::new(MemcachedConfig::new([address])).unwrap();

        let before = dhat::HeapStats::get();
        let err = cache
            .get("k")
            .await
            .expect_err(&format!("{claim:?} must be an error"));
        let grew = dhat::HeapStats::get().total_bytes - before.total_bytes;
        assert_eq!(err.kind(), ErrorKind::Backend, "{claim:?}: {err}");
        assert!(grew < ALLOWED, "{claim:?}: allocated {grew} bytes");

        // The next call works, on a new connection: the bad one was dropped.
        let got = cache.get("k").await.unwrap();
        assert_eq!(got.as_deref(), Some(&b"good"[..]), "{claim:?}");
        assert_eq!(accepted.load(Ordering::SeqCst), 2, "{claim:?}");
    }
}
