//! The cache operations on an open redb table. Reads run in a read transaction (never
//! waiting for the writer); each write call is one write transaction, committed durably
//! before it returns. redb calls run on the caller's thread.

use crate::{evict, open::OpenDb};
use bytes::Bytes;
use easy_cache_core::{Error, Result, Timeout, Write, WriteMode};
use easy_cache_disk::record::{self, State};
use redb::{ReadOnlyTable, ReadableDatabase, ReadableTable, Table, TableDefinition};
use std::{borrow::Cow, cell::OnceCell, sync::Arc, time::Duration};

/// The table of records: key bytes to record bytes.
pub(crate) type Records<'a> = TableDefinition<'a, &'static [u8], &'static [u8]>;
/// The table open in a write transaction.
pub(crate) type WriteTable<'t> = Table<'t, &'static [u8], &'static [u8]>;
/// The table open in a read transaction.
pub(crate) type ReadTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

/// One cache's view of an open database: its table, key prefix and default lifetime.
pub(crate) struct Store {
    db: Arc<OpenDb>,
    pub(crate) table: String,
    pub(crate) prefix: Vec<u8>,
    default_timeout: Option<Duration>,
    /// 0: unbounded.
    max_entries: u64,
    pub(crate) name: String,
}

/// A redb error as an easy-cache [`ErrorKind::Backend`](easy_cache_core::ErrorKind) error.
pub(crate) fn backend_error(name: &str, what: &str, e: impl Into<redb::Error>) -> Error {
    Error::backend(format!("{name}: redb {what} failed"), e.into())
}

impl Store {
    /// A store on `table` of `db`, creating the table if it is missing.
    pub(crate) fn new(db: Arc<OpenDb>, config: &crate::RedbConfig, name: String) -> Result<Self> {
        let store = Store {
            db,
            table: config.table.clone(),
            prefix: config.key_prefix.as_bytes().to_vec(),
            default_timeout: config.default_timeout,
            max_entries: config.max_entries,
            name,
        };
        // Read transactions cannot create it: do it once, now.
        store.write("open_table", |_| Ok(((), true)))?;
        Ok(store)
    }

    pub(crate) fn fail<'a, E: Into<redb::Error>>(
        &'a self,
        what: &'a str,
    ) -> impl FnOnce(E) -> Error + 'a {
        move |e| backend_error(&self.name, what, e)
    }

    fn definition(&self) -> Records<'_> {
        TableDefinition::new(&self.table)
    }

    /// The open database.
    pub(crate) fn database(&self) -> Result<&redb::Database> {
        self.db.database()
    }

    /// The file of a temporary database.
    #[cfg(test)]
    pub(crate) fn temporary_file(&self) -> Option<&std::path::Path> {
        self.db.temporary_file()
    }

    /// Runs `f` on the table in a new read transaction.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&ReadTable) -> Result<T>) -> Result<T> {
        let txn = self
            .database()?
            .begin_read()
            .map_err(self.fail("begin_read"))?;
        let table = txn
            .open_table(self.definition())
            .map_err(self.fail("open_table"))?;
        f(&table)
    }

    /// Runs `f` on the table in one write transaction, committed when `f` says it wrote
    /// (the `bool`), after evicting if that took the table above `max_entries`; dropped
    /// (aborted) when it did not or when it failed.
    pub(crate) fn write<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut WriteTable<'_>) -> Result<(T, bool)>,
    ) -> Result<T> {
        let txn = self
            .database()?
            .begin_write()
            .map_err(self.fail("begin_write"))?;
        let (out, wrote) = {
            let mut table = txn
                .open_table(self.definition())
                .map_err(self.fail("open_table"))?;
            let (out, wrote) = f(&mut table)?;
            if wrote && self.max_entries > 0 {
                let evicted = evict::evict(&mut table, self.max_entries, record::now_millis())
                    .map_err(self.fail("evict"))?;
                if evicted > 0 {
                    tracing::debug!(cache = %self.name, evicted, "table above max_entries");
                }
            }
            (out, wrote)
        };
        if wrote {
            txn.commit().map_err(self.fail(what))?;
        }
        Ok(out)
    }

    /// The table key of a cache key.
    #[inline]
    pub(crate) fn key<'a>(&self, key: &'a str) -> Cow<'a, [u8]> {
        record::prefixed(&self.prefix, key)
    }

    /// The value under `key` in `table`, lent to `read` (`None` when absent, expired or
    /// corrupt).
    fn lend_from<T>(
        &self,
        table: &ReadTable,
        key: &str,
        now: impl FnOnce() -> u64,
        read: impl FnOnce(Option<&[u8]>) -> T,
    ) -> Result<T> {
        let key = self.key(key);
        let found = table.get(key.as_ref()).map_err(self.fail("get"))?;
        let Some(guard) = found else {
            return Ok(read(None));
        };
        let record = guard.value();
        Ok(match record::state(record, now) {
            State::Live(value) => read(Some(value)),
            State::Expired => read(None),
            State::Corrupt => {
                tracing::warn!(
                    cache = %self.name,
                    key = %String::from_utf8_lossy(&key),
                    len = record.len(),
                    "redb record shorter than its expiry header; reading it as absent \
                     (the next purge removes it)"
                );
                read(None)
            }
        })
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.read(|table| {
            self.lend_from(table, key, record::now_millis, |v| {
                v.map(Bytes::copy_from_slice)
            })
        })
    }

    pub(crate) fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.read(|table| {
            // One time for the whole read, taken only if a record can expire.
            let now = OnceCell::new();
            keys.iter()
                .map(|key| {
                    let now = || *now.get_or_init(record::now_millis);
                    self.lend_from(table, key, now, |v| v.map(Bytes::copy_from_slice))
                })
                .collect()
        })
    }

    /// Lends the live value under `key` to `read` (`None` when absent), without copying it
    /// out of the page it is on.
    pub(crate) fn peek(&self, key: &str, read: &mut dyn FnMut(Option<&[u8]>)) -> Result<()> {
        self.read(|table| self.lend_from(table, key, record::now_millis, read))
    }

    /// The record of `value` stored at `now` for `timeout`.
    fn record(&self, value: &[u8], timeout: Timeout, now: u64) -> Vec<u8> {
        record::encode(
            record::expiry_at(now, timeout.resolve(self.default_timeout)),
            value,
        )
    }

    /// Stores (or, for a zero lifetime, removes) `key` in `table`.
    fn put(
        &self,
        table: &mut WriteTable<'_>,
        key: &str,
        value: &[u8],
        timeout: Timeout,
        now: u64,
    ) -> Result<()> {
        let key = self.key(key);
        if timeout.is_zero() {
            table.remove(key.as_ref()).map_err(self.fail("remove"))?;
        } else {
            let record = self.record(value, timeout, now);
            table
                .insert(key.as_ref(), record.as_slice())
                .map_err(self.fail("insert"))?;
        }
        Ok(())
    }

    /// Stores `key` in `table` unless it holds a live record; true when it stored.
    fn put_if_absent(
        &self,
        table: &mut WriteTable<'_>,
        key: &str,
        value: &[u8],
        timeout: Timeout,
        now: u64,
    ) -> Result<bool> {
        if timeout.is_zero() {
            return Ok(false);
        }
        let key = self.key(key);
        let found = table.get(key.as_ref()).map_err(self.fail("get"))?;
        if found.is_some_and(|record| record::is_live(record.value(), now)) {
            return Ok(false);
        }
        let record = self.record(value, timeout, now);
        table
            .insert(key.as_ref(), record.as_slice())
            .map_err(self.fail("insert"))?;
        Ok(true)
    }

    /// Lengthens the live record under `key`; true when it did.
    fn lengthen(
        &self,
        table: &mut WriteTable<'_>,
        key: &str,
        timeout: Timeout,
        now: u64,
    ) -> Result<bool> {
        let key = self.key(key);
        let wanted = record::expiry_at(now, timeout.resolve(self.default_timeout));
        let found = table.get(key.as_ref()).map_err(self.fail("get"))?;
        let Some(longer) = found.and_then(|r| record::lengthened(r.value(), wanted, now)) else {
            return Ok(false);
        };
        table
            .insert(key.as_ref(), longer.as_slice())
            .map_err(self.fail("insert"))?;
        Ok(true)
    }

    pub(crate) fn set(&self, key: &str, value: &[u8], timeout: Timeout) -> Result<()> {
        self.write("commit", |table| {
            self.put(table, key, value, timeout, record::now_millis())
                .map(|()| ((), true))
        })
    }

    pub(crate) fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let now = record::now_millis();
        self.write("commit", |table| {
            for (key, value) in entries {
                self.put(table, key, value, timeout, now)?;
            }
            Ok(((), true))
        })
    }

    /// Stores only if the key holds no live record: the read and the write are one write
    /// transaction, and redb runs one at a time, so it is atomic.
    pub(crate) fn add(&self, key: &str, value: &[u8], timeout: Timeout) -> Result<bool> {
        self.write("commit", |table| {
            let stored = self.put_if_absent(table, key, value, timeout, record::now_millis())?;
            Ok((stored, stored))
        })
    }

    /// Lengthens the lifetime of the live record under `key` to at least `timeout` from
    /// now; never shortens it, never brings back an absent or expired key.
    pub(crate) fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.write("commit", |table| {
            let wrote = self.lengthen(table, key, timeout, record::now_millis())?;
            Ok(((), wrote))
        })
    }

    /// Removes `key`; true when it held a live value.
    pub(crate) fn delete(&self, key: &str) -> Result<bool> {
        let key = self.key(key);
        self.write("commit", |table| {
            let removed = table.remove(key.as_ref()).map_err(self.fail("remove"))?;
            let found = removed.is_some();
            let live = removed.is_some_and(|r| record::is_live(r.value(), record::now_millis()));
            Ok((live, found))
        })
    }

    /// Removes every key in one write transaction.
    pub(crate) fn delete_many(&self, keys: &[&str]) -> Result<()> {
        self.write("commit", |table| {
            let mut found = false;
            for key in keys {
                let removed = table
                    .remove(self.key(key).as_ref())
                    .map_err(self.fail("remove"))?;
                found |= removed.is_some();
            }
            Ok(((), found))
        })
    }

    /// Applies `writes` in order in one write transaction: an add or a keep-alive sees
    /// every earlier write of the batch, and the batch lands whole or not at all.
    pub(crate) fn write_batch(&self, writes: &[Write]) -> Result<()> {
        if writes.is_empty() {
            return Ok(());
        }
        let now = record::now_millis();
        self.write("commit", |table| {
            let mut wrote = false;
            for Write {
                key,
                value,
                timeout,
                mode,
            } in writes
            {
                wrote |= match mode {
                    WriteMode::Set => self.put(table, key, value, *timeout, now).map(|()| true)?,
                    WriteMode::Add => self.put_if_absent(table, key, value, *timeout, now)?,
                    WriteMode::KeepAlive => self.lengthen(table, key, *timeout, now)?,
                };
            }
            Ok(((), wrote))
        })
    }
}
