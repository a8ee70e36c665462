//! Counting backend errors and warnings from log events.
//!
//! A cached call never fails, so the errors it meets are only seen in the engine's log
//! events: one per failed read or write of a call (`cache read failed on ...`, `cache write
//! failed on ...`, `reading tag versions failed on ...`; a `warn` once per 10 s per
//! function, `debug` for the rest), with the function's name in the `function` field. A
//! tracing layer counts those per function, and counts the `warn` (and `error`) events per
//! source, the engine's per function and the backend crates' per crate: the log volume an
//! outage causes, which must stay small (warnings are rate-limited, not one per call).

use std::fmt;
use std::sync::{Mutex, OnceLock};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{EnvFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The target of the engine's events.
const ENGINE: &str = "easy_cache";
/// The backend crates whose warnings are counted (their targets start with these).
const BACKEND_CRATES: [&str; 2] = ["easy_cache_redis", "easy_cache_memcached"];

/// Errors per function name.
static ERRORS: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());
/// Warnings per function name (engine) or crate name (backends).
static WARNINGS: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());

/// Installs the global subscriber: the counting layer (the engine's events down to `debug`,
/// where the rate-limited warnings go, and the backend crates' warnings) and a printer for
/// `RUST_LOG` on stderr (default `error`: warnings are counted in the report instead, and a
/// backend that warns once per call would flood the terminal during the restart).
/// Installing twice is fine; fails when another subscriber is installed, since errors would
/// then go uncounted.
pub fn install() -> Result<(), String> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let mut counted = Targets::new().with_target(ENGINE, Level::DEBUG);
            for name in BACKEND_CRATES {
                counted = counted.with_target(name, Level::WARN);
            }
            let shown =
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("error"));
            let printer = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_filter(shown);
            tracing_subscriber::registry()
                .with(Counter.with_filter(counted))
                .with(printer)
                .try_init()
                .map_err(|e| format!("cannot count backend errors: {e}"))
        })
        .clone()
}

/// Backend errors the engine logged for `function` so far in this process.
pub fn errors(function: &str) -> u64 {
    get(&ERRORS, function)
}

/// Warnings logged so far in this process by the engine for `function`, plus those of the
/// backend crate `crate_name` (e.g. `easy_cache_redis`).
pub fn warnings(function: &str, crate_name: &str) -> u64 {
    get(&WARNINGS, function) + get(&WARNINGS, crate_name)
}

fn get(counts: &Mutex<Vec<(String, u64)>>, key: &str) -> u64 {
    let counts = counts.lock().unwrap_or_else(|p| p.into_inner());
    counts
        .iter()
        .find(|(name, _)| name == key)
        .map_or(0, |(_, n)| *n)
}

fn add(counts: &Mutex<Vec<(String, u64)>>, key: &str) {
    let mut counts = counts.lock().unwrap_or_else(|p| p.into_inner());
    match counts.iter_mut().find(|(name, _)| name == key) {
        Some((_, n)) => *n += 1,
        None => counts.push((key.to_owned(), 1)),
    }
}

/// Whether an engine event reports a failed backend operation.
fn is_backend_error(message: &str) -> bool {
    message.contains(" failed")
}

struct Counter;

impl<S: Subscriber> Layer<S> for Counter {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let warning = *metadata.level() <= Level::WARN;
        let target = metadata.target();
        if target == ENGINE {
            let mut fields = Fields::default();
            event.record(&mut fields);
            if let Some(function) = fields.function {
                if is_backend_error(&fields.message) {
                    add(&ERRORS, &function);
                }
                if warning {
                    add(&WARNINGS, &function);
                }
            }
        } else if warning {
            let crate_name = target.split("::").next().unwrap_or(target);
            if BACKEND_CRATES.contains(&crate_name) {
                add(&WARNINGS, crate_name);
            }
        }
    }
}

/// The two fields of an engine event the counter needs.
#[derive(Default)]
struct Fields {
    function: Option<String>,
    message: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "function" => self.function = Some(value.to_owned()),
            "message" => self.message = value.to_owned(),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "function" => self.function = Some(format!("{value:?}")),
            "message" => self.message = format!("{value:?}"),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_failures_of_the_engine_per_function_and_warnings_per_source() {
        install().expect("first subscriber of this test binary");
        install().expect("installing again is fine");
        let (f, g) = ("soak::tests::f", "soak::tests::g");
        tracing::warn!(target: "easy_cache", function = f, suppressed = 0u64, "cache read failed on redis, running uncached: timeout");
        tracing::debug!(target: "easy_cache", function = f, "cache write failed on redis: refused");
        tracing::debug!(target: "easy_cache", function = f, "stored entry unusable: recomputing");
        tracing::warn!(target: "easy_cache_redis::backend", cache = "r", "redis failed");
        tracing::debug!(target: "easy_cache_redis::backend", cache = "r", "redis still failing");
        tracing::warn!(target: "easy_cache_sled", "not a counted crate");
        tracing::debug!(target: "easy_cache", function = g, "reading tag versions failed on m: x");
        assert_eq!((errors(f), errors(g), errors("other")), (2, 1, 0));
        assert_eq!(
            warnings(f, "easy_cache_redis"),
            2,
            "one from the engine, one from redis"
        );
        assert_eq!(warnings(g, "easy_cache_memcached"), 0);
    }
}
