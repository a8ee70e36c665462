//! Batches of writes as pipelines: one pipeline on a standalone server; on a cluster, one
//! pipeline per hash slot (a cluster pipeline must stay in one slot, or the client refuses
//! it with CROSSSLOT), all sent concurrently.

use crate::connection::Conn;
use futures::future::try_join_all;
use redis::{Cmd, Pipeline, RedisResult, cluster_routing::Slot};

/// Commands to send together, each with the key it touches.
#[derive(Default)]
pub(crate) struct Batch {
    commands: Vec<(Vec<u8>, Cmd)>,
}

impl Batch {
    /// Appends `cmd`, which touches `key` only.
    pub(crate) fn push(&mut self, key: Vec<u8>, cmd: Cmd) {
        self.commands.push((key, cmd));
    }

    /// True when there is nothing to send.
    pub(crate) fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Sends every command, keeping their order per key (all commands of one key are in
    /// one slot, so in one pipeline, in batch order). Replies are ignored; a command the
    /// server rejects fails the batch.
    pub(crate) async fn send(self, conn: Conn) -> RedisResult<()> {
        match conn {
            Conn::Cluster(conn) => {
                let pipes = by_slot(self.commands).into_iter().map(|pipe| {
                    let mut conn = conn.clone();
                    async move { pipe.query_async::<()>(&mut conn).await }
                });
                try_join_all(pipes).await.map(drop)
            }
            mut conn => {
                let mut pipe = Pipeline::with_capacity(self.commands.len());
                for (_, cmd) in self.commands {
                    pipe.add_command(cmd).ignore();
                }
                pipe.query_async::<()>(&mut conn).await
            }
        }
    }
}

/// One pipeline per hash slot, in order of first appearance, commands in batch order.
fn by_slot(commands: Vec<(Vec<u8>, Cmd)>) -> Vec<Pipeline> {
    let mut slots: Vec<Slot> = Vec::new();
    let mut pipes: Vec<Pipeline> = Vec::new();
    for (key, cmd) in commands {
        let slot = Slot::for_key(&key);
        let at = match slots.iter().position(|s| *s == slot) {
            Some(at) => at,
            None => {
                slots.push(slot);
                pipes.push(Pipeline::new());
                pipes.len() - 1
            }
        };
        pipes[at].add_command(cmd).ignore();
    }
    pipes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_slot_keeping_order() {
        // `{a}x` and `{a}y` share a slot through their hash tag; `b` (almost surely) not.
        let set = |k: &str, v: &str| {
            (
                k.as_bytes().to_vec(),
                redis::cmd("SET").arg(k).arg(v).clone(),
            )
        };
        let pipes = by_slot(vec![
            set("{a}x", "1"),
            set("b", "2"),
            set("{a}y", "3"),
            set("{a}x", "4"),
        ]);
        assert_eq!(pipes.len(), 2);
        let first: Vec<Vec<u8>> = pipes[0].cmd_iter().map(Cmd::get_packed_command).collect();
        let want: Vec<Vec<u8>> = [("{a}x", "1"), ("{a}y", "3"), ("{a}x", "4")]
            .iter()
            .map(|(k, v)| redis::cmd("SET").arg(*k).arg(*v).get_packed_command())
            .collect();
        assert_eq!(first, want);
        assert_eq!(pipes[1].cmd_iter().count(), 1);
    }
}
