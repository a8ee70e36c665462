//! Opening sled databases. sled locks its directory for one `Db` at a time, so every cache of
//! a process on the same directory (other trees, other key prefixes) shares one `Db`.

use crate::SledConfig;
use easy_cache_core::{Error, Result};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard, PoisonError, Weak},
};

/// An open database and the options it was opened with.
pub(crate) struct OpenDb {
    /// The database; closed (flushed, unlocked) when the last cache using it is dropped.
    /// Always `Some` until then.
    db: Option<sled::Db>,
    cache_capacity_bytes: u64,
    flush_every_ms: u64,
}

impl OpenDb {
    /// Opens the tree `name`.
    pub(crate) fn open_tree(&self, name: &str) -> sled::Result<sled::Tree> {
        match &self.db {
            Some(db) => db.open_tree(name),
            None => Err(sled::Error::Unsupported("the database is closed".into())),
        }
    }
}

impl Drop for OpenDb {
    fn drop(&mut self) {
        // Closed under the registry lock: a cache opening the same directory meanwhile waits
        // until sled has flushed and released its lock, instead of failing on it.
        let _open = registry();
        drop(self.db.take());
    }
}

/// Databases open in this process, by canonical directory.
static OPEN: Mutex<Option<HashMap<PathBuf, Weak<OpenDb>>>> = Mutex::new(None);

fn registry() -> MutexGuard<'static, Option<HashMap<PathBuf, Weak<OpenDb>>>> {
    OPEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The database `config` names: a fresh one for a temporary configuration, else the one this
/// process already has open on that directory, or a newly opened one.
pub(crate) fn open_db(config: &SledConfig) -> Result<Arc<OpenDb>> {
    let path = match (&config.path, config.temporary) {
        (Some(path), false) => canonical_dir(config, path)?,
        _ => return open_new(config, None).map(Arc::new),
    };
    // Held while opening, so two caches opening one directory at once cannot both try.
    let mut open = registry();
    let open = open.get_or_insert_with(HashMap::new);
    open.retain(|_, db| db.strong_count() > 0);
    if let Some(db) = open.get(&path).and_then(Weak::upgrade) {
        if (db.cache_capacity_bytes, db.flush_every_ms)
            != (config.cache_capacity_bytes, config.flush_every_ms)
        {
            tracing::warn!(
                path = %path.display(),
                cache_capacity_bytes = db.cache_capacity_bytes,
                flush_every_ms = db.flush_every_ms,
                "sled database already open in this process with other \
                 cache_capacity_bytes/flush_every_ms; keeping those"
            );
        }
        return Ok(db);
    }
    let db = Arc::new(open_new(config, Some(&path))?);
    open.insert(path, Arc::downgrade(&db));
    Ok(db)
}

/// The database directory, created if missing, without symlinks or `..`: one key per
/// directory however its URLs spell it.
fn canonical_dir(config: &SledConfig, path: &Path) -> Result<PathBuf> {
    let failed = |e| {
        Error::backend(
            format!(
                "cannot create the sled directory of {}",
                config.display_url()
            ),
            e,
        )
    };
    std::fs::create_dir_all(path).map_err(failed)?;
    std::fs::canonicalize(path).map_err(failed)
}

fn open_new(config: &SledConfig, path: Option<&Path>) -> Result<OpenDb> {
    let flush_every_ms = (config.flush_every_ms > 0).then_some(config.flush_every_ms);
    let sled_config = sled::Config::new()
        .cache_capacity(config.cache_capacity_bytes)
        .flush_every_ms(flush_every_ms);
    let sled_config = match path {
        Some(path) => sled_config.path(path),
        None => sled_config.temporary(true),
    };
    let db = sled_config.open().map_err(|e| {
        Error::backend(
            format!("cannot open the sled database {}", config.display_url()),
            e,
        )
    })?;
    Ok(OpenDb {
        db: Some(db),
        cache_capacity_bytes: config.cache_capacity_bytes,
        flush_every_ms: config.flush_every_ms,
    })
}
