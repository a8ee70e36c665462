//! memcached's ASCII protocol on one connection.
//!
//! Retrieval goes through memcache-async's `get_multi` (one `get k1 k2 ...` line). Storage
//! and deletion are written here: memcache-async sends `set` and `delete` with `noreply`,
//! so a refused value (too large) or a missing key would go unseen, and its `add` cannot
//! be pipelined. [`execute`] writes a whole batch of `set`/`add`/`delete` commands in one
//! write and then reads exactly one reply per command, checking each against what that
//! command may answer; anything else is a protocol error and the connection is dropped.

use bytes::Bytes;
use futures::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use memcache_async::ascii::Protocol;
use std::{
    collections::HashMap,
    io::{Error, ErrorKind},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

/// Commands written before their replies are read: bounded so the replies (a few bytes
/// each) always fit in the socket buffers and a huge batch cannot deadlock both sides.
const MAX_PIPELINE: usize = 512;
/// The longest reply line accepted; real ones are under 60 bytes.
const MAX_REPLY_LINE: u64 = 1024;
/// memcached reads exptimes above 30 days as absolute Unix times.
const MAX_RELATIVE_EXPTIME: u64 = 60 * 60 * 24 * 30;

/// How a store command treats an existing value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreVerb {
    /// `set`: store unconditionally.
    Set,
    /// `add`: store only if the key is absent (atomic in the server).
    Add,
}

/// One write command of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// `set` or `add` of `value` under `key`.
    Store {
        /// Which storage command.
        verb: StoreVerb,
        /// A memcached-safe key (see `keys.rs`).
        key: String,
        /// The bytes to store.
        value: Bytes,
        /// memcached's exptime (see [`exptime`]).
        exptime: u32,
    },
    /// `delete` of `key`.
    Delete {
        /// A memcached-safe key.
        key: String,
    },
}

/// The server's answer to one [`Command`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `STORED`.
    Stored,
    /// `NOT_STORED`: an `add` found the key present.
    NotStored,
    /// `DELETED`.
    Deleted,
    /// `NOT_FOUND`: nothing to delete.
    NotFound,
    /// `SERVER_ERROR object too large for cache`: the value exceeds the item size limit
    /// (the server skipped the value's bytes, so the connection is still usable, and it
    /// dropped any older value of the key).
    TooLarge,
    /// Another `SERVER_ERROR` (e.g. out of memory); the connection is still usable.
    ServerError(String),
}

impl Command {
    /// The key the command is about.
    pub(crate) fn key(&self) -> &str {
        match self {
            Command::Store { key, .. } | Command::Delete { key } => key,
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Command::Store {
                verb,
                key,
                value,
                exptime,
            } => {
                let verb = match verb {
                    StoreVerb::Set => "set",
                    StoreVerb::Add => "add",
                };
                // Flags are always 0: values are opaque bytes.
                out.extend_from_slice(
                    format!("{verb} {key} 0 {exptime} {}\r\n", value.len()).as_bytes(),
                );
                out.extend_from_slice(value);
                out.extend_from_slice(b"\r\n");
            }
            Command::Delete { key } => {
                out.extend_from_slice(format!("delete {key}\r\n").as_bytes());
            }
        }
    }

    fn encoded_len(&self) -> usize {
        match self {
            Command::Store { key, value, .. } => key.len() + value.len() + 40,
            Command::Delete { key } => key.len() + 9,
        }
    }
}

/// Refuses a key that could break the protocol line; `keys.rs` never produces one, this
/// is the last line of defence before bytes reach the socket.
fn check_key(key: &str) -> Result<(), Error> {
    if (1..=250).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidInput,
            format!("refusing to send the unsafe memcached key {key:?}"),
        ))
    }
}

/// Fetches `keys` with one `get` line; absent keys are absent from the map.
pub(crate) async fn get_many<S>(
    stream: &mut S,
    keys: &[String],
) -> Result<HashMap<String, Vec<u8>>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    keys.iter().try_for_each(|k| check_key(k))?;
    Protocol::new(stream).get_multi(keys).await
}

/// Sends `commands` pipelined and returns one reply per command, in order.
pub(crate) async fn execute<S>(stream: &mut S, commands: &[Command]) -> Result<Vec<Reply>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    commands.iter().try_for_each(|c| check_key(c.key()))?;
    let mut reader = BufReader::new(stream);
    let mut replies = Vec::with_capacity(commands.len());
    for chunk in commands.chunks(MAX_PIPELINE) {
        let mut request = Vec::with_capacity(chunk.iter().map(Command::encoded_len).sum());
        chunk.iter().for_each(|c| c.encode(&mut request));
        reader.get_mut().write_all(&request).await?;
        reader.get_mut().flush().await?;
        for command in chunk {
            let line = read_line(&mut reader).await?;
            replies.push(parse_reply(command, &line)?);
        }
    }
    if !reader.buffer().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "memcached sent more replies than commands",
        ));
    }
    Ok(replies)
}

/// Logs in with memcached's ASCII authentication (`memcached -Y`): a `set` whose data is
/// `user password`.
pub(crate) async fn authenticate<S>(stream: &mut S, user: &str, password: &str) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let secret = format!("{user} {password}");
    let request = format!("set auth 0 0 {}\r\n{secret}\r\n", secret.len());
    let mut reader = BufReader::new(stream);
    reader.get_mut().write_all(request.as_bytes()).await?;
    reader.get_mut().flush().await?;
    match read_line(&mut reader).await?.as_slice() {
        b"STORED" => Ok(()),
        line if line.starts_with(b"CLIENT_ERROR") => Err(Error::new(
            ErrorKind::PermissionDenied,
            format!("memcached refused the credentials of `{user}`"),
        )),
        line => Err(unexpected(line)),
    }
}

/// One reply line without its `\r\n`.
async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Result<Vec<u8>, Error> {
    let mut line = Vec::new();
    (&mut *reader)
        .take(MAX_REPLY_LINE)
        .read_until(b'\n', &mut line)
        .await?;
    match line.strip_suffix(b"\r\n") {
        Some(content) => Ok(content.to_vec()),
        None if line.is_empty() => Err(ErrorKind::UnexpectedEof.into()),
        None => Err(Error::new(
            ErrorKind::InvalidData,
            "memcached sent an unterminated or overlong line",
        )),
    }
}

fn parse_reply(command: &Command, line: &[u8]) -> Result<Reply, Error> {
    let store = matches!(command, Command::Store { .. });
    Ok(match line {
        b"STORED" if store => Reply::Stored,
        b"NOT_STORED" if store => Reply::NotStored,
        b"DELETED" if !store => Reply::Deleted,
        b"NOT_FOUND" if !store => Reply::NotFound,
        _ if store && line.starts_with(b"SERVER_ERROR object too large") => Reply::TooLarge,
        _ => match line.strip_prefix(b"SERVER_ERROR ") {
            Some(message) => Reply::ServerError(String::from_utf8_lossy(message).into_owned()),
            None => return Err(unexpected(line)),
        },
    })
}

fn unexpected(line: &[u8]) -> Error {
    Error::new(
        ErrorKind::InvalidData,
        format!(
            "unexpected memcached reply `{}`",
            String::from_utf8_lossy(line)
        ),
    )
}

/// memcached's exptime for a lifetime: 0 = never; whole seconds rounded up (at least 1);
/// past 30 days an absolute Unix time, since memcached reads larger numbers that way.
pub(crate) fn exptime(ttl: Option<Duration>) -> u32 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    exptime_at(ttl, now)
}

fn exptime_at(ttl: Option<Duration>, now_unix: u64) -> u32 {
    let Some(ttl) = ttl else { return 0 };
    let secs = (ttl.as_secs() + u64::from(ttl.subsec_nanos() > 0)).max(1);
    let exptime = if secs <= MAX_RELATIVE_EXPTIME {
        secs
    } else {
        now_unix.saturating_add(secs)
    };
    u32::try_from(exptime).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::io::Cursor;

    /// A fake connection: reads come from `input`, writes go to `output`.
    struct Fake {
        input: Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Fake {
        fn new(input: &[u8]) -> Self {
            Fake {
                input: Cursor::new(input.to_vec()),
                output: Vec::new(),
            }
        }
    }

    impl AsyncRead for Fake {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<Result<usize, Error>> {
            std::pin::Pin::new(&mut self.input).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Fake {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<Result<usize, Error>> {
            self.output.extend_from_slice(buf);
            std::task::Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_close(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::task::Poll::Ready(Ok(()))
        }
    }

    fn store(verb: StoreVerb, key: &str, value: &'static [u8]) -> Command {
        Command::Store {
            verb,
            key: key.into(),
            value: Bytes::from_static(value),
            exptime: 7,
        }
    }

    fn run(input: &[u8], commands: &[Command]) -> (Result<Vec<Reply>, Error>, Vec<u8>) {
        let mut fake = Fake::new(input);
        let result = futures::executor::block_on(execute(&mut fake, commands));
        (result, fake.output)
    }

    #[test]
    fn pipelines_commands_and_reads_one_reply_each() {
        let commands = [
            store(StoreVerb::Set, "a", b"1"),
            store(StoreVerb::Add, "b", b"22"),
            Command::Delete { key: "c".into() },
            store(StoreVerb::Set, "d", b"big"),
        ];
        let (replies, sent) = run(
            b"STORED\r\nNOT_STORED\r\nNOT_FOUND\r\nSERVER_ERROR object too large for cache\r\n",
            &commands,
        );
        assert_eq!(
            replies.unwrap(),
            [
                Reply::Stored,
                Reply::NotStored,
                Reply::NotFound,
                Reply::TooLarge
            ]
        );
        assert_eq!(
            sent,
            b"set a 0 7 1\r\n1\r\nadd b 0 7 2\r\n22\r\ndelete c\r\nset d 0 7 3\r\nbig\r\n"
        );
    }

    #[test]
    fn rejects_replies_that_do_not_fit_the_command() {
        let set = [store(StoreVerb::Set, "a", b"1")];
        let delete = [Command::Delete { key: "a".into() }];
        for (input, commands) in [
            (&b"DELETED\r\n"[..], &set[..]),
            (b"STORED\r\n", &delete),
            (b"ERROR\r\n", &set),
            (b"CLIENT_ERROR bad data chunk\r\n", &set),
            (b"STORED", &set),
            (b"", &set),
            (b"STORED\r\nSTORED\r\n", &set),
        ] {
            let (result, _) = run(input, commands);
            assert!(
                result.is_err(),
                "{:?} accepted",
                String::from_utf8_lossy(input)
            );
        }
        let (result, _) = run(b"SERVER_ERROR out of memory storing object\r\n", &set);
        assert_eq!(
            result.unwrap(),
            [Reply::ServerError("out of memory storing object".into())]
        );
    }

    #[test]
    fn never_sends_an_unsafe_key() {
        for key in ["", "a b", "a\r\nflush_all", &"k".repeat(251)] {
            let (result, sent) = run(b"", &[Command::Delete { key: key.into() }]);
            assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidInput);
            assert!(sent.is_empty());
            let mut fake = Fake::new(b"");
            let got = futures::executor::block_on(get_many(&mut fake, &[key.to_owned()]));
            assert!(got.is_err() && fake.output.is_empty());
        }
    }

    #[test]
    fn gets_many_values_in_one_line() {
        let mut fake = Fake::new(b"VALUE a 0 1\r\n1\r\nVALUE c 0 3\r\nx y\r\nEND\r\n");
        let keys = ["a", "b", "c"].map(String::from);
        let got = futures::executor::block_on(get_many(&mut fake, &keys)).unwrap();
        assert_eq!(fake.output, b"get a b c\r\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got["c"], b"x y");
    }

    #[test]
    fn authenticates_with_a_set_line() {
        let mut fake = Fake::new(b"STORED\r\n");
        futures::executor::block_on(authenticate(&mut fake, "u", "p")).unwrap();
        assert_eq!(fake.output, b"set auth 0 0 3\r\nu p\r\n");
        let mut fake = Fake::new(b"CLIENT_ERROR authentication failure\r\n");
        let err = futures::executor::block_on(authenticate(&mut fake, "u", "p")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    }

    #[test]
    fn exptimes_round_up_and_switch_to_absolute_past_30_days() {
        let now = 1_700_000_000;
        assert_eq!(exptime_at(None, now), 0);
        assert_eq!(exptime_at(Some(Duration::from_millis(1)), now), 1);
        assert_eq!(exptime_at(Some(Duration::from_millis(1500)), now), 2);
        assert_eq!(exptime_at(Some(Duration::from_secs(60)), now), 60);
        let month = Duration::from_secs(MAX_RELATIVE_EXPTIME);
        assert_eq!(exptime_at(Some(month), now), 2_592_000);
        let longer = month + Duration::from_secs(1);
        assert_eq!(exptime_at(Some(longer), now), 1_702_592_001);
        assert_eq!(
            exptime_at(Some(Duration::from_secs(u64::MAX)), now),
            u32::MAX
        );
    }
}
