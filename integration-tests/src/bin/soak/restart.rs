//! The backend restart in the middle of a run: stop the servers, let the load go on against
//! nothing for a few seconds, start them again (empty, on the same ports).

use super::functions::Backend;
use easy_cache_integration_tests::servers::ServerHandle;
use std::time::{Duration, Instant};

/// A server the run may stop and start, and the backend it serves.
#[derive(Clone, Copy)]
pub struct Restartable<'a> {
    /// The backend whose server it is.
    pub backend: Backend,
    /// The server (for Memcached: one node of several).
    pub server: &'a ServerHandle,
}

/// What happened to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restarted {
    /// The backend.
    pub backend: Backend,
    /// The server, as its handle shows itself.
    pub server: String,
    /// When it was down (since the start of the run), once stopped.
    pub stopped_at: Option<Duration>,
    /// When it answered again.
    pub started_at: Option<Duration>,
    /// Why it could not be stopped or started.
    pub error: Option<String>,
}

/// Stops every server (one after the other, so the outages overlap), waits `outage`, and
/// starts them again. Times are measured from `origin`.
pub async fn bounce(
    servers: &[Restartable<'_>],
    outage: Duration,
    origin: Instant,
) -> Vec<Restarted> {
    let mut records: Vec<Restarted> = servers
        .iter()
        .map(|r| Restarted {
            backend: r.backend,
            server: r.server.to_string(),
            stopped_at: None,
            started_at: None,
            error: None,
        })
        .collect();
    for (restartable, record) in servers.iter().zip(&mut records) {
        match restartable.server.stop().await {
            Ok(()) => record.stopped_at = Some(origin.elapsed()),
            Err(e) => record.error = Some(format!("stop failed: {e}")),
        }
        println!(
            "[{:>5.1} s] restart: {} {}",
            origin.elapsed().as_secs_f64(),
            record.backend,
            if record.error.is_some() {
                "could not be stopped"
            } else {
                "stopped"
            }
        );
    }
    tokio::time::sleep(outage).await;
    for (restartable, record) in servers.iter().zip(&mut records) {
        if record.stopped_at.is_none() {
            continue;
        }
        match restartable.server.start().await {
            Ok(()) => record.started_at = Some(origin.elapsed()),
            Err(e) => record.error = Some(format!("start failed: {e}")),
        }
        println!(
            "[{:>5.1} s] restart: {} {}",
            origin.elapsed().as_secs_f64(),
            record.backend,
            if record.error.is_some() {
                "could not be started"
            } else {
                "answers again"
            }
        );
    }
    records
}

impl Restarted {
    /// How long the server was down.
    pub fn down_for(&self) -> Option<Duration> {
        Some(self.started_at?.saturating_sub(self.stopped_at?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_time_needs_both_ends() {
        let mut record = Restarted {
            backend: Backend::Redis,
            server: "redis".into(),
            stopped_at: Some(Duration::from_secs(60)),
            started_at: None,
            error: Some("start failed".into()),
        };
        assert_eq!(record.down_for(), None);
        record.started_at = Some(Duration::from_millis(63_500));
        assert_eq!(record.down_for(), Some(Duration::from_millis(3500)));
    }
}
