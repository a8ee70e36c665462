//! A read's command built in buffers taken from a per-thread spare and given back when the
//! read ends: a hit allocates no command buffers of its own (a `Cmd` holds two, its bytes
//! and its argument bounds, and hits are measured in allocations too).

use redis::{Arg, Cmd};
use std::cell::Cell;
use std::ops::{Deref, DerefMut};

thread_local! {
    static SPARE: Cell<Option<Cmd>> = const { Cell::new(None) };
}

/// Commands with more argument bytes than this are freed rather than kept (one large
/// `MGET` must not pin its memory in every thread it ran on).
const KEEP_BYTES: usize = 1024;

/// A command (it derefs to one) that returns to this thread's spare, cleared, when dropped.
/// A read may end on another thread than it began on: that thread keeps it.
#[derive(Default)]
pub(crate) struct SpareCmd(Cmd);

impl SpareCmd {
    /// An empty command, reusing this thread's spare buffers when there is one.
    pub(crate) fn take() -> Self {
        SpareCmd(
            SPARE
                .try_with(Cell::take)
                .ok()
                .flatten()
                .unwrap_or_default(),
        )
    }
}

impl Deref for SpareCmd {
    type Target = Cmd;

    fn deref(&self) -> &Cmd {
        &self.0
    }
}

impl DerefMut for SpareCmd {
    fn deref_mut(&mut self) -> &mut Cmd {
        &mut self.0
    }
}

impl Drop for SpareCmd {
    fn drop(&mut self) {
        let mut cmd = std::mem::take(&mut self.0);
        if arg_bytes(&cmd) <= KEEP_BYTES {
            cmd.clear();
            // During thread teardown the spare is gone: the command is freed instead.
            let _ = SPARE.try_with(|spare| spare.set(Some(cmd)));
        }
    }
}

/// The bytes of `cmd`'s arguments: what its data buffer grew to hold (all `Cmd` shows).
fn arg_bytes(cmd: &Cmd) -> usize {
    cmd.args_iter()
        .map(|arg| match arg {
            Arg::Simple(bytes) => bytes.len(),
            // A cursor (`Arg` may gain variants): no bytes of its own.
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spare_is_empty() -> bool {
        SPARE.with(|spare| {
            let kept = spare.take();
            let empty = kept.is_none();
            spare.set(kept);
            empty
        })
    }

    #[test]
    fn a_dropped_command_lends_its_buffers_to_the_next_cleared() {
        let mut cmd = SpareCmd::take();
        cmd.arg("GET").arg("user:7");
        assert_eq!(
            cmd.get_packed_command(),
            b"*2\r\n$3\r\nGET\r\n$6\r\nuser:7\r\n"
        );
        drop(cmd);
        assert!(!spare_is_empty());
        let mut next = SpareCmd::take();
        assert!(spare_is_empty(), "the spare is lent once");
        assert_eq!(next.args_iter().len(), 0, "cleared");
        next.arg("MGET").arg("a");
        assert_eq!(
            next.get_packed_command(),
            b"*2\r\n$4\r\nMGET\r\n$1\r\na\r\n"
        );
    }

    #[test]
    fn a_large_command_is_freed_not_kept() {
        let mut cmd = SpareCmd::take();
        cmd.arg("MGET").arg(vec![b'k'; KEEP_BYTES + 1]);
        drop(cmd);
        assert!(spare_is_empty());
    }
}
