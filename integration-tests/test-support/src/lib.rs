//! Helpers shared by the tests of the easy-cache workspace; not part of easy-cache's API and
//! never published. The backend crates and the facade take it as a dev-dependency, so their
//! unit and integration tests share one implementation.
//!
//! [`capture_logs`] records what a closure logs through `tracing`, reliably while other
//! tests of the same binary run in parallel; [`secrets`] holds the shared pieces of the
//! "no password reaches an error" property of the URL parsers.

#![forbid(unsafe_code)]

pub mod secrets;

use std::{cell::RefCell, fmt, io, sync::Once};
use tracing::{Level, Metadata, subscriber::Interest};
use tracing_subscriber::{
    fmt::MakeWriter,
    layer::{Context, Filter, Layer, SubscriberExt},
};

/// One event logged while [`capture_logs`] ran.
#[derive(Clone, Debug)]
pub struct Logged {
    /// The event's level.
    pub level: Level,
    /// The event's target (its module path unless the callsite named another).
    pub target: String,
    /// The event as `tracing_subscriber::fmt` prints it (no colours): timestamp, level,
    /// spans, target, message and fields, ending with a newline.
    pub text: String,
}

/// Everything a closure logged, in order.
#[derive(Clone, Debug, Default)]
pub struct Logs(Vec<Logged>);

impl Logs {
    /// Every event, in the order they were logged.
    pub fn events(&self) -> &[Logged] {
        &self.0
    }

    /// The formatted events, one after another.
    pub fn text(&self) -> String {
        self.0.iter().map(|event| event.text.as_str()).collect()
    }

    /// How many events have exactly `level` and a target starting with `target_prefix`.
    pub fn count(&self, level: Level, target_prefix: &str) -> usize {
        self.0
            .iter()
            .filter(|event| event.level == level && event.target.starts_with(target_prefix))
            .count()
    }
}

impl fmt::Display for Logs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|event| f.write_str(&event.text))
    }
}

/// A capture running on this thread: its most verbose level and what it has recorded.
struct Capture {
    max: Level,
    events: Vec<Logged>,
}

std::thread_local! {
    /// Set while [`capture_logs`] runs on this thread.
    static CAPTURE: RefCell<Option<Capture>> = const { RefCell::new(None) };
}

/// Runs `f` and returns its output with what it logged on this thread at `max` and below
/// (`Level::DEBUG` records DEBUG, INFO, WARN and ERROR).
///
/// Only this thread's events are recorded: run async code with [`capture_logs_async`] (a
/// current-thread runtime), so that the tasks it spawns log on this thread too. Events of
/// other threads (other tests running in parallel) are never recorded.
///
/// Why one global subscriber rather than `tracing::subscriber::with_default` or
/// `set_default`: tracing caches each callsite's interest when the callsite is first hit,
/// and with one scoped subscriber alive it asks the subscriber of the thread that hits it.
/// A callsite first hit by another test's thread (no subscriber there) while a test's
/// scoped subscriber was in place was cached as "never", and that test captured nothing.
/// Here the global subscriber is every thread's, installed once per test binary, and its
/// filter answers "sometimes" for every callsite: nothing is cached, and each event asks
/// whether its own thread is capturing.
pub fn capture_logs<T>(max: Level, f: impl FnOnce() -> T) -> (T, Logs) {
    install();
    let previous = CAPTURE.with(|capture| {
        capture.borrow_mut().replace(Capture {
            max,
            events: Vec::new(),
        })
    });
    assert!(
        previous.is_none(),
        "capture_logs does not nest: this thread is already capturing"
    );
    // Taken back even when `f` panics, so the thread can capture again.
    struct Finish;
    impl Drop for Finish {
        fn drop(&mut self) {
            let _ = CAPTURE.try_with(|capture| capture.borrow_mut().take());
        }
    }
    let finish = Finish;
    let out = f();
    let events = CAPTURE.with(|capture| capture.borrow_mut().take());
    drop(finish);
    (out, Logs(events.map(|c| c.events).unwrap_or_default()))
}

/// Runs `future` to completion on a new current-thread runtime on this thread, with logs
/// captured as [`capture_logs`] does: the tasks it spawns run, and log, on this thread too.
pub fn capture_logs_async<F: Future>(max: Level, future: F) -> (F::Output, Logs) {
    capture_logs(max, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a current-thread runtime")
            .block_on(future)
    })
}

/// Installs the global subscriber, once per process.
fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(ThreadWriter)
            .with_filter(CapturingThread);
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .expect("capture_logs installs the only global subscriber of a test binary");
        // Interests cached before there was a subscriber are computed again.
        tracing::callsite::rebuild_interest_cache();
    });
}

/// Whether `meta` is wanted by a capture running on this thread.
fn wanted(meta: &Metadata<'_>) -> bool {
    CAPTURE
        .try_with(|capture| {
            capture
                .try_borrow()
                .is_ok_and(|c| c.as_ref().is_some_and(|c| meta.level() <= &c.max))
        })
        .unwrap_or(false)
}

/// Lets through only what a capturing thread wants, deciding per event.
struct CapturingThread;

impl<S> Filter<S> for CapturingThread {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        wanted(meta)
    }

    fn callsite_enabled(&self, _: &'static Metadata<'static>) -> Interest {
        // Never "always" or "never": the answer depends on the thread, so it is not cached.
        Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
}

/// The fmt layer's output: one [`EventWriter`] per event.
struct ThreadWriter;

impl<'a> MakeWriter<'a> for ThreadWriter {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> EventWriter {
        EventWriter {
            level: Level::TRACE,
            target: String::new(),
            text: Vec::new(),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> EventWriter {
        EventWriter {
            level: *meta.level(),
            target: meta.target().to_owned(),
            text: Vec::new(),
        }
    }
}

/// Collects one formatted event; hands it to this thread's capture when dropped.
struct EventWriter {
    level: Level,
    target: String,
    text: Vec<u8>,
}

impl io::Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let event = Logged {
            level: self.level,
            target: std::mem::take(&mut self.target),
            text: String::from_utf8_lossy(&self.text).into_owned(),
        };
        let _ = CAPTURE.try_with(|capture| {
            if let Some(capture) = capture
                .try_borrow_mut()
                .ok()
                .as_mut()
                .and_then(|c| c.as_mut())
            {
                capture.events.push(event);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_this_threads_events_at_the_chosen_level_only() {
        let ((), logs) = capture_logs(Level::DEBUG, || {
            tracing::trace!("too verbose");
            tracing::debug!(n = 1, "kept");
            tracing::warn!(target: "easy_cache_x", "careful");
            std::thread::spawn(|| tracing::warn!("another thread"))
                .join()
                .unwrap();
        });
        let text = logs.text();
        assert_eq!(logs.events().len(), 2, "{text}");
        assert!(
            text.contains("DEBUG") && text.contains("kept n=1"),
            "{text}"
        );
        assert_eq!(logs.count(Level::WARN, "easy_cache"), 1, "{text}");
        assert!(!text.contains("too verbose") && !text.contains("another thread"));
        assert_eq!(text, logs.to_string());
    }

    #[test]
    fn a_callsite_first_hit_by_another_thread_is_still_captured() {
        fn log() {
            tracing::warn!("shared callsite");
        }
        fn other_log() {
            tracing::warn!("another shared callsite");
        }
        // Hit first where nothing captures, before and while this thread captures: the
        // interest must not be cached as "never" (what a scoped subscriber suffered).
        std::thread::spawn(log).join().unwrap();
        let ((), logs) = capture_logs(Level::INFO, || {
            std::thread::spawn(other_log).join().unwrap();
            log();
            other_log();
        });
        assert_eq!(logs.count(Level::WARN, ""), 2, "{logs}");
    }
}
