//! Tag and prefix version keys: created before the value computes (so a version lost
//! mid-computation never validates an older value), as long-lived as the longest entry
//! that depends on them, and deleted by an invalidation.

use easy_cache::{
    Bytes, CacheInstance, MemoryCache, Result, Timeout, Write, WriteMode, async_trait, ecached,
    tag_version_key,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::Notify;

/// A memory cache that records the writes made to version keys.
#[derive(Default)]
struct Recording {
    inner: MemoryCache,
    log: Mutex<Vec<String>>,
}

impl Recording {
    fn record(&self, what: &str, key: &str, timeout: Option<Timeout>) {
        if key.starts_with("ec:") {
            let timeout = timeout.map(|t| format!(" {t:?}")).unwrap_or_default();
            self.log
                .lock()
                .unwrap()
                .push(format!("{what} {key}{timeout}"));
        }
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.log.lock().unwrap())
    }
}

#[async_trait]
impl CacheInstance for Recording {
    fn name(&self) -> &str {
        "recording"
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>> {
        self.inner.get(key).await
    }
    async fn get_many(&self, keys: &[&str]) -> Result<Vec<Option<Bytes>>> {
        self.inner.get_many(keys).await
    }
    async fn set(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<()> {
        self.record("set", key, Some(timeout));
        self.inner.set(key, value, timeout).await
    }
    async fn add(&self, key: &str, value: Bytes, timeout: Timeout) -> Result<bool> {
        self.record("add", key, Some(timeout));
        self.inner.add(key, value, timeout).await
    }
    async fn delete(&self, key: &str) -> Result<bool> {
        self.record("delete", key, None);
        self.inner.delete(key).await
    }
    async fn keep_alive(&self, key: &str, timeout: Timeout) -> Result<()> {
        self.record("keep_alive", key, Some(timeout));
        self.inner.keep_alive(key, timeout).await
    }
    async fn write_batch(&self, writes: &[Write]) -> Result<()> {
        for write in writes {
            let verb = match write.mode {
                WriteMode::Set => "set",
                WriteMode::Add => "add",
                WriteMode::KeepAlive => "keep_alive",
            };
            self.record(verb, &write.key, Some(write.timeout));
        }
        self.inner.write_batch(writes).await
    }
}

static LOST: LazyLock<Arc<Recording>> = LazyLock::new(Default::default);
static REPORT_DATA: AtomicUsize = AtomicUsize::new(0);
static REPORT_RUNS: AtomicUsize = AtomicUsize::new(0);
static REPORT_STARTED: Notify = Notify::const_new();
static REPORT_RELEASE: Notify = Notify::const_new();

#[ecached("report", tags = ["reports"], cache_instance = LOST.clone())]
async fn report() -> usize {
    let seen = REPORT_DATA.load(Ordering::SeqCst);
    if REPORT_RUNS.fetch_add(1, Ordering::SeqCst) == 0 {
        REPORT_STARTED.notify_one();
        REPORT_RELEASE.notified().await;
    }
    seen
}

#[tokio::test]
async fn a_lost_version_never_revalidates_a_value_computed_before_an_invalidation() {
    let running = tokio::spawn(report());
    REPORT_STARTED.notified().await;
    // The data changes and the tag is invalidated while the value computes; then the
    // version key is lost (evicted at capacity, a memcached restart, a failover).
    REPORT_DATA.store(1, Ordering::SeqCst);
    report_cache().invalidate_tags("reports").await.unwrap();
    LOST.inner
        .delete(&tag_version_key("reports"))
        .await
        .unwrap();
    REPORT_RELEASE.notify_one();
    assert_eq!(
        running.await.unwrap(),
        0,
        "the running call returns what it computed"
    );
    assert_eq!(
        report().await,
        1,
        "its value, computed before the invalidation, must not be served"
    );
    assert_eq!(REPORT_RUNS.load(Ordering::SeqCst), 2);
}

static LIVES: LazyLock<Arc<Recording>> = LazyLock::new(Default::default);

#[ecached("short:{n}", 60, tags = ["shared"], cache_instance = LIVES.clone())]
async fn short_lived(n: u32) -> u32 {
    n
}

#[ecached("long:{n}", 3600, tags = ["shared"], cache_instance = LIVES.clone())]
async fn long_lived(n: u32) -> u32 {
    n
}

#[ecached("forever:{n}", Timeout::Never, tags = ["shared"], cache_instance = LIVES.clone())]
async fn immortal(n: u32) -> u32 {
    n
}

#[tokio::test]
async fn version_keys_live_as_long_as_the_longest_entry_that_needs_them_and_no_longer() {
    let version = tag_version_key("shared");
    short_lived(1).await;
    assert_eq!(
        LIVES.take(),
        [format!("add {version} After(60s)")],
        "created before the computation, with the entry's lifetime (never without one)"
    );
    long_lived(1).await;
    assert_eq!(LIVES.take(), [format!("keep_alive {version} After(3600s)")]);
    immortal(1).await;
    assert_eq!(LIVES.take(), [format!("keep_alive {version} Never")]);
    short_lived(1).await;
    assert_eq!(LIVES.take(), Vec::<String>::new(), "a hit writes nothing");

    short_lived_cache().invalidate_tags("shared").await.unwrap();
    assert_eq!(
        LIVES.take(),
        [format!("delete {version}")],
        "an invalidation leaves no version key behind"
    );
    assert_eq!(LIVES.inner.get(&version).await.unwrap(), None);
    assert_eq!(long_lived(2).await, 2);
    assert_eq!(LIVES.take(), [format!("add {version} After(3600s)")]);
}
