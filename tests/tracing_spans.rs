//! The tracing of calls: a debug span per call (`ecached`, with `function`, `cache` and
//! `outcome`), and the slow-operation warning above `observe::set_slow_threshold`.
//! One subscriber for the whole binary records every `ecached` span when it closes and
//! every warning; each test has its own functions and reads only their records. Slowness
//! is the test clock's (no sleeping).

mod common;

use common::DownCache;
use easy_cache::{ecached, observe, test_clock};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Mutex, Once};
use std::time::Duration;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Registry;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// The fields of a span or an event, as text.
#[derive(Clone, Debug, Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// Closed `ecached` spans, and warnings.
static SPANS: Mutex<Vec<Fields>> = Mutex::new(Vec::new());
static WARNINGS: Mutex<Vec<Fields>> = Mutex::new(Vec::new());

struct Recorder;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() == "ecached" {
            let mut fields = Fields::default();
            attrs.record(&mut fields);
            ctx.span(id).unwrap().extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(fields) = ctx.span(id).unwrap().extensions_mut().get_mut::<Fields>() {
            values.record(fields);
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        if let Some(fields) = ctx.span(&id).unwrap().extensions_mut().remove::<Fields>() {
            SPANS.lock().unwrap().push(fields);
        }
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() == Level::WARN {
            let mut fields = Fields::default();
            event.record(&mut fields);
            WARNINGS.lock().unwrap().push(fields);
        }
    }
}

fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(Registry::default().with(Recorder))
            .expect("the only subscriber of this test binary");
    });
}

/// The `outcome` of each closed span of `function`, in order.
fn outcomes(function: &str) -> Vec<String> {
    SPANS
        .lock()
        .unwrap()
        .iter()
        .filter(|f| f.0["function"].ends_with(&format!("::{function}")))
        .map(|f| f.0.get("outcome").cloned().unwrap_or_default())
        .collect()
}

/// The `op` of each slow-operation warning about `function`.
fn slow_ops(function: &str) -> Vec<String> {
    WARNINGS
        .lock()
        .unwrap()
        .iter()
        .filter(|f| f.0["message"] == "slow cache operation")
        .filter(|f| f.0["function"].ends_with(&format!("::{function}")))
        .map(|f| f.0["op"].clone())
        .collect()
}

#[ecached("t_traced:{n}")]
async fn traced(n: u64) -> u64 {
    n
}

#[ecached("t_traced_sync:{n}")]
fn traced_sync(n: u64) -> u64 {
    n
}

#[ecached("t_down:{n}", cache_instance = DownCache)]
async fn on_a_down_backend(n: u64) -> u64 {
    n
}

#[tokio::test]
async fn span_per_call_names_function_cache_and_outcome() {
    install();
    traced(1).await;
    traced(1).await;
    assert_eq!(outcomes("traced"), ["miss", "hit"]);
    let spans = SPANS.lock().unwrap();
    let span = spans
        .iter()
        .find(|f| f.0["function"].ends_with("::traced"))
        .unwrap();
    assert_eq!(span.0["cache"], "default");
    assert!(!span.0.contains_key("key"), "no key in a span");
}

#[test]
fn span_per_call_of_a_sync_function() {
    install();
    traced_sync(1);
    traced_sync(1);
    assert_eq!(outcomes("traced_sync"), ["miss", "hit"]);
}

#[tokio::test]
async fn span_says_bypass_when_the_backend_fails() {
    install();
    on_a_down_backend(1).await;
    assert_eq!(outcomes("on_a_down_backend"), ["bypass"]);
}

/// Takes `n` × 100 ms of the test clock.
#[ecached("t_slow:{n}")]
async fn slow(n: u64) -> u64 {
    test_clock::advance(Duration::from_millis(100 * n));
    n
}

#[ecached("t_quick:{n}")]
async fn quick(n: u64) -> u64 {
    n
}

#[tokio::test]
async fn tracing_warns_about_operations_slower_than_the_threshold() {
    install();
    slow(1).await; // not warned: the warning is off by default
    assert!(slow_ops("slow").is_empty());
    observe::set_slow_threshold(Some(Duration::from_millis(150)));
    slow(1).await; // a hit
    slow(2).await; // 200 ms
    quick(1).await;
    observe::set_slow_threshold(None);
    slow(3).await; // off again
    assert_eq!(slow_ops("slow"), ["computation"]);
    assert!(slow_ops("quick").is_empty());
}
