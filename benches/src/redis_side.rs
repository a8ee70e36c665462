//! Redis for the benches: the raw redis-rs baseline on the same kind of connection as the
//! backend's, and the server's own counters (commands by name, read and write events).

use easy_cache::redis::{DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::collections::BTreeMap;
use std::time::Duration;

/// A [`ConnectionManager`] configured as the backend configures its own (no retries, the
/// backend's default connect and response timeouts): the baseline's connection.
pub async fn raw_connection(url: &str) -> ConnectionManager {
    let client = redis::Client::open(url).expect("a redis:// URL");
    let config = ConnectionManagerConfig::new()
        .set_number_of_retries(0)
        .set_connection_timeout(Some(Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS)))
        .set_response_timeout(Some(Duration::from_millis(DEFAULT_TIMEOUT_MS)));
    ConnectionManager::new_with_config(client, config)
        .await
        .expect("connect to the bench Redis")
}

/// The server's counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    /// Calls per command (`INFO commandstats`), lower-case names, `info` itself excluded.
    pub commands: BTreeMap<String, u64>,
    /// Read events on client sockets (`total_reads_processed`): one per request the
    /// server received in one piece, so one per round trip of a sequential client.
    pub reads: u64,
    /// Write events to client sockets (`total_writes_processed`).
    pub writes: u64,
}

impl Counters {
    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Counters) -> Counters {
        let commands = self
            .commands
            .iter()
            .map(|(name, calls)| {
                let before = earlier.commands.get(name).copied().unwrap_or(0);
                (name.clone(), calls - before)
            })
            .filter(|(_, calls)| *calls > 0)
            .collect();
        Counters {
            commands,
            reads: self.reads - earlier.reads,
            writes: self.writes - earlier.writes,
        }
    }

    /// `self` less the counters' own cost (what reading them twice shows).
    pub fn less(&self, overhead: &Counters) -> Counters {
        Counters {
            commands: self.commands.clone(),
            reads: self.reads.saturating_sub(overhead.reads),
            writes: self.writes.saturating_sub(overhead.writes),
        }
    }

    /// Commands in all.
    pub fn total_commands(&self) -> u64 {
        self.commands.values().sum()
    }
}

/// Reads the counters with one `INFO stats commandstats`.
pub async fn counters(conn: &mut ConnectionManager) -> Counters {
    let text: String = redis::cmd("INFO")
        .arg("stats")
        .arg("commandstats")
        .query_async(conn)
        .await
        .expect("INFO");
    parse_info(&text)
}

/// Parses the `INFO` sections `stats` and `commandstats`.
pub fn parse_info(text: &str) -> Counters {
    let mut counters = Counters::default();
    for line in text.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("cmdstat_") {
            // cmdstat_get:calls=3,usec=12,usec_per_call=4.00,...
            let Some((name, fields)) = rest.split_once(':') else {
                continue;
            };
            let calls = fields
                .split(',')
                .find_map(|f| f.strip_prefix("calls="))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if name != "info" {
                counters.commands.insert(name.to_ascii_lowercase(), calls);
            }
        } else if let Some(n) = line.strip_prefix("total_reads_processed:") {
            counters.reads = n.parse().unwrap_or(0);
        } else if let Some(n) = line.strip_prefix("total_writes_processed:") {
            counters.writes = n.parse().unwrap_or(0);
        }
    }
    counters
}

/// The cost of reading the counters, to subtract: two readings with nothing in between.
pub async fn counting_overhead(conn: &mut ConnectionManager) -> Counters {
    let first = counters(conn).await;
    counters(conn).await.since(&first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_and_events() {
        let text = "# Stats\r\ntotal_reads_processed:120\r\ntotal_writes_processed:118\r\n\
                    # Commandstats\r\ncmdstat_mget:calls=7,usec=3,usec_per_call=0.4\r\n\
                    cmdstat_info:calls=2,usec=1\r\ncmdstat_set:calls=4,usec=2\r\n";
        let counters = parse_info(text);
        assert_eq!(counters.reads, 120);
        assert_eq!(counters.writes, 118);
        assert_eq!(counters.commands.get("mget"), Some(&7));
        assert_eq!(
            counters.commands.get("info"),
            None,
            "our own INFO is left out"
        );
        assert_eq!(counters.total_commands(), 11);
        let mut later = counters.clone();
        later.reads += 3;
        *later.commands.get_mut("mget").unwrap() += 2;
        let delta = later.since(&counters);
        assert_eq!(delta.reads, 3);
        assert_eq!(delta.commands.len(), 1, "unchanged commands are dropped");
        assert_eq!(delta.total_commands(), 2);
    }
}
