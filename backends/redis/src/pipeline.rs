//! Batches of writes as pipelines: one pipeline on a standalone server; on a cluster, one
//! pipeline per hash slot (a cluster pipeline must stay in one slot, or the client refuses
//! it with CROSSSLOT), all sent concurrently.

use crate::connection::Conn;
use futures::future::try_join_all;
use redis::{Cmd, Pipeline, RedisError, RedisResult, ServerError, Value, cluster_routing::Slot};

/// Commands to send together, each with the key it touches.
#[derive(Default)]
pub(crate) struct Batch {
    commands: Vec<Queued>,
}

/// One command of a batch.
struct Queued {
    key: Vec<u8>,
    cmd: Cmd,
    /// An error reply to it does not fail the batch (a keep-alive: the entries written
    /// beside it are stored whatever it answers).
    best_effort: bool,
}

/// A best-effort command the server answered with an error.
pub(crate) struct Refused {
    /// The key it touched.
    pub(crate) key: Vec<u8>,
    /// The server's answer.
    pub(crate) error: ServerError,
}

impl Batch {
    /// Appends `cmd`, which touches `key` only; an error reply to it fails the batch.
    pub(crate) fn push(&mut self, key: Vec<u8>, cmd: Cmd) {
        self.commands.push(Queued {
            key,
            cmd,
            best_effort: false,
        });
    }

    /// Appends `cmd`, which touches `key` only; an error reply to it is handed back by
    /// [`Batch::send`] instead of failing the batch.
    pub(crate) fn push_best_effort(&mut self, key: Vec<u8>, cmd: Cmd) {
        self.commands.push(Queued {
            key,
            cmd,
            best_effort: true,
        });
    }

    /// True when there is nothing to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Sends every command, keeping their order per key (all commands of one key are in
    /// one slot, so in one pipeline, in batch order). Replies are ignored, except errors:
    /// the server runs every command of a pipeline whatever the others answer, so an
    /// error reply to a best-effort command is returned, and one to any other command
    /// fails the batch.
    pub(crate) async fn send(self, conn: Conn) -> RedisResult<Vec<Refused>> {
        match conn {
            Conn::Cluster(conn) => {
                let parts = by_slot(self.commands).into_iter().map(|part| {
                    let mut conn = conn.clone();
                    let (pipe, sent) = pipeline(part);
                    async move { settle(sent, pipe.query_async(&mut conn).await?) }
                });
                let refused = try_join_all(parts).await?;
                Ok(refused.into_iter().flatten().collect())
            }
            mut conn => {
                let (pipe, sent) = pipeline(self.commands);
                settle(sent, pipe.query_async(&mut conn).await?)
            }
        }
    }
}

/// `commands` as one pipeline that hands back every reply, errors included, and what
/// [`settle`] needs to know of each command: its key, and whether it is best-effort.
fn pipeline(commands: Vec<Queued>) -> (Pipeline, Vec<(Vec<u8>, bool)>) {
    let mut pipe = Pipeline::with_capacity(commands.len());
    let mut sent = Vec::with_capacity(commands.len());
    for queued in commands {
        pipe.add_command(queued.cmd);
        sent.push((queued.key, queued.best_effort));
    }
    pipe.ignore_errors();
    (pipe, sent)
}

/// The refused best-effort commands, or the first error reply to another command.
fn settle(sent: Vec<(Vec<u8>, bool)>, replies: Vec<Value>) -> RedisResult<Vec<Refused>> {
    if replies.len() != sent.len() {
        let detail = format!("{} replies to {} commands", replies.len(), sent.len());
        return Err(RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "pipeline answered",
            detail,
        )));
    }
    let mut refused = Vec::new();
    for ((key, best_effort), reply) in sent.into_iter().zip(replies) {
        if let Value::ServerError(error) = reply {
            if !best_effort {
                return Err(error.into());
            }
            refused.push(Refused { key, error });
        }
    }
    Ok(refused)
}

/// `DEL keys`, then `WAIT replicas timeout_ms` on the same connection (so it counts the
/// replicas that have the delete). On a cluster, one such pipeline per hash slot, each
/// sent to the slot's master. The keys removed, and the fewest replicas any part reached.
pub(crate) async fn delete_and_wait(
    conn: Conn,
    keys: Vec<Vec<u8>>,
    replicas: u32,
    timeout_ms: u64,
) -> RedisResult<(i64, i64)> {
    let part = |keys: &[Vec<u8>]| {
        let mut pipe = Pipeline::with_capacity(2);
        pipe.cmd("DEL").arg(keys);
        pipe.cmd("WAIT").arg(replicas).arg(timeout_ms);
        pipe
    };
    match conn {
        Conn::Cluster(conn) => {
            let mut slots: Vec<(Slot, Vec<Vec<u8>>)> = Vec::new();
            for key in keys {
                let slot = Slot::for_key(&key);
                match slots.iter_mut().find(|(s, _)| *s == slot) {
                    Some((_, keys)) => keys.push(key),
                    None => slots.push((slot, vec![key])),
                }
            }
            // The cluster client routes a pipeline to the master of its first key's slot:
            // the WAIT goes to the node that ran the DEL.
            let parts = slots.into_iter().map(|(_, keys)| {
                let mut conn = conn.clone();
                let pipe = part(&keys);
                async move { pipe.query_async::<(i64, i64)>(&mut conn).await }
            });
            let replies = try_join_all(parts).await?;
            let removed = replies.iter().map(|(removed, _)| removed).sum();
            let acked = replies
                .iter()
                .map(|(_, acked)| *acked)
                .min()
                .unwrap_or(i64::MAX);
            Ok((removed, acked))
        }
        mut conn => part(&keys).query_async(&mut conn).await,
    }
}

/// The commands grouped by hash slot, in order of first appearance, in batch order.
fn by_slot(commands: Vec<Queued>) -> Vec<Vec<Queued>> {
    let mut slots: Vec<Slot> = Vec::new();
    let mut parts: Vec<Vec<Queued>> = Vec::new();
    for queued in commands {
        let slot = Slot::for_key(&queued.key);
        let at = match slots.iter().position(|s| *s == slot) {
            Some(at) => at,
            None => {
                slots.push(slot);
                parts.push(Vec::new());
                parts.len() - 1
            }
        };
        parts[at].push(queued);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(k: &str, v: &str) -> Queued {
        Queued {
            key: k.as_bytes().to_vec(),
            cmd: redis::cmd("SET").arg(k).arg(v).clone(),
            best_effort: false,
        }
    }

    #[test]
    fn groups_by_slot_keeping_order() {
        // `{a}x` and `{a}y` share a slot through their hash tag; `b` (almost surely) not.
        let parts = by_slot(vec![
            set("{a}x", "1"),
            set("b", "2"),
            set("{a}y", "3"),
            set("{a}x", "4"),
        ]);
        assert_eq!(parts.len(), 2);
        let first: Vec<Vec<u8>> = parts[0]
            .iter()
            .map(|q| q.cmd.get_packed_command())
            .collect();
        let want: Vec<Vec<u8>> = [("{a}x", "1"), ("{a}y", "3"), ("{a}x", "4")]
            .iter()
            .map(|(k, v)| redis::cmd("SET").arg(*k).arg(*v).get_packed_command())
            .collect();
        assert_eq!(first, want);
        assert_eq!(parts[1].len(), 1);
    }

    /// An error reply as the server sends it.
    pub(crate) fn error_reply(text: &str) -> Value {
        let reply = redis::parse_redis_value(format!("-{text}\r\n").as_bytes()).unwrap();
        assert!(matches!(reply, Value::ServerError(_)));
        reply
    }

    #[test]
    fn a_refused_keep_alive_never_fails_the_batch() {
        let sent = vec![(b"v".to_vec(), true), (b"e".to_vec(), false)];
        let refusal = error_reply("ERR wrong number of arguments for 'pexpire' command");
        let refused = settle(sent.clone(), vec![refusal.clone(), Value::Okay]).unwrap();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].key, b"v");
        assert_eq!(refused[0].error.code(), "ERR");
        // The same answer to the entry's SET fails the batch.
        let flipped = vec![(b"v".to_vec(), false), (b"e".to_vec(), true)];
        assert!(settle(flipped, vec![refusal, Value::Okay]).is_err());
        assert!(settle(sent, vec![Value::Okay]).is_err(), "a reply missing");
    }
}
