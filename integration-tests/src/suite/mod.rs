//! The behaviour suite every backend must pass, written once against `dyn CacheInstance`.
//!
//! Each topic is a file of this module and a public function taking a [`Backend`]: what to
//! open caches on, and what that backend can do. [`behaviour_suite!`](crate::behaviour_suite)
//! expands one named test per topic for a backend (`standalone::values_expire`), so a
//! failure names both; the topics that need a capability (a shared store for key prefixes,
//! a network server, a private server to restart) are expanded only where the invocation
//! names it. Every topic works in its own random key namespace, so tests run in parallel
//! against one server without colliding; failures name the backend (`cache.name()`) and
//! the check.
//!
//! ```no_run
//! use easy_cache_integration_tests::{behaviour_suite, suite::Backend};
//!
//! fn memory() -> Backend {
//!     Backend::new("memory://").in_process()
//! }
//!
//! behaviour_suite!(memory = memory());
//! ```
//!
//! [`run`] runs the topics that need only the cache trait in one test, for a backend on a
//! server its test starts itself.

mod add;
mod add_race;
mod batches;
mod check;
mod every_trait_method;
mod expiry;
mod keep_alive;
mod key_prefix;
mod keys;
mod many_keys;
mod near_cache;
mod private_server;
mod restart;
mod single_keys;
mod unreachable;
mod values;
mod values_expire;
mod write_batch;

pub use add::add;
pub use add_race::add_is_atomic_under_50_concurrent_tasks;
pub use batches::batches;
pub use every_trait_method::every_trait_method_behaves;
pub use expiry::expiry;
pub use keep_alive::keep_alive;
pub use key_prefix::key_prefix_isolates_caches;
pub use keys::keys;
pub use many_keys::many_keys;
pub use near_cache::near_cache;
pub use private_server::{PrivateServer, RunningServer};
pub use restart::recovers_after_a_restart_and_times_out_when_frozen;
pub use single_keys::single_keys;
pub use unreachable::an_unreachable_server_errors_quickly;
pub use values::values;
pub use values_expire::values_expire;
pub use write_batch::write_batch;

use crate::support::{TempDir, from_url, with_options};
use easy_cache_core::CacheInstance;
use std::{future::Future, sync::Arc, time::Duration};

/// How long values of the expiry checks live. Memcached counts expiry in whole seconds, so a
/// 1 s value may vanish at once: 2 s leaves at least one second to see it.
const SHORT_LIFE: Duration = Duration::from_secs(2);
/// How long the expiry checks wait; everything with [`SHORT_LIFE`] must be gone by then.
const EXPIRY_WAIT: Duration = Duration::from_millis(3200);

/// A hung backend fails its topic instead of hanging the run.
const TOPIC_LIMIT: Duration = Duration::from_secs(60);

/// A backend under test: the URL its caches are opened from, and what it can do.
#[derive(Debug)]
pub struct Backend {
    url: String,
    whole_seconds: bool,
    in_process: bool,
    concurrency_options: &'static str,
    network_scheme: Option<&'static str>,
    near_options: &'static str,
    private_server: Option<PrivateServer>,
    _dir: Option<TempDir>,
}

impl Backend {
    /// The backend behind `url`; topics add their options to its query.
    pub fn new(url: impl Into<String>) -> Self {
        Backend {
            url: url.into(),
            whole_seconds: false,
            in_process: false,
            concurrency_options: "",
            network_scheme: None,
            near_options: "",
            private_server: None,
            _dir: None,
        }
    }

    /// Lifetimes are kept in whole seconds (Memcached): the expiry topics give values
    /// longer lives and wait longer.
    pub fn whole_seconds(mut self) -> Self {
        self.whole_seconds = true;
        self
    }

    /// Reads are answered in the calling thread too (`get_now`, `get_many_now`), and must
    /// agree with the awaited ones.
    pub fn in_process(mut self) -> Self {
        self.in_process = true;
        self
    }

    /// Options for the caches of the concurrency topic (Memcached: enough connections that
    /// the adds really are in flight at once).
    pub fn concurrency_options(mut self, options: &'static str) -> Self {
        self.concurrency_options = options;
        self
    }

    /// The backend is a server reached as `scheme://host:port`: the `unreachable` topic
    /// points that scheme at a loopback port nothing listens on.
    pub fn network(mut self, scheme: &'static str) -> Self {
        self.network_scheme = Some(scheme);
        self
    }

    /// The options that put a near cache in front of the backend (empty when it has one
    /// by default), for the `near` topic.
    pub fn near(mut self, options: &'static str) -> Self {
        self.near_options = options;
        self
    }

    /// See [`near`](Self::near).
    fn near_options(&self) -> &'static str {
        self.near_options
    }

    /// The `restartable` topic starts a private server of this kind.
    pub fn restartable(mut self, server: PrivateServer) -> Self {
        self.private_server = Some(server);
        self
    }

    /// Keeps `dir` (the backend's files) until the backend is dropped.
    pub fn keeping(mut self, dir: TempDir) -> Self {
        self._dir = Some(dir);
        self
    }

    /// The backend's URL with `options` added.
    pub fn url(&self, options: &str) -> String {
        with_options(&self.url, options)
    }

    /// A cache opened from the backend's URL with `options` added, through the registry.
    pub fn open(&self, options: &str) -> Arc<dyn CacheInstance> {
        from_url(&self.url(options))
    }

    /// How long a value that must expire lives, and how long after its write it is sure to
    /// be gone.
    fn brief_life(&self) -> (Duration, Duration) {
        if self.whole_seconds {
            (Duration::from_secs(1), Duration::from_millis(2100))
        } else {
            (Duration::from_millis(1), Duration::from_millis(20))
        }
    }
}

/// Runs `topic` on `backend` within [`TOPIC_LIMIT`], so a hung backend fails the test.
pub async fn within_limit(backend: &Backend, topic: &str, run: impl Future<Output = ()>) {
    if tokio::time::timeout(TOPIC_LIMIT, run).await.is_err() {
        panic!(
            "[{}] {topic} did not finish within {TOPIC_LIMIT:?}",
            backend.url
        );
    }
}

/// Runs the topics every backend must pass through the cache trait alone (not the edge
/// cases of [`every_trait_method_behaves`], the URL options of [`values_expire`] or the race
/// of [`add_is_atomic_under_50_concurrent_tasks`]), concurrently since the expiry topics
/// sleep: for a backend on a server its test started itself, or from outside the workspace.
pub async fn run(backend: &Backend) {
    let all = async {
        let ((), (), ()) = tokio::join!(expiry(backend), keep_alive(backend), async {
            single_keys(backend).await;
            add(backend).await;
            batches(backend).await;
            write_batch(backend).await;
            values(backend).await;
            keys(backend).await;
            many_keys(backend).await;
        });
    };
    within_limit(backend, "the suite", all).await;
}

/// Expands the behaviour suite for one backend: a module named after it, holding one
/// `#[tokio::test]` per topic, each opening the backend with `$backend_expr`.
///
/// Every backend gets the topics that need nothing more than the cache trait; the
/// capabilities named after the backend add theirs:
/// - `key_prefix`: caches opened from one URL share one store, so one with a `key_prefix`
///   can be looked at through one without ([`key_prefix_isolates_caches`]);
/// - `unreachable`: a network server ([`Backend::network`]) whose calls fail quickly when
///   nothing listens ([`an_unreachable_server_errors_quickly`]);
/// - `restartable`: a private server can be stopped, restarted and frozen
///   ([`Backend::restartable`], [`recovers_after_a_restart_and_times_out_when_frozen`]);
/// - `near`: a near cache in front of it ([`Backend::near`], [`near_cache`]).
///
/// An unknown capability does not compile.
#[macro_export]
macro_rules! behaviour_suite {
    ($backend:ident = $make:expr $(, $capability:ident)* $(,)?) => {
        mod $backend {
            #[allow(unused_imports)]
            use super::*;

            // The topics of one backend take turns, a few at a time, as the one-test suite
            // ran them: a shared server keeps answering within its timeouts (250 ms for
            // Redis) on a loaded machine.
            static TURNS: ::tokio::sync::Semaphore = ::tokio::sync::Semaphore::const_new(4);

            $crate::behaviour_suite!(@tests $make;
                single_keys, add, batches, write_batch, expiry, keep_alive, values, keys,
                many_keys, every_trait_method_behaves, values_expire);

            // Many tasks on several threads: the adds must really overlap.
            #[::tokio::test(flavor = "multi_thread", worker_threads = 8)]
            async fn add_is_atomic_under_50_concurrent_tasks() {
                let _turn = TURNS.acquire().await.expect("never closed");
                let backend = $make;
                $crate::suite::within_limit(
                    &backend,
                    "add_is_atomic_under_50_concurrent_tasks",
                    $crate::suite::add_is_atomic_under_50_concurrent_tasks(&backend),
                )
                .await;
            }

            $( $crate::behaviour_suite!(@capability $capability $make); )*
        }
    };
    (@capability key_prefix $make:expr) => {
        $crate::behaviour_suite!(@tests $make; key_prefix_isolates_caches);
    };
    (@capability unreachable $make:expr) => {
        $crate::behaviour_suite!(@tests $make; an_unreachable_server_errors_quickly);
    };
    (@capability near $make:expr) => {
        $crate::behaviour_suite!(@tests $make; near_cache);
    };
    (@capability restartable $make:expr) => {
        $crate::behaviour_suite!(@tests $make; recovers_after_a_restart_and_times_out_when_frozen);
    };
    (@tests $make:expr; $($topic:ident),* $(,)?) => {
        $(
            #[::tokio::test]
            async fn $topic() {
                let _turn = TURNS.acquire().await.expect("never closed");
                let backend = $make;
                $crate::suite::within_limit(
                    &backend,
                    stringify!($topic),
                    $crate::suite::$topic(&backend),
                )
                .await;
            }
        )*
    };
}
