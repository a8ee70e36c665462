//! The cached functions under load: one `#[ecached]` function per backend (an alias is fixed
//! per function), each with a template key, a tag and a prefix, reading its own
//! [`Database`].

use super::db::{Database, group_of, org_of};
use easy_cache::Result;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// One cached function over one backend's database. The item's org and group are
/// parameters because the prefix and the tag templates use them.
macro_rules! cached_item {
    ($module:ident, $alias:tt) => {
        /// The function cached on the backend registered as
        #[doc = concat!("`", $alias, "`.")]
        pub mod $module {
            use super::*;
            use easy_cache::ecached;

            /// The data behind this backend's function.
            pub static DB: Database = Database::new();
            /// How many times the function body ran (misses and refreshes).
            pub static RUNS: AtomicU64 = AtomicU64::new(0);

            /// Item `id` as `(id, version)`, read from [`DB`].
            #[ecached("{ns}:item:{id}", 600, tags = ["{ns}:group:{group}"], prefix = "{ns}:org:{org}", cache_alias = $alias)]
            pub async fn item(ns: &str, org: u64, group: u64, id: u64) -> (u64, u64) {
                // Used by the key, tag and prefix templates only.
                let _ = (ns, org, group);
                RUNS.fetch_add(1, Ordering::Relaxed);
                let version = DB.read(id);
                // A database round trip: other tasks run meanwhile, so stores of values
                // read before a write race the invalidation that follows the write.
                if fastrand::u8(..4) == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    tokio::task::yield_now().await;
                }
                (id, version)
            }
        }
    };
}

cached_item!(redis, "soak_redis");
cached_item!(memcached, "soak_memcached");

/// A backend under load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// A standalone Redis.
    Redis,
    /// Memcached servers.
    Memcached,
}

impl Backend {
    /// Every backend, in report order (the test drives each by hand).
    #[cfg(test)]
    pub const ALL: [Backend; 2] = [Backend::Redis, Backend::Memcached];

    /// The alias its function caches under.
    pub fn alias(self) -> &'static str {
        match self {
            Backend::Redis => "soak_redis",
            Backend::Memcached => "soak_memcached",
        }
    }

    /// The data behind its function.
    pub fn db(self) -> &'static Database {
        match self {
            Backend::Redis => &redis::DB,
            Backend::Memcached => &memcached::DB,
        }
    }

    /// How many times its function body ran so far in this process.
    pub fn runs(self) -> u64 {
        match self {
            Backend::Redis => redis::RUNS.load(Ordering::Relaxed),
            Backend::Memcached => memcached::RUNS.load(Ordering::Relaxed),
        }
    }

    /// The function's name, as the engine's log events give it.
    pub fn function(self) -> &'static str {
        match self {
            Backend::Redis => redis::item_cache().fn_cache().name(),
            Backend::Memcached => memcached::item_cache().fn_cache().name(),
        }
    }

    /// The backend crate, as the target of its log events starts.
    pub fn crate_name(self) -> &'static str {
        match self {
            Backend::Redis => "easy_cache_redis",
            Backend::Memcached => "easy_cache_memcached",
        }
    }

    /// One cached call of item `id`.
    pub async fn call(self, ns: &str, id: u64) -> (u64, u64) {
        let (org, group) = (org_of(id), group_of(id));
        match self {
            Backend::Redis => redis::item(ns, org, group, id).await,
            Backend::Memcached => memcached::item(ns, org, group, id).await,
        }
    }

    /// Recomputes item `id` and stores it, bypassing the cached value.
    pub async fn refresh(self, ns: &str, id: u64) -> (u64, u64) {
        let (org, group) = (org_of(id), group_of(id));
        match self {
            Backend::Redis => {
                let call = redis::item(ns, org, group, id);
                redis::item_cache().refresh_cache(call).await
            }
            Backend::Memcached => {
                let call = memcached::item(ns, org, group, id);
                memcached::item_cache().refresh_cache(call).await
            }
        }
    }

    /// Removes the entry of item `id`.
    pub async fn invalidate_key(self, ns: &str, id: u64) -> Result<bool> {
        let org = org_of(id);
        match self {
            Backend::Redis => {
                redis::item_cache()
                    .invalidate_cache_by_key(ns, &org, &id)
                    .await
            }
            Backend::Memcached => {
                memcached::item_cache()
                    .invalidate_cache_by_key(ns, &org, &id)
                    .await
            }
        }
    }

    /// Invalidates the tag of `group`.
    pub async fn invalidate_group(self, ns: &str, group: u64) -> Result<()> {
        match self {
            Backend::Redis => {
                redis::item_cache()
                    .invalidate_cache_by_tags(ns, &group)
                    .await
            }
            Backend::Memcached => {
                memcached::item_cache()
                    .invalidate_cache_by_tags(ns, &group)
                    .await
            }
        }
    }

    /// Invalidates the prefix of `org`.
    pub async fn invalidate_org(self, ns: &str, org: u64) -> Result<()> {
        match self {
            Backend::Redis => {
                redis::item_cache()
                    .invalidate_cache_by_prefix(ns, &org)
                    .await
            }
            Backend::Memcached => {
                memcached::item_cache()
                    .invalidate_cache_by_prefix(ns, &org)
                    .await
            }
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Redis => "redis",
            Backend::Memcached => "memcached",
        })
    }
}
