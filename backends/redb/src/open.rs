//! Opening redb databases. redb locks its file for one `Database` at a time, so every cache
//! of a process on the same file (other tables, other key prefixes) shares one `Database`.

use crate::RedbConfig;
use easy_cache_core::{Error, Result};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, Weak,
        atomic::{AtomicU64, Ordering},
    },
};

/// An open database and the options it was opened with.
pub(crate) struct OpenDb {
    /// The database; closed (unlocked) when the last cache using it is dropped. Always
    /// `Some` until then.
    db: Option<redb::Database>,
    cache_size_bytes: u64,
    /// The file of a temporary database, removed once it is closed.
    temporary: Option<PathBuf>,
}

impl OpenDb {
    /// The open database (only `drop` takes it out: never an error while a store uses it).
    #[inline]
    pub(crate) fn database(&self) -> Result<&redb::Database> {
        self.db.as_ref().ok_or_else(|| {
            Error::new(
                easy_cache_core::ErrorKind::Backend,
                "the redb database is closed",
            )
        })
    }
}

impl OpenDb {
    /// The file of a temporary database.
    #[cfg(test)]
    pub(crate) fn temporary_file(&self) -> Option<&Path> {
        self.temporary.as_deref()
    }
}

impl Drop for OpenDb {
    fn drop(&mut self) {
        // Closed under the registry lock: a cache opening the same file meanwhile waits until
        // redb has released its lock, instead of failing on it.
        let _open = registry();
        if let Some(db) = self.db.take()
            && let Err(e) = db.close()
        {
            tracing::warn!(error = %e, "closing the redb database failed");
        }
        if let Some(file) = self.temporary.take()
            && let Err(e) = std::fs::remove_file(&file)
        {
            tracing::debug!(file = %file.display(), error = %e, "cannot remove a temporary redb file");
        }
    }
}

/// Databases open in this process, by canonical file path.
static OPEN: Mutex<Option<HashMap<PathBuf, Weak<OpenDb>>>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<HashMap<PathBuf, Weak<OpenDb>>>> {
    OPEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The database `config` names: a fresh one for a temporary configuration, else the one this
/// process already has open on that file, or a newly opened one.
pub(crate) fn open_db(config: &RedbConfig) -> Result<Arc<OpenDb>> {
    let path = match (&config.path, config.temporary) {
        (Some(path), false) => canonical_file(config, path)?,
        _ => return open_new(config, &temporary_file(), true).map(Arc::new),
    };
    // Held while opening, so two caches opening one file at once cannot both try.
    let mut open = registry();
    let open = open.get_or_insert_with(HashMap::new);
    open.retain(|_, db| db.strong_count() > 0);
    if let Some(db) = open.get(&path).and_then(Weak::upgrade) {
        if db.cache_size_bytes != config.cache_size_bytes {
            tracing::warn!(
                path = %path.display(),
                cache_size_bytes = db.cache_size_bytes,
                "redb database already open in this process with another cache_size_bytes; \
                 keeping it"
            );
        }
        return Ok(db);
    }
    let db = Arc::new(open_new(config, &path, false)?);
    open.insert(path, Arc::downgrade(&db));
    Ok(db)
}

/// A file name no other temporary database of any process uses.
fn temporary_file() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::UNIX_EPOCH.elapsed().map_or(0, |d| d.as_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "easy-cache-redb-{}-{nanos}-{n}.redb",
        std::process::id()
    ))
}

/// The database file with its directory created if missing and without symlinks or `..`:
/// one key per file however its URLs spell it.
fn canonical_file(config: &RedbConfig, path: &Path) -> Result<PathBuf> {
    let failed = |e| {
        Error::backend(
            format!("cannot create the directory of {}", config.display_url()),
            e,
        )
    };
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        // validate() refuses such paths; kept an error rather than a panic.
        return Err(Error::new(
            easy_cache_core::ErrorKind::Config,
            "redb:// `path` must name a file",
        ));
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    Ok(std::fs::canonicalize(dir).map_err(failed)?.join(name))
}

fn open_new(config: &RedbConfig, path: &Path, temporary: bool) -> Result<OpenDb> {
    // validate() checked that it fits.
    let cache_size = usize::try_from(config.cache_size_bytes).unwrap_or(usize::MAX);
    let db = redb::Builder::new()
        .set_cache_size(cache_size)
        .create(path)
        .map_err(|e| {
            Error::backend(
                format!("cannot open the redb database {}", config.display_url()),
                e,
            )
        })?;
    Ok(OpenDb {
        db: Some(db),
        cache_size_bytes: config.cache_size_bytes,
        temporary: temporary.then(|| path.to_owned()),
    })
}
