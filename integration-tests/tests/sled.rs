//! The sled backend on local disk: needs no server, so these tests always run. Each test
//! uses its own temporary directory (or a `temporary=true` database).

use bytes::Bytes;
use easy_cache_core::{CacheInstance, ErrorKind, Result, Timeout, Write};
use easy_cache_integration_tests::suite;
use easy_cache_sled::{SledCache, SledConfig};
use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

/// A directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(topic: &str) -> Self {
        let name = format!("easy-cache-sled-{topic}-{:016x}", fastrand::u64(..));
        TempDir(std::env::temp_dir().join(name))
    }

    fn path(&self) -> &Path {
        &self.0
    }

    /// `sled:///<dir>?<options>`.
    fn url(&self, options: &str) -> String {
        let url = format!("sled://{}", self.0.display());
        if options.is_empty() {
            url
        } else {
            format!("{url}?{options}")
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A cache built through the registry, as applications do.
fn from_url(url: &str) -> Arc<dyn CacheInstance> {
    easy_cache_registry::caches::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// A cache built directly, for the sled-specific methods (`tree`, `purge_expired`).
fn sled_cache(url: &str) -> SledCache {
    let config = SledConfig::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    SledCache::new(config).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn bytes(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

/// Values as strings, for readable failures.
fn strings(values: &[Option<Bytes>]) -> Vec<Option<String>> {
    values
        .iter()
        .map(|v| v.as_ref().map(|b| String::from_utf8_lossy(b).into_owned()))
        .collect()
}

fn some(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_owned)).collect()
}

#[tokio::test]
async fn temporary_database_passes_the_behaviour_suite() {
    suite::run(from_url("sled://?temporary=true")).await;
}

#[tokio::test]
async fn on_disk_database_with_a_prefix_passes_the_behaviour_suite() {
    let dir = TempDir::new("suite");
    suite::run(from_url(&dir.url("key_prefix=suite:&tree=suite"))).await;
}

#[tokio::test]
async fn every_trait_method_behaves() -> Result<()> {
    let cache = from_url("sled://?temporary=true");
    assert_eq!(cache.name(), "sled://?temporary=true");
    let (a, b, c, d) = ("a", "b", "c", "d");

    assert_eq!(cache.get(a).await?, None);
    cache.set(a, bytes("1"), Timeout::Never).await?;
    cache.set(a, bytes("2"), Timeout::secs(600)).await?;
    assert_eq!(cache.get(a).await?, Some(bytes("2")));

    let entries = [(b, bytes("B")), (c, bytes("C"))];
    cache.set_many(&entries, Timeout::Default).await?;
    let got = cache.get_many(&[a, d, b, c, a]).await?;
    let want = some(&[Some("2"), None, Some("B"), Some("C"), Some("2")]);
    assert_eq!(strings(&got), want);
    assert_eq!(cache.get_many(&[]).await?, vec![]);
    // The synchronous fast path answers the same.
    let in_process = cache.in_process().expect("sled answers without waiting");
    let now = in_process.get_many_now(&[a, d])?;
    assert_eq!(strings(&now), some(&[Some("2"), None]));
    let now = in_process.get_now(b)?;
    assert_eq!(now, Some(bytes("B")));

    assert!(cache.add(d, bytes("D"), Timeout::Never).await?);
    assert!(!cache.add(d, bytes("X"), Timeout::Never).await?);
    assert_eq!(cache.get(d).await?, Some(bytes("D")));
    assert!(!cache.add("zero", bytes("Z"), Timeout::secs(0)).await?);
    assert_eq!(cache.get("zero").await?, None);

    assert!(cache.delete(d).await?);
    assert!(!cache.delete(d).await?);

    // A set with a zero lifetime leaves nothing behind, not the old value.
    cache.set(c, bytes("gone"), Timeout::secs(0)).await?;
    assert_eq!(cache.get(c).await?, None);
    cache
        .set_many(&[(b, bytes("gone"))], Timeout::secs(0))
        .await?;
    assert_eq!(cache.get(b).await?, None);

    cache.set(b, bytes("B"), Timeout::Never).await?;
    cache.delete_many(&[a, b, "never-set"]).await?;
    assert_eq!(cache.get_many(&[a, b]).await?, vec![None, None]);

    cache.set(a, bytes("old"), Timeout::Never).await?;
    let set = |key: &str, value: &str| Write::set(key.to_owned(), bytes(value), Timeout::Never);
    let add = |key: &str, value: &str| Write::add(key.to_owned(), bytes(value), Timeout::Never);
    let ops = [
        set(b, "B2"),
        // Present already: not an error, and the value stays.
        add(a, "new"),
        add(c, "C2"),
        // Later ops on a key see earlier ones: the set wins over the add above...
        set(c, "C3"),
        // ...and an add after a set of the same key in one batch is refused.
        set(d, "D1"),
        add(d, "D2"),
        set(b, "B3"),
    ];
    cache.write_batch(&ops).await?;
    let got = cache.get_many(&[a, b, c, d]).await?;
    assert_eq!(
        strings(&got),
        some(&[Some("old"), Some("B3"), Some("C3"), Some("D1")])
    );
    cache.write_batch(&[]).await?;
    Ok(())
}

#[tokio::test]
async fn values_expire_on_read_and_are_removed() -> Result<()> {
    let cache = sled_cache("sled://?temporary=true&default_timeout=2&purge_interval_secs=0");
    // Long enough to be read back on a loaded machine, short enough for a quick test.
    let short = Timeout::secs(1);
    cache.set("short", bytes("s"), short).await?;
    cache.set("default", bytes("d"), Timeout::Default).await?;
    cache.set("never", bytes("n"), Timeout::Never).await?;
    assert!(cache.add("added", bytes("a"), short).await?);
    let ops = [Write::set("batch", bytes("b"), short)];
    cache.write_batch(&ops).await?;
    cache.set("re-added", bytes("old"), short).await?;
    cache.set("deleted", bytes("x"), short).await?;
    let keys = ["short", "default", "never", "added", "batch"];
    let got = cache.get_many(&keys).await?;
    assert_eq!(
        strings(&got),
        some(&[Some("s"), Some("d"), Some("n"), Some("a"), Some("b")])
    );

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let tree = cache.tree()?;
    assert!(tree.get("short").unwrap().is_some(), "not read yet: stored");
    let got = cache.get_many(&keys).await?;
    assert_eq!(
        strings(&got),
        some(&[None, Some("d"), Some("n"), None, None])
    );
    // The expired records were removed by the read, not only hidden.
    for key in ["short", "added", "batch"] {
        assert_eq!(tree.get(key).unwrap(), None, "{key} must be removed");
    }
    assert!(tree.get("default").unwrap().is_some());
    // An expired record counts as absent for add and delete.
    assert!(cache.add("re-added", bytes("new"), Timeout::Never).await?);
    assert_eq!(cache.get("re-added").await?, Some(bytes("new")));
    assert!(
        !cache.delete("deleted").await?,
        "an expired key was not there"
    );

    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(cache.get("default").await?, None, "default_timeout=2");
    assert_eq!(cache.get("never").await?, Some(bytes("n")));
    Ok(())
}

#[tokio::test]
async fn purge_removes_expired_records() -> Result<()> {
    // No background purge: this test runs it by hand.
    let cache = sled_cache("sled://?temporary=true&purge_interval_secs=0");
    let short = Timeout::secs(1);
    let keys: Vec<String> = (0..500).map(|i| format!("short-{i}")).collect();
    let entries: Vec<(&str, Bytes)> = keys.iter().map(|k| (k.as_str(), bytes(k))).collect();
    cache.set_many(&entries, short).await?;
    for i in 0..10 {
        cache
            .set(&format!("kept-{i}"), bytes("v"), Timeout::Never)
            .await?;
    }
    cache.set("later", bytes("v"), Timeout::secs(600)).await?;
    let tree = cache.tree()?;
    assert_eq!(tree.len(), 511);
    assert_eq!(cache.purge_expired()?, 0, "nothing has expired yet");

    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(tree.len(), 511, "nothing read them: all still stored");
    assert_eq!(cache.purge_expired()?, 500);
    assert_eq!(tree.len(), 11);
    assert_eq!(cache.get("kept-3").await?, Some(bytes("v")));
    assert_eq!(cache.get("later").await?, Some(bytes("v")));
    Ok(())
}

#[tokio::test]
async fn background_purge_runs_on_schedule() -> Result<()> {
    let cache = sled_cache("sled://?temporary=true&purge_interval_secs=1");
    // Outlives the first purge (1 s after opening), expires before the second.
    let short = Timeout::After(Duration::from_millis(1500));
    let keys: Vec<String> = (0..200).map(|i| format!("short-{i}")).collect();
    let entries: Vec<(&str, Bytes)> = keys.iter().map(|k| (k.as_str(), bytes(k))).collect();
    cache.set_many(&entries, short).await?;
    cache.set("kept", bytes("v"), Timeout::Never).await?;
    let tree = cache.tree()?;
    assert_eq!(tree.len(), 201);
    let started = Instant::now();
    while tree.len() > 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the background purge did not run: {} records left",
            tree.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(cache.get("kept").await?, Some(bytes("v")));
    Ok(())
}

#[tokio::test]
async fn corrupt_records_read_as_absent_and_are_removed() -> Result<()> {
    let cache = sled_cache("sled://?temporary=true&key_prefix=p:&purge_interval_secs=0");
    let tree = cache.tree()?;
    tree.insert("p:short", &b"1234567"[..]).unwrap();
    tree.insert("p:empty", &b""[..]).unwrap();
    tree.insert("p:purged", &b"xy"[..]).unwrap();
    assert_eq!(cache.get("short").await?, None);
    assert_eq!(cache.get_many(&["empty"]).await?, vec![None]);
    assert_eq!(tree.get("p:short").unwrap(), None);
    assert_eq!(tree.get("p:empty").unwrap(), None);
    // add replaces a corrupt record; the purge removes one nobody reads.
    tree.insert("p:short", &b"x"[..]).unwrap();
    assert!(cache.add("short", bytes("fine"), Timeout::Never).await?);
    assert_eq!(cache.get("short").await?, Some(bytes("fine")));
    assert_eq!(cache.purge_expired()?, 1);
    assert_eq!(tree.get("p:purged").unwrap(), None);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn concurrent_adds_exactly_one_wins() -> Result<()> {
    let cache: Arc<dyn CacheInstance> = from_url("sled://?temporary=true");
    for round in 0..2 {
        let key = format!("race-{round}");
        if round == 1 {
            // The second race is over an expired record: it counts as absent.
            let brief = Timeout::After(Duration::from_millis(1));
            cache.set(&key, bytes("expired"), brief).await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let (cache, barrier, key) = (Arc::clone(&cache), Arc::clone(&barrier), key.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let won = cache
                        .add(&key, bytes(&format!("adder-{i}")), Timeout::Never)
                        .await?;
                    Ok::<_, easy_cache_core::Error>(won.then_some(i))
                })
            })
            .collect();
        let mut winners = Vec::new();
        for task in tasks {
            winners.extend(task.await.expect("adder panicked")?);
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let stored = cache.get(&key).await?;
        assert_eq!(stored, Some(bytes(&format!("adder-{}", winners[0]))));
    }
    Ok(())
}

#[tokio::test]
async fn key_prefixes_and_trees_isolate_caches_on_one_directory() -> Result<()> {
    let dir = TempDir::new("prefix");
    // Three caches on one directory share one sled database (sled locks it per process).
    let plain = from_url(&dir.url(""));
    let tenant_a = from_url(&dir.url("key_prefix=tenant-a:"));
    let tenant_b = from_url(&dir.url("key_prefix=tenant-b:"));
    let other_tree = from_url(&dir.url("tree=other"));
    tenant_a.set("k", bytes("a"), Timeout::Never).await?;
    tenant_b.set("k", bytes("b"), Timeout::Never).await?;
    assert_eq!(tenant_a.get("k").await?, Some(bytes("a")));
    assert_eq!(tenant_b.get("k").await?, Some(bytes("b")));
    // The prefix is really prepended in the tree.
    assert_eq!(plain.get("k").await?, None);
    assert_eq!(plain.get("tenant-a:k").await?, Some(bytes("a")));
    assert_eq!(other_tree.get("tenant-a:k").await?, None);
    // Another spelling of the directory is the same database, not a lock error.
    let respelled = format!("sled://{}/./?key_prefix=tenant-a:", dir.path().display());
    assert_eq!(from_url(&respelled).get("k").await?, Some(bytes("a")));

    assert!(tenant_a.add("only-a", bytes("1"), Timeout::Never).await?);
    assert!(tenant_b.add("only-a", bytes("2"), Timeout::Never).await?);
    tenant_a.delete_many(&["k", "only-a"]).await?;
    assert_eq!(tenant_a.get("k").await?, None);
    assert_eq!(tenant_b.get("k").await?, Some(bytes("b")));
    assert_eq!(tenant_b.get("only-a").await?, Some(bytes("2")));

    // A purge of one prefix leaves the others' expired records alone.
    let brief = Timeout::After(Duration::from_millis(1));
    let purging = sled_cache(&dir.url("key_prefix=tenant-a:&purge_interval_secs=0"));
    purging.set("x", bytes("1"), brief).await?;
    tenant_b.set("x", bytes("2"), brief).await?;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(purging.purge_expired()?, 1);
    let tree = purging.tree()?;
    assert!(tree.get("tenant-b:x").unwrap().is_some());
    assert_eq!(tree.get("tenant-a:x").unwrap(), None);
    Ok(())
}

#[tokio::test]
async fn entries_survive_reopening_the_directory() -> Result<()> {
    let dir = TempDir::new("reopen");
    // A purge thread that would hold the database if dropping did not stop it.
    let url = dir.url("purge_interval_secs=1&key_prefix=app:");
    {
        let cache = from_url(&url);
        assert_eq!(cache.name(), format!("sled://{}", dir.path().display()));
        cache.set("never", bytes("kept"), Timeout::Never).await?;
        cache
            .set("later", bytes("soon"), Timeout::secs(600))
            .await?;
        cache
            .set(
                "brief",
                bytes("gone"),
                Timeout::After(Duration::from_millis(1)),
            )
            .await?;
        assert!(cache.add("added", bytes("a"), Timeout::Never).await?);
        // Dropping must stop and join the purge thread, and close the database.
        drop(cache);
    }
    let cache = from_url(&url);
    let got = cache
        .get_many(&["never", "later", "brief", "added"])
        .await?;
    assert_eq!(
        strings(&got),
        some(&[Some("kept"), Some("soon"), None, Some("a")])
    );
    assert!(!cache.add("added", bytes("b"), Timeout::Never).await?);
    Ok(())
}

/// Set in the child process of [`entries_survive_a_process_restart`]: `mode path`.
const CHILD_ENV: &str = "EASY_CACHE_SLED_TEST_CHILD";
const PROCESS_TEST: &str = "entries_survive_a_process_restart";

/// The child's side: `locked` expects the directory to be held by the parent, `reopen`
/// reads what the parent wrote and writes an answer.
async fn child(spec: &str) {
    let (mode, path) = spec.split_once(' ').expect("mode and path");
    let cache = from_url(&format!("sled://{path}"));
    match mode {
        "locked" => {
            let err = cache.get("parent").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
            assert!(std::error::Error::source(&err).is_some(), "{err}");
        }
        "reopen" => {
            let got = cache.get("parent").await.unwrap();
            assert_eq!(got, Some(bytes("from the parent")));
            let answer = bytes("from the child");
            cache.set("child", answer, Timeout::Never).await.unwrap();
        }
        _ => panic!("unknown child mode {mode}"),
    }
}

/// Runs this test binary again, only [`PROCESS_TEST`], as the child in `mode`.
fn run_child(mode: &str, dir: &Path) {
    let exe = std::env::current_exe().expect("the test binary");
    let output = Command::new(exe)
        .args([PROCESS_TEST, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, format!("{mode} {}", dir.display()))
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child `{mode}` failed:\n{stdout}\n{stderr}"
    );
}

#[tokio::test]
async fn entries_survive_a_process_restart() -> Result<()> {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        child(&spec).await;
        return Ok(());
    }
    let dir = TempDir::new("process");
    let url = dir.url("");
    {
        let cache = from_url(&url);
        cache
            .set("parent", bytes("from the parent"), Timeout::Never)
            .await?;
        // While this process holds the directory, another one gets a Backend error.
        run_child("locked", dir.path());
    }
    run_child("reopen", dir.path());
    let cache = from_url(&url);
    assert_eq!(cache.get("child").await?, Some(bytes("from the child")));
    assert_eq!(cache.get("parent").await?, Some(bytes("from the parent")));
    Ok(())
}

#[tokio::test]
async fn an_unopenable_directory_is_a_backend_error_until_it_is_fixed() -> Result<()> {
    let dir = TempDir::new("unopenable");
    // A regular file where the database directory should be.
    std::fs::write(dir.path(), b"not a directory").unwrap();
    // Building does not open: an application starts anyway.
    let cache = from_url(&dir.url(""));
    let err = cache.get("k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert!(std::error::Error::source(&err).is_some(), "{err}");
    assert!(err.to_string().contains(&dir.path().display().to_string()));
    let err = cache
        .set("k", bytes("v"), Timeout::Never)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");

    // Once the path is usable the next call opens it.
    std::fs::remove_file(dir.path()).unwrap();
    cache.set("k", bytes("v"), Timeout::Never).await?;
    assert_eq!(cache.get("k").await?, Some(bytes("v")));
    Ok(())
}

#[tokio::test]
async fn bad_urls_are_config_errors() {
    for url in ["sled://", "sled://relative", "sled:///d?colour=red"] {
        let Err(err) = easy_cache_registry::caches::from_url(url) else {
            panic!("{url} must be refused");
        };
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
    }
}
