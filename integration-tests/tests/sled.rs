//! The sled backend on local disk: needs no server, so these tests always run. Each test
//! uses its own temporary directory (or a `temporary=true` database).

use bytes::Bytes;
use easy_cache_core::{CacheInstance, ErrorKind, Result, Timeout, Write};
use easy_cache_integration_tests::{
    behaviour_suite, disk,
    suite::Backend,
    support::{TempDir, bytes, from_url, owned, strings},
};
use easy_cache_sled::{SledCache, SledConfig};
use std::time::{Duration, Instant};

/// `sled://<dir>?<options>`.
fn dir_url(dir: &TempDir, options: &str) -> String {
    let url = format!("sled://{}", dir.path().display());
    if options.is_empty() {
        url
    } else {
        format!("{url}?{options}")
    }
}

/// A database in a temporary directory, with `options`.
fn on_disk(options: &str) -> Backend {
    let dir = TempDir::new("sled-suite");
    Backend::new(dir_url(&dir, options))
        .in_process()
        .keeping(dir)
}

behaviour_suite!(
    temporary = Backend::new("sled://?temporary=true")
        .in_process()
        .near("near_capacity=100"),
    near
);
// Caches on one directory share one database, so key prefixes can be looked through.
behaviour_suite!(on_disk = on_disk(""), key_prefix);
behaviour_suite!(on_disk_with_a_prefix = on_disk("key_prefix=suite:&tree=suite"));

/// A cache built directly, for the sled-specific methods (`tree`, `purge_expired`).
fn sled_cache(url: &str) -> SledCache {
    let config = SledConfig::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    SledCache::new(config).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// The suite sees expired values as absent; on sled a read also removes their records.
#[tokio::test]
async fn expired_records_are_removed_when_read() -> Result<()> {
    let cache = sled_cache("sled://?temporary=true&default_timeout=2&purge_interval_secs=0");
    // Long enough to be read back on a loaded machine, short enough for a quick test.
    let short = Timeout::secs(1);
    cache.set("short", bytes("s"), short).await?;
    cache.set("default", bytes("d"), Timeout::Default).await?;
    assert!(cache.add("added", bytes("a"), short).await?);
    let ops = [Write::set("batch", bytes("b"), short)];
    cache.write_batch(&ops).await?;

    tokio::time::sleep(Duration::from_millis(1200)).await;
    let tree = cache.tree()?;
    assert!(tree.get("short").unwrap().is_some(), "not read yet: stored");
    let got = cache
        .get_many(&["short", "default", "added", "batch"])
        .await?;
    assert_eq!(got, [None, Some(bytes("d")), None, None]);
    // The expired records were removed by the read, not only hidden.
    for key in ["short", "added", "batch"] {
        assert_eq!(tree.get(key).unwrap(), None, "{key} must be removed");
    }
    assert!(tree.get("default").unwrap().is_some());
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

/// The suite's `key_prefix` topic runs on one directory too; here what only sled has:
/// trees, and other spellings of one directory.
#[tokio::test]
async fn trees_and_prefixes_isolate_caches_on_one_directory() -> Result<()> {
    let dir = TempDir::new("sled-prefix");
    // Caches on one directory share one sled database (sled locks it per process).
    let tenant_a = from_url(&dir_url(&dir, "key_prefix=tenant-a:"));
    let tenant_b = from_url(&dir_url(&dir, "key_prefix=tenant-b:"));
    let other_tree = from_url(&dir_url(&dir, "tree=other"));
    tenant_a.set("k", bytes("a"), Timeout::Never).await?;
    assert_eq!(other_tree.get("tenant-a:k").await?, None);
    // Another spelling of the directory is the same database, not a lock error.
    let respelled = format!("sled://{}/./?key_prefix=tenant-a:", dir.path().display());
    assert_eq!(from_url(&respelled).get("k").await?, Some(bytes("a")));

    // A purge of one prefix leaves the others' expired records alone.
    let brief = Timeout::After(Duration::from_millis(1));
    let purging = sled_cache(&dir_url(&dir, "key_prefix=tenant-a:&purge_interval_secs=0"));
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
    let dir = TempDir::new("sled-reopen");
    // A purge thread that would hold the database if dropping did not stop it.
    let url = dir_url(&dir, "purge_interval_secs=1&key_prefix=app:");
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
        owned(&[Some("kept"), Some("soon"), None, Some("a")])
    );
    assert!(!cache.add("added", bytes("b"), Timeout::Never).await?);
    Ok(())
}

/// Set in the child process of [`entries_survive_a_process_restart`].
const CHILD_ENV: &str = "EASY_CACHE_SLED_TEST_CHILD";

#[tokio::test]
async fn entries_survive_a_process_restart() {
    let dir = TempDir::new("sled-process");
    let url = dir_url(&dir, "");
    disk::entries_survive_a_process_restart("entries_survive_a_process_restart", CHILD_ENV, &url)
        .await;
}

#[tokio::test]
async fn an_unopenable_directory_is_a_backend_error_until_it_is_fixed() {
    let dir = TempDir::new("sled-unopenable");
    // A regular file where the database directory should be.
    std::fs::write(dir.path(), b"not a directory").unwrap();
    let shown = dir.path().display().to_string();
    disk::unopenable_until_fixed(&dir_url(&dir, ""), &shown, || {
        std::fs::remove_file(dir.path()).unwrap()
    })
    .await;
}

#[test]
fn a_temporary_database_is_named_by_its_url() {
    assert_eq!(
        from_url("sled://?temporary=true").name(),
        "sled://?temporary=true"
    );
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
