//! Runs the `metrics_prometheus` example on a free port, scrapes its `/metrics` over HTTP
//! and checks the families and values easy-cache exports.

#[allow(dead_code)] // `main` is the example's, not called here
#[path = "../examples/metrics_prometheus.rs"]
mod example;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

/// A port nobody listens on now.
fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// The value of the sample of `family` whose labels contain all of `labels`.
fn sample(body: &str, family: &str, labels: &[&str]) -> Option<f64> {
    body.lines()
        .filter(|line| line.starts_with(&format!("{family}{{")))
        .find(|line| labels.iter().all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
}

#[test]
fn prometheus_scrape_shows_the_families_and_values() {
    let addr = free_addr();
    example::install(addr).expect("the exporter listens");
    let ratio = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(example::exercise());
    assert_eq!(ratio, 0.5);
    // Hits are published by easy-cache's thread every second: scrape until they show, as
    // Prometheus would on its next scrape (no `publish_metrics` here).
    let deadline = Instant::now() + 10 * easy_cache::observe::PUBLISH_INTERVAL;
    let body = loop {
        let body = example::scrape(addr).expect("a scrape");
        let near_hits = ["outcome=\"near_hit\"", "book_title"];
        if sample(&body, "easy_cache_calls_total", &near_hits) == Some(3.0)
            || Instant::now() > deadline
        {
            break body;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    for family in [
        "# TYPE easy_cache_calls_total counter",
        "# TYPE easy_cache_computations_total counter",
        "# TYPE easy_cache_computation_seconds summary",
        "# TYPE easy_cache_backend_operation_seconds summary",
    ] {
        assert!(body.contains(family), "{family} missing from:\n{body}");
    }
    let book = "function=\"metrics_prometheus_scrape::example::book_title\"";
    let common = [book, "cache=\"default\"", "backend=\"memory\""];
    let calls = |outcome: &str| {
        let outcome = format!("outcome=\"{outcome}\"");
        let mut labels = common.to_vec();
        labels.push(&outcome);
        sample(&body, "easy_cache_calls_total", &labels)
    };
    assert_eq!(calls("miss"), Some(3.0), "{body}");
    // The memory store's near cache answers the hits.
    assert_eq!(calls("near_hit"), Some(3.0), "{body}");
    assert_eq!(calls("hit"), Some(0.0), "{body}");
    assert_eq!(
        calls("error"),
        Some(0.0),
        "registered with the function: {body}"
    );
    assert_eq!(
        sample(&body, "easy_cache_computations_total", &common),
        Some(3.0)
    );
    assert_eq!(
        sample(&body, "easy_cache_computation_seconds_count", &common),
        Some(3.0)
    );
    let writes = [book, "op=\"write\""];
    assert_eq!(
        sample(&body, "easy_cache_backend_operation_seconds_count", &writes),
        Some(3.0),
        "{body}"
    );
}
