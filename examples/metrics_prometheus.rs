//! easy-cache's series on a Prometheus scrape endpoint:
//!
//! ```text
//! cargo run --example metrics_prometheus --features metrics
//! ```
//!
//! installs `metrics-exporter-prometheus` with its HTTP listener (on
//! `EASY_CACHE_METRICS_ADDR`, default `127.0.0.1:9000`), makes misses and hits, prints the
//! hit ratio and what `/metrics` answers, and exits. The test `metrics_prometheus_scrape`
//! runs it on a free port and checks the families and values.

use easy_cache::ecached;
use metrics_exporter_prometheus::PrometheusBuilder;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

/// A slow lookup worth caching.
#[ecached("book_title:{id}")]
async fn book_title(id: u64) -> String {
    format!("Book #{id}")
}

/// Installs the Prometheus exporter, serving `/metrics` on `addr` from a thread of its own.
/// Call it before the first cached call: each function registers its series on its first
/// call, with the recorder installed then.
pub fn install(addr: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()?;
    Ok(())
}

/// Three titles looked up twice each: three misses, three hits.
pub async fn exercise() -> f64 {
    for _ in 0..2 {
        for id in 1..=3 {
            book_title(id).await;
        }
    }
    book_title_cache().stats().hit_ratio().unwrap_or(0.0)
}

/// The body of `GET /metrics` on `addr`.
pub fn scrape(addr: SocketAddr) -> std::io::Result<String> {
    let mut stream = TcpStream::connect(addr)?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    Ok(response
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, body)| body.to_owned()))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("EASY_CACHE_METRICS_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:9000".into())
        .parse()?;
    install(addr)?;
    let ratio = tokio::runtime::Builder::new_current_thread()
        .build()?
        .block_on(exercise());
    println!("hit ratio: {:.0}%", ratio * 100.0);
    // Hits reach the recorder every second; this one-shot scrape must not wait for it.
    easy_cache::observe::publish_metrics();
    print!("{}", scrape(addr)?);
    Ok(())
}
