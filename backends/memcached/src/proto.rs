//! memcached's ASCII protocol on one connection, written here rather than through a client
//! crate (memcache-async was used before):
//!
//! - [`get_many`] sends one `get k1 k2 ...` line in one write. memcache-async's
//!   `get_multi` wrote the line in `2 + 2n` pieces, each leaving as its own segment on a
//!   `TCP_NODELAY` socket: a plain hit took over twice the time of one raw `get` in the
//!   Memcached hit benchmark.
//! - [`execute`] writes a whole batch of `set`/`add`/`delete` commands in one write and
//!   then reads exactly one reply per command, checking each against what that command
//!   may answer (memcache-async sends `set` and `delete` with `noreply`, so a refused
//!   value or a missing key would go unseen, and its `add` cannot be pipelined).
//!
//! - Lifetimes are read and lengthened with the meta protocol (memcached ≥ 1.6):
//!   `mg <key> t` answers the remaining lifetime, `mg <key> T<exptime>` sets it; see
//!   [`Command::Ttl`] and [`Command::Touch`].
//!
//! Anything unexpected is a protocol error, and the connection is then dropped.

use bytes::Bytes;
use futures::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
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
/// The latest absolute exptime memcached keeps: it parses exptimes into a signed 32-bit
/// int, so a larger one wraps negative and the item is stored already expired
/// (2038-01-19T03:14:07Z).
const MAX_ABSOLUTE_EXPTIME: u64 = i32::MAX as u64;
/// The longest value a `VALUE` line may announce: memcached's largest item size limit
/// (`-I` accepts at most 1 GiB; the default is 1 MiB). A constant rather than the
/// server's `item_size_max`, so no extra exchange per connection: a longer announcement
/// cannot be real, the stream is out of step, and the exchange fails.
const MAX_VALUE_LEN: u64 = 1 << 30;
/// The most a value's buffer reserves before its bytes arrive (the default item size
/// limit, so a real value is read into one allocation): the buffer then grows with the
/// bytes received, never with what the server announced.
const VALUE_RESERVE: usize = 1 << 20;

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
    /// `mg <key> t`: the remaining lifetime of `key`, answered as [`Reply::Ttl`] (or
    /// [`Reply::NotFound`]).
    Ttl {
        /// A memcached-safe key.
        key: String,
    },
    /// `mg <key> T<exptime>`: sets the lifetime of `key` if it is stored, unconditionally
    /// (so callers read it first with [`Command::Ttl`] to only ever lengthen it);
    /// answered as [`Reply::Touched`] or [`Reply::NotFound`].
    Touch {
        /// A memcached-safe key.
        key: String,
        /// memcached's exptime (see [`exptime`]).
        exptime: u32,
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
    /// `NOT_FOUND` (`EN` to a meta command): the key is absent.
    NotFound,
    /// `HD t<n>`: the key's remaining lifetime in seconds, `None` when it never expires.
    Ttl(Option<u64>),
    /// `HD` to a [`Command::Touch`]: the lifetime was set.
    Touched,
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
            Command::Store { key, .. }
            | Command::Delete { key }
            | Command::Ttl { key }
            | Command::Touch { key, .. } => key,
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
            Command::Ttl { key } => {
                out.extend_from_slice(format!("mg {key} t\r\n").as_bytes());
            }
            Command::Touch { key, exptime } => {
                out.extend_from_slice(format!("mg {key} T{exptime}\r\n").as_bytes());
            }
        }
    }

    fn encoded_len(&self) -> usize {
        match self {
            Command::Store { key, value, .. } => key.len() + value.len() + 40,
            Command::Delete { key } | Command::Ttl { key } => key.len() + 9,
            Command::Touch { key, .. } => key.len() + 17,
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

/// Fetches `keys` (each once) with one `get` line, written at once; absent keys are absent
/// from the map. A reply naming a key not asked for or twice, or bytes after its `END`, is
/// a protocol error
/// (the connection is then dropped, being out of step with its requests).
pub(crate) async fn get_many<S>(
    stream: &mut S,
    keys: &[String],
) -> Result<HashMap<String, Vec<u8>>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    keys.iter().try_for_each(|k| check_key(k))?;
    let mut request = Vec::with_capacity(5 + keys.iter().map(|k| k.len() + 1).sum::<usize>());
    request.extend_from_slice(b"get");
    // Each key once: the server answers a repeated key as often as it is asked.
    for (i, key) in keys.iter().enumerate() {
        if !keys[..i].contains(key) {
            request.push(b' ');
            request.extend_from_slice(key.as_bytes());
        }
    }
    request.extend_from_slice(b"\r\n");
    let mut reader = BufReader::with_capacity(READ_BUFFER, stream);
    reader.get_mut().write_all(&request).await?;
    reader.get_mut().flush().await?;
    let mut found = HashMap::with_capacity(keys.len());
    loop {
        let line = read_line(&mut reader).await?;
        if line == b"END" {
            break;
        }
        let (key, len) = value_header(&line)?;
        if !keys.iter().any(|k| k.as_bytes() == key) || found.contains_key(key_str(key)?) {
            return Err(unexpected(&line));
        }
        // The value and its `\r\n`. The buffer grows with the bytes that arrive, not with
        // the announced length: a server announcing 512 MiB then closing costs what it sent.
        let mut value = Vec::with_capacity((len + 2).min(VALUE_RESERVE));
        (&mut reader)
            .take(len as u64 + 2)
            .read_to_end(&mut value)
            .await?;
        if value.len() < len + 2 {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        if !value.ends_with(b"\r\n") {
            return Err(Error::new(
                ErrorKind::InvalidData,
                "memcached sent a value longer than announced",
            ));
        }
        value.truncate(len);
        found.insert(key_str(key)?.to_owned(), value);
    }
    if !reader.buffer().is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidData,
            "memcached sent more than one reply to a get",
        ));
    }
    Ok(found)
}

/// The read buffer of one exchange: reply lines are short, and a value longer than the
/// buffer is read straight into its own vector.
const READ_BUFFER: usize = 1024;

/// The key and byte count of `VALUE <key> <flags> <bytes> [<cas unique>]`; a count over
/// [`MAX_VALUE_LEN`] is an error (never an allocation of that size).
fn value_header(line: &[u8]) -> Result<(&[u8], usize), Error> {
    let mut words = line.split(|b| *b == b' ');
    match (words.next(), words.next(), words.next(), words.next()) {
        (Some(b"VALUE"), Some(key), Some(_flags), Some(len)) => {
            let len: u64 = std::str::from_utf8(len)
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| unexpected(line))?;
            match usize::try_from(len) {
                Ok(len) if len as u64 <= MAX_VALUE_LEN => Ok((key, len)),
                _ => Err(Error::new(
                    ErrorKind::InvalidData,
                    format!(
                        "memcached announced a value of {len} bytes, over the largest item \
                         size memcached allows ({MAX_VALUE_LEN} bytes): the stream is out \
                         of step"
                    ),
                )),
            }
        }
        _ => Err(unexpected(line)),
    }
}

fn key_str(key: &[u8]) -> Result<&str, Error> {
    std::str::from_utf8(key).map_err(|_| Error::new(ErrorKind::InvalidData, "non-UTF-8 key"))
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
    match command {
        Command::Ttl { .. } => {
            return match line {
                b"EN" => Ok(Reply::NotFound),
                _ => match line.strip_prefix(b"HD t") {
                    Some(b"-1") => Ok(Reply::Ttl(None)),
                    Some(secs) => std::str::from_utf8(secs)
                        .ok()
                        .and_then(|n| n.parse().ok())
                        .map(|n| Reply::Ttl(Some(n)))
                        .ok_or_else(|| unexpected(line)),
                    None => server_error(line),
                },
            };
        }
        Command::Touch { .. } => {
            return match line {
                b"HD" => Ok(Reply::Touched),
                b"EN" => Ok(Reply::NotFound),
                _ => server_error(line),
            };
        }
        Command::Store { .. } | Command::Delete { .. } => {}
    }
    let store = matches!(command, Command::Store { .. });
    Ok(match line {
        b"STORED" if store => Reply::Stored,
        b"NOT_STORED" if store => Reply::NotStored,
        b"DELETED" if !store => Reply::Deleted,
        b"NOT_FOUND" if !store => Reply::NotFound,
        _ if store && line.starts_with(b"SERVER_ERROR object too large") => Reply::TooLarge,
        _ => return server_error(line),
    })
}

/// A `SERVER_ERROR` line (the connection stays usable), or a protocol error.
fn server_error(line: &[u8]) -> Result<Reply, Error> {
    match line.strip_prefix(b"SERVER_ERROR ") {
        Some(message) => Ok(Reply::ServerError(
            String::from_utf8_lossy(message).into_owned(),
        )),
        None => Err(unexpected(line)),
    }
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

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// memcached's exptime for a lifetime: 0 = never; whole seconds rounded up (at least 1);
/// past 30 days an absolute Unix time, since memcached reads larger numbers that way, at
/// most [`MAX_ABSOLUTE_EXPTIME`] (see [`lifetime_secs_at`]).
pub(crate) fn exptime(ttl: Option<Duration>) -> u32 {
    exptime_at(ttl, now_unix())
}

fn exptime_at(ttl: Option<Duration>, now_unix: u64) -> u32 {
    let Some(ttl) = ttl else { return 0 };
    let secs = lifetime_secs_at(ttl, now_unix);
    let exptime = if secs <= MAX_RELATIVE_EXPTIME {
        secs
    } else {
        now_unix + secs
    };
    // At most MAX_ABSOLUTE_EXPTIME (see lifetime_secs_at), so this never saturates.
    u32::try_from(exptime).unwrap_or(MAX_ABSOLUTE_EXPTIME as u32)
}

/// The lifetime in whole seconds memcached will really keep for `ttl`: rounded up, at
/// least 1, and ending at the latest at [`MAX_ABSOLUTE_EXPTIME`] (2038-01-19).
///
/// Why clamp rather than send 0 (never expire): memcached stores the absolute exptime in
/// a signed 32-bit int, so a later end wraps negative and the item is stored already
/// expired. Of the two exptimes it does accept, the clamp is the one that keeps the
/// lifetime an upper bound: an entry asked to live 100 years is dropped in 2038 (a miss,
/// then a recomputation), never served past the lifetime it was given. From 30 days
/// before that date on, when a clamped absolute time would be shorter than a relative
/// one, the longest relative lifetime (30 days) is used.
fn lifetime_secs_at(ttl: Duration, now_unix: u64) -> u64 {
    let secs = ttl
        .as_secs()
        .saturating_add(u64::from(ttl.subsec_nanos() > 0))
        .max(1);
    if secs <= MAX_RELATIVE_EXPTIME {
        secs
    } else if now_unix.saturating_add(MAX_RELATIVE_EXPTIME) < MAX_ABSOLUTE_EXPTIME {
        secs.min(MAX_ABSOLUTE_EXPTIME - now_unix)
    } else {
        MAX_RELATIVE_EXPTIME
    }
}

/// The exptime a keep-alive to `ttl` must set on a key whose remaining lifetime is
/// `remaining` (`None` = never expires), or `None` when that would not lengthen it: a key
/// that never expires, or lives at least as long already, is left alone.
pub(crate) fn lengthened_exptime(remaining: Option<u64>, ttl: Option<Duration>) -> Option<u32> {
    lengthened_exptime_at(remaining, ttl, now_unix())
}

fn lengthened_exptime_at(
    remaining: Option<u64>,
    ttl: Option<Duration>,
    now_unix: u64,
) -> Option<u32> {
    let remaining = remaining?;
    match ttl {
        None => Some(0),
        Some(ttl) if remaining < lifetime_secs_at(ttl, now_unix) => {
            Some(exptime_at(Some(ttl), now_unix))
        }
        Some(_) => None,
    }
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

    /// A fake whose writes are counted: the `get` line must leave in one write.
    struct CountingWrites(Fake, usize);

    impl AsyncRead for CountingWrites {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> std::task::Poll<Result<usize, Error>> {
            std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for CountingWrites {
        fn poll_write(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &[u8],
        ) -> std::task::Poll<Result<usize, Error>> {
            self.1 += 1;
            std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
        }
        fn poll_flush(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::pin::Pin::new(&mut self.0).poll_flush(cx)
        }
        fn poll_close(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Error>> {
            std::pin::Pin::new(&mut self.0).poll_close(cx)
        }
    }

    #[test]
    fn gets_many_values_in_one_line_sent_in_one_write() {
        let input = b"VALUE a 0 1\r\n1\r\nVALUE c 0 5 77\r\nx y\r\n\r\nEND\r\n";
        let mut fake = CountingWrites(Fake::new(input), 0);
        let keys = ["a", "b", "c", "a"].map(String::from);
        let got = futures::executor::block_on(get_many(&mut fake, &keys)).unwrap();
        assert_eq!(
            fake.0.output, b"get a b c\r\n",
            "a repeated key is asked once"
        );
        assert_eq!(fake.1, 1, "one write for the whole line");
        assert_eq!(got.len(), 2);
        assert_eq!(got["a"], b"1");
        assert_eq!(
            got["c"], b"x y\r\n",
            "values are binary: CR LF inside is data"
        );
    }

    #[test]
    fn rejects_get_replies_out_of_step() {
        let keys = ["a".to_owned()];
        for input in [
            &b"VALUE b 0 1\r\n1\r\nEND\r\n"[..],
            b"VALUE a 0 1\r\n1\r\nVALUE a 0 1\r\n1\r\nEND\r\n",
            b"VALUE a 0 1\r\n12\r\nEND\r\n",
            b"VALUE a 0 x\r\n1\r\nEND\r\n",
            b"VALUE a 0 1\r\n1",
            b"SERVER_ERROR out of memory\r\n",
            b"END\r\nEND\r\n",
            b"",
        ] {
            let mut fake = Fake::new(input);
            let got = futures::executor::block_on(get_many(&mut fake, &keys));
            assert!(
                got.is_err(),
                "{:?} accepted",
                String::from_utf8_lossy(input)
            );
        }
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
    }

    #[test]
    fn a_lifetime_past_2038_is_clamped_to_the_last_exptime_memcached_accepts() {
        let now = 1_700_000_000;
        let last = i32::MAX as u32;
        let to_2038 = Duration::from_secs(u64::from(last) - now);
        assert_eq!(exptime_at(Some(to_2038), now), last, "ends exactly then");
        for ttl in [
            to_2038 + Duration::from_secs(1),
            to_2038 + Duration::from_nanos(1),
            Duration::from_secs(100 * 365 * 24 * 3600),
            Duration::from_secs(u64::MAX),
            Duration::MAX,
        ] {
            assert_eq!(exptime_at(Some(ttl), now), last, "{ttl:?}");
            assert_eq!(lifetime_secs_at(ttl, now), u64::from(last) - now);
        }
        // Within 30 days of the end of 2038-01-19, a relative 30 days lives longer.
        let late = u64::from(last) - 10;
        let year = Duration::from_secs(365 * 24 * 3600);
        assert_eq!(exptime_at(Some(year), late), 2_592_000);
        assert_eq!(exptime_at(Some(year), u64::MAX), 2_592_000);
        assert_eq!(exptime_at(Some(Duration::from_secs(5)), late), 5);
    }

    #[test]
    fn keep_alive_lines_are_meta_gets_and_their_replies_parse() {
        let commands = [
            Command::Ttl { key: "a".into() },
            Command::Ttl { key: "b".into() },
            Command::Ttl { key: "c".into() },
            Command::Touch {
                key: "a".into(),
                exptime: 60,
            },
            Command::Touch {
                key: "d".into(),
                exptime: 0,
            },
            Command::Ttl { key: "e".into() },
        ];
        let (replies, sent) = run(
            b"HD t42\r\nHD t-1\r\nEN\r\nHD\r\nEN\r\nSERVER_ERROR out of memory\r\n",
            &commands,
        );
        assert_eq!(
            replies.unwrap(),
            [
                Reply::Ttl(Some(42)),
                Reply::Ttl(None),
                Reply::NotFound,
                Reply::Touched,
                Reply::NotFound,
                Reply::ServerError("out of memory".into()),
            ]
        );
        assert_eq!(
            sent,
            b"mg a t\r\nmg b t\r\nmg c t\r\nmg a T60\r\nmg d T0\r\nmg e t\r\n"
        );
        let ttl = [Command::Ttl { key: "a".into() }];
        let touch = [Command::Touch {
            key: "a".into(),
            exptime: 1,
        }];
        for (input, commands) in [
            (&b"HD\r\n"[..], &ttl[..]),
            (b"HD t\r\n", &ttl),
            (b"HD t-2\r\n", &ttl),
            (b"HD tx\r\n", &ttl),
            (b"NOT_FOUND\r\n", &ttl),
            (b"ERROR\r\n", &ttl),
            (b"HD t5\r\n", &touch),
            (b"STORED\r\n", &touch),
            (b"TOUCHED\r\n", &touch),
        ] {
            let (result, _) = run(input, commands);
            assert!(
                result.is_err(),
                "{:?} accepted",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn a_keep_alive_only_ever_lengthens() {
        let now = 1_700_000_000;
        let min = Some(Duration::from_secs(60));
        // Absent or never expiring: nothing to do.
        assert_eq!(lengthened_exptime_at(None, min, now), None);
        assert_eq!(lengthened_exptime_at(None, None, now), None);
        // Shorter: lengthened; as long or longer: left alone.
        assert_eq!(lengthened_exptime_at(Some(59), min, now), Some(60));
        assert_eq!(lengthened_exptime_at(Some(60), min, now), None);
        assert_eq!(lengthened_exptime_at(Some(3600), min, now), None);
        // To never: exptime 0.
        assert_eq!(lengthened_exptime_at(Some(3600), None, now), Some(0));
        // Past 30 days: absolute, and clamped as stores are.
        let year = Some(Duration::from_secs(365 * 24 * 3600));
        assert_eq!(
            lengthened_exptime_at(Some(3600), year, now),
            Some(1_731_536_000)
        );
        let last = i32::MAX as u32;
        let forever = Some(Duration::MAX);
        assert_eq!(lengthened_exptime_at(Some(3600), forever, now), Some(last));
        // A key already clamped to the last exptime is not touched again.
        let clamped = u64::from(last) - now;
        assert_eq!(lengthened_exptime_at(Some(clamped), forever, now), None);
    }

    #[test]
    fn a_value_length_over_the_item_size_limit_is_an_error() {
        assert_eq!(
            value_header(b"VALUE k 0 1073741824").unwrap(),
            (&b"k"[..], 1 << 30)
        );
        for line in [
            &b"VALUE k 0 1073741825"[..],
            b"VALUE k 0 99999999999999",
            b"VALUE k 0 18446744073709551615",
            b"VALUE k 0 18446744073709551616",
            b"VALUE k 0 -1",
        ] {
            let err = value_header(line).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData);
        }
        // A value cut short after its header is an error, whatever length it claimed.
        for input in [
            &b"VALUE a 0 536870912\r\nabc"[..],
            b"VALUE a 0 99999999999999\r\nabc",
        ] {
            let mut fake = Fake::new(input);
            let got = futures::executor::block_on(get_many(&mut fake, &["a".to_owned()]));
            assert!(got.is_err());
        }
    }
}
