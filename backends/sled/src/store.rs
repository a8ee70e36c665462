//! The cache operations on an open sled tree. sled calls are synchronous and in-process
//! (no network), so they run directly on the caller's thread; none of them waits for a flush.

use crate::{
    open::OpenDb,
    record::{self, State},
};
use bytes::Bytes;
use easy_cache_core::{Error, ErrorKind, Result, Timeout, Write, WriteMode};
use sled::{Batch, CompareAndSwapError, IVec, Tree};
use std::{borrow::Cow, cell::OnceCell, sync::Arc, time::Duration};

/// How often `add` retries when other writers keep changing its key between read and swap.
const MAX_CAS_ATTEMPTS: usize = 64;

/// One cache's view of an open database: its tree, key prefix and default lifetime.
pub(crate) struct Store {
    pub(crate) tree: Tree,
    pub(crate) prefix: Vec<u8>,
    default_timeout: Option<Duration>,
    pub(crate) name: String,
    /// Keeps the database open while this store lives.
    _db: Arc<OpenDb>,
}

/// A sled error as an easy-cache [`ErrorKind::Backend`] error.
pub(crate) fn backend_error(name: &str, what: &str, e: sled::Error) -> Error {
    Error::backend(format!("{name}: sled {what} failed"), e)
}

impl Store {
    /// A store on `tree` of `db`.
    pub(crate) fn new(
        db: Arc<OpenDb>,
        tree: &str,
        prefix: &str,
        default_timeout: Option<Duration>,
        name: String,
    ) -> Result<Self> {
        let tree = db
            .open_tree(tree)
            .map_err(|e| backend_error(&name, "open_tree", e))?;
        Ok(Store {
            tree,
            prefix: prefix.as_bytes().to_vec(),
            default_timeout,
            name,
            _db: db,
        })
    }

    fn fail<'a>(&'a self, what: &'a str) -> impl FnOnce(sled::Error) -> Error + 'a {
        move |e| backend_error(&self.name, what, e)
    }

    /// The tree key of a cache key.
    #[inline]
    fn key<'a>(&self, key: &'a str) -> Cow<'a, [u8]> {
        record::prefixed(&self.prefix, key)
    }

    /// The record of `value` stored now for `timeout`.
    fn record(&self, value: &[u8], timeout: Timeout) -> Vec<u8> {
        let expiry = record::expiry_at(record::now_millis(), timeout.resolve(self.default_timeout));
        record::encode(expiry, value)
    }

    pub(crate) fn get(&self, key: &str) -> Result<Option<Bytes>> {
        let key = self.key(key);
        let found = self.tree.get(&key).map_err(self.fail("get"))?;
        Ok(found.and_then(|record| self.read(&key, record, record::now_millis)))
    }

    pub(crate) fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        // One time for the whole read, taken only if a record can expire.
        let now = OnceCell::new();
        keys.iter()
            .map(|key| {
                let key = self.key(key);
                let found = self.tree.get(&key).map_err(self.fail("get"))?;
                let now = || *now.get_or_init(record::now_millis);
                Ok(found.and_then(|record| self.read(&key, record, now)))
            })
            .collect()
    }

    /// Lends the live value under `key` to `read` (`None` when absent), without copying it
    /// out of its record.
    pub(crate) fn peek(&self, key: &str, read: &mut dyn FnMut(Option<&[u8]>)) -> Result<()> {
        let key = self.key(key);
        // Matched where sled returned it: moving the record out of its `Result<Option<_>>`
        // (`?`, `map_err`) copies its inline bytes between differently laid out enums, and
        // those copies stalled on store forwarding as long as the rest of this function.
        let found = self.tree.get(&key);
        if let Ok(Some(record)) = &found {
            match record::state(record, record::now_millis) {
                State::Live(value) => read(Some(value)),
                stale => {
                    self.remove_stale(&key, record, &stale);
                    read(None);
                }
            }
            return Ok(());
        }
        found.map_err(self.fail("get"))?;
        read(None);
        Ok(())
    }

    /// The value of a record read under `key`; an expired or corrupt record reads as absent
    /// and is removed (unless it was replaced meanwhile).
    fn read(&self, key: &[u8], record: IVec, now: impl FnOnce() -> u64) -> Option<Bytes> {
        match record::state(&record, now) {
            State::Live(_) => Some(record::value(record)),
            stale => {
                self.remove_stale(key, &record, &stale);
                None
            }
        }
    }

    /// Removes an expired or corrupt record (unless it was replaced meanwhile).
    fn remove_stale(&self, key: &[u8], record: &IVec, state: &State<'_>) {
        if *state == State::Corrupt {
            tracing::warn!(
                cache = %self.name,
                key = %String::from_utf8_lossy(key),
                len = record.len(),
                "sled record shorter than its expiry header; reading it as absent and removing it"
            );
        }
        let swapped = self.tree.compare_and_swap(key, Some(record), None::<&[u8]>);
        if let Err(e) = swapped {
            tracing::debug!(cache = %self.name, error = %e, "removing a stale record failed");
        }
    }

    pub(crate) fn set(&self, key: &str, value: &[u8], timeout: Timeout) -> Result<()> {
        let key = self.key(key);
        if timeout.is_zero() {
            self.tree.remove(&key).map_err(self.fail("remove"))?;
        } else {
            let record = self.record(value, timeout);
            self.tree
                .insert(&key, record)
                .map_err(self.fail("insert"))?;
        }
        Ok(())
    }

    pub(crate) fn set_many(&self, entries: &[(&str, Bytes)], timeout: Timeout) -> Result<()> {
        let mut batch = Batch::default();
        for (key, value) in entries {
            self.batch_set(&mut batch, key, value, timeout);
        }
        self.tree
            .apply_batch(batch)
            .map_err(self.fail("apply_batch"))
    }

    fn batch_set(&self, batch: &mut Batch, key: &str, value: &[u8], timeout: Timeout) {
        let key = self.key(key).into_owned();
        if timeout.is_zero() {
            batch.remove(key);
        } else {
            batch.insert(key, self.record(value, timeout));
        }
    }

    /// Stores only if the key holds no live record: a compare-and-swap from what is there
    /// (nothing, or an expired or corrupt record) to the new record.
    pub(crate) fn add(&self, key: &str, value: &[u8], timeout: Timeout) -> Result<bool> {
        if timeout.is_zero() {
            return Ok(false);
        }
        let key = self.key(key);
        let now = record::now_millis();
        let new = IVec::from(self.record(value, timeout));
        let mut current = self.tree.get(&key).map_err(self.fail("get"))?;
        for _ in 0..MAX_CAS_ATTEMPTS {
            if current.as_ref().is_some_and(|r| record::is_live(r, now)) {
                return Ok(false);
            }
            let swapped = self
                .tree
                .compare_and_swap(&key, current.as_ref(), Some(new.clone()))
                .map_err(self.fail("compare_and_swap"))?;
            match swapped {
                Ok(()) => return Ok(true),
                // Someone wrote in between: decide again on what is there now.
                Err(CompareAndSwapError {
                    current: now_there, ..
                }) => current = now_there,
            }
        }
        Err(Error::new(
            ErrorKind::Backend,
            format!(
                "{}: add gave up after {MAX_CAS_ATTEMPTS} compare-and-swap attempts on a key \
                 other writers keep changing",
                self.name
            ),
        ))
    }

    /// Lengthens the lifetime of the live record under `key` to at least `timeout` from
    /// now; never shortens it, never brings back an absent or expired key.
    pub(crate) fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        let key = self.key(key);
        let wanted = record::expiry_at(record::now_millis(), timeout.resolve(self.default_timeout));
        let mut current = self.tree.get(&key).map_err(self.fail("get"))?;
        for _ in 0..MAX_CAS_ATTEMPTS {
            let Some(record) = current.as_ref() else {
                return Ok(());
            };
            let Some(lengthened) = record::lengthened(record, wanted, record::now_millis()) else {
                return Ok(());
            };
            let swapped = self
                .tree
                .compare_and_swap(&key, current.as_ref(), Some(lengthened))
                .map_err(self.fail("compare_and_swap"))?;
            match swapped {
                Ok(()) => return Ok(()),
                Err(CompareAndSwapError {
                    current: now_there, ..
                }) => current = now_there,
            }
        }
        // Only a lifetime is at stake: the key keeps the one it has.
        tracing::debug!(cache = %self.name, "keep_alive gave up on a key other writers keep changing");
        Ok(())
    }

    /// Removes `key`; true when it held a live value.
    pub(crate) fn delete(&self, key: &str) -> Result<bool> {
        let removed = self
            .tree
            .remove(self.key(key))
            .map_err(self.fail("remove"))?;
        Ok(removed.is_some_and(|r| record::is_live(&r, record::now_millis())))
    }

    pub(crate) fn delete_many(&self, keys: &[&str]) -> Result<()> {
        let mut batch = Batch::default();
        for key in keys {
            batch.remove(self.key(key).into_owned());
        }
        self.tree
            .apply_batch(batch)
            .map_err(self.fail("apply_batch"))
    }

    /// Applies `writes` in order: runs of sets go in one atomic batch; an add or a
    /// keep-alive first applies the batch before it, then runs on its own, so it sees
    /// every earlier write.
    pub(crate) fn write_batch(&self, writes: &[Write]) -> Result<()> {
        let mut pending: Option<Batch> = None;
        for Write {
            key,
            value,
            timeout,
            mode,
        } in writes
        {
            if *mode == WriteMode::Set {
                self.batch_set(
                    pending.get_or_insert_with(Batch::default),
                    key,
                    value,
                    *timeout,
                );
                continue;
            }
            if let Some(batch) = pending.take() {
                self.tree
                    .apply_batch(batch)
                    .map_err(self.fail("apply_batch"))?;
            }
            if *mode == WriteMode::Add {
                self.add(key, value, *timeout)?;
            } else {
                self.keep_alive(key, *timeout)?;
            }
        }
        match pending {
            Some(batch) => self
                .tree
                .apply_batch(batch)
                .map_err(self.fail("apply_batch")),
            None => Ok(()),
        }
    }
}
