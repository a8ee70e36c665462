//! A failing backend costs one warning per function per interval, not one per call, and
//! every call still returns its function's own result.

mod common;

use common::DownCache;
use easy_cache::ecached;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

static RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("warned:{n}", tags = ["warned"], cache_instance = DownCache)]
async fn double(n: u64) -> u64 {
    RUNS.fetch_add(1, Ordering::SeqCst);
    n * 2
}

/// Records the level and target of every event.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(Level, String)>>>);

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let meta = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push((*meta.level(), meta.target().to_owned()));
    }
}

#[test]
fn a_down_backend_warns_once_per_interval_and_every_call_returns_its_result() {
    let recorder = Recorder::default();
    let subscriber = tracing_subscriber::registry().with(recorder.clone());
    // Thread-local, so the current-thread runtime below runs every call under it.
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for n in 0..500 {
            assert_eq!(double(n % 7).await, (n % 7) * 2);
        }
    });
    assert_eq!(
        RUNS.load(Ordering::SeqCst),
        500,
        "every call ran the function"
    );
    let events = recorder.0.lock().unwrap();
    let warnings = events
        .iter()
        .filter(|(level, target)| *level == Level::WARN && target.starts_with("easy_cache"))
        .count();
    let debug = events
        .iter()
        .filter(|(level, target)| *level == Level::DEBUG && target.starts_with("easy_cache"))
        .count();
    assert_eq!(warnings, 1, "one warning for 500 failing calls");
    assert!(debug >= 499, "the rest are debug events ({debug})");
}
