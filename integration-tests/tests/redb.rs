//! The redb backend on local disk: needs no server, so these tests always run. Each test
//! uses its own temporary file (or a `temporary=true` database). Every test name has
//! `redb` in it, so `cargo test redb` picks them all.

use bytes::Bytes;
use easy_cache_core::{CacheInstance, ErrorKind, Result, Timeout, Write};
use easy_cache_integration_tests::{
    behaviour_suite, disk,
    suite::Backend,
    support::{TempDir, bytes, from_url, owned, strings},
};
use easy_cache_redb::{
    RedbCache, RedbConfig,
    redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition},
};
use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader},
    process::Stdio,
    time::{Duration, Instant},
};

/// `redb://<file>?<options>`.
fn file_url(file: &TempDir, options: &str) -> String {
    let url = format!("redb://{}", file.path().display());
    if options.is_empty() {
        url
    } else {
        format!("{url}?{options}")
    }
}

/// A database in a temporary file, with `options`.
fn on_disk(options: &str) -> Backend {
    let file = TempDir::new("redb-suite");
    Backend::new(file_url(&file, options))
        .in_process()
        .keeping(file)
}

behaviour_suite!(
    redb_temporary = Backend::new("redb://?temporary=true")
        .in_process()
        .near("near_capacity=100"),
    near
);
// Caches on one file share one database, so key prefixes can be looked through.
behaviour_suite!(redb_on_disk = on_disk(""), key_prefix);
behaviour_suite!(redb_on_disk_with_a_prefix = on_disk("key_prefix=suite:&table=suite"));
// A bound far above what the suite stores changes nothing it can see.
behaviour_suite!(redb_bounded = on_disk("max_entries=100000"));

/// A cache built directly, for the redb-specific methods (`database`, `purge_expired`).
fn redb_cache(url: &str) -> RedbCache {
    let config = RedbConfig::from_url(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    RedbCache::new(config).unwrap_or_else(|e| panic!("{url}: {e}"))
}

/// The records table of `cache`'s configuration.
fn records(cache: &RedbCache) -> TableDefinition<'_, &'static [u8], &'static [u8]> {
    TableDefinition::new(&cache.config().table)
}

/// Every record of the cache's table, raw, by key.
fn raw_records(cache: &RedbCache) -> BTreeMap<Vec<u8>, Vec<u8>> {
    let txn = cache.database().unwrap().begin_read().unwrap();
    let table = txn.open_table(records(cache)).unwrap();
    table
        .iter()
        .unwrap()
        .map(|item| {
            let (key, value) = item.unwrap();
            (key.value().to_vec(), value.value().to_vec())
        })
        .collect()
}

/// How many records the cache's table holds.
fn record_count(cache: &RedbCache) -> u64 {
    let txn = cache.database().unwrap().begin_read().unwrap();
    txn.open_table(records(cache)).unwrap().len().unwrap()
}

/// Writes a raw record, as another program might.
fn insert_raw(cache: &RedbCache, key: &str, record: &[u8]) {
    let txn = cache.database().unwrap().begin_write().unwrap();
    txn.open_table(records(cache))
        .unwrap()
        .insert(key.as_bytes(), record)
        .unwrap();
    txn.commit().unwrap();
}

/// Reads hide expired records without a write; the purge removes them.
#[tokio::test]
async fn redb_expired_records_read_as_absent_and_purge_removes_them() -> Result<()> {
    // No background purge: this test runs it by hand.
    let cache = redb_cache("redb://?temporary=true&default_timeout=600&purge_interval_secs=0");
    let short = Timeout::secs(1);
    let keys: Vec<String> = (0..1500).map(|i| format!("short-{i}")).collect();
    let entries: Vec<(&str, Bytes)> = keys.iter().map(|k| (k.as_str(), bytes(k))).collect();
    let before_the_writes = Instant::now();
    cache.set_many(&entries, short).await?;
    assert!(cache.add("added", bytes("a"), short).await?);
    cache
        .write_batch(&[Write::set("batch", bytes("b"), short)])
        .await?;
    cache.set("default", bytes("d"), Timeout::Default).await?;
    cache.set("kept", bytes("v"), Timeout::Never).await?;
    assert_eq!(record_count(&cache), 1504);
    let removed = cache.purge_expired()?;
    // Judged only when the purge surely ran before the first write's second was up (a
    // loaded machine may take longer to get here): never a timing-dependent failure.
    if before_the_writes.elapsed() < Duration::from_secs(1) {
        assert_eq!(removed, 0, "nothing has expired yet");
    }

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let got = cache
        .get_many(&["short-7", "added", "batch", "default", "kept"])
        .await?;
    assert_eq!(
        strings(&got),
        owned(&[None, None, None, Some("d"), Some("v")])
    );
    let left = 1504 - u64::try_from(removed).unwrap();
    assert_eq!(record_count(&cache), left, "reads remove nothing");
    // More than one batch of removals (512 a write transaction).
    assert_eq!(removed + cache.purge_expired()?, 1502);
    assert_eq!(record_count(&cache), 2);
    assert_eq!(cache.get("kept").await?, Some(bytes("v")));
    Ok(())
}

#[tokio::test]
async fn redb_background_purge_runs_on_schedule() -> Result<()> {
    let cache = redb_cache("redb://?temporary=true&purge_interval_secs=1");
    // Outlives the first purge (1 s after opening), expires before the second.
    let short = Timeout::After(Duration::from_millis(1500));
    let keys: Vec<String> = (0..200).map(|i| format!("short-{i}")).collect();
    let entries: Vec<(&str, Bytes)> = keys.iter().map(|k| (k.as_str(), bytes(k))).collect();
    cache.set_many(&entries, short).await?;
    cache.set("kept", bytes("v"), Timeout::Never).await?;
    assert_eq!(record_count(&cache), 201);
    let started = Instant::now();
    while record_count(&cache) > 1 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the background purge did not run: {} records left",
            record_count(&cache)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(cache.get("kept").await?, Some(bytes("v")));
    Ok(())
}

#[tokio::test]
async fn redb_corrupt_records_read_as_absent_and_are_purged() -> Result<()> {
    let cache = redb_cache("redb://?temporary=true&key_prefix=p:&purge_interval_secs=0");
    insert_raw(&cache, "p:short", b"1234567");
    insert_raw(&cache, "p:empty", b"");
    assert_eq!(cache.get("short").await?, None);
    assert_eq!(cache.get_many(&["empty"]).await?, vec![None]);
    // add replaces a corrupt record; the purge removes one nobody rewrites.
    assert!(cache.add("short", bytes("fine"), Timeout::Never).await?);
    assert_eq!(cache.get("short").await?, Some(bytes("fine")));
    assert_eq!(cache.purge_expired()?, 1);
    assert!(!raw_records(&cache).contains_key(&b"p:empty"[..]));
    Ok(())
}

/// The documented policy: crossing `max_entries` evicts down to 90% of it, expired records
/// first, then those expiring soonest, records without a lifetime last.
#[tokio::test]
async fn redb_max_entries_evicts_expired_then_soonest_expiring() -> Result<()> {
    let cache = redb_cache("redb://?temporary=true&max_entries=20&purge_interval_secs=0");
    cache
        .set(
            "expired",
            bytes("x"),
            Timeout::After(Duration::from_millis(1)),
        )
        .await?;
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Lifetimes 100 s, 101 s, ... : `soon-0` expires first.
    for i in 0..9 {
        let timeout = Timeout::secs(100 + i);
        cache.set(&format!("soon-{i}"), bytes("s"), timeout).await?;
    }
    for i in 0..10 {
        cache
            .set(&format!("never-{i}"), bytes("n"), Timeout::Never)
            .await?;
    }
    assert_eq!(record_count(&cache), 20, "at the bound: nothing evicted");
    // The 21st record crosses the bound: down to 18, the expired one and the two soonest.
    cache.set("late", bytes("l"), Timeout::Never).await?;
    assert_eq!(record_count(&cache), 18);
    let left = raw_records(&cache);
    for gone in ["expired", "soon-0", "soon-1"] {
        assert!(
            !left.contains_key(gone.as_bytes()),
            "{gone} must be evicted"
        );
    }
    assert_eq!(cache.get("soon-2").await?, Some(bytes("s")));
    assert_eq!(cache.get("never-0").await?, Some(bytes("n")));
    assert_eq!(cache.get("late").await?, Some(bytes("l")));

    // A batch crossing the bound is bounded too; only records without a lifetime are
    // left, so the batch's own go in key order.
    let keys: Vec<String> = (0..30).map(|i| format!("batch-{i:02}")).collect();
    let entries: Vec<(&str, Bytes)> = keys.iter().map(|k| (k.as_str(), bytes(k))).collect();
    cache.set_many(&entries, Timeout::Never).await?;
    assert_eq!(record_count(&cache), 18);
    Ok(())
}

/// The suite's `key_prefix` topic runs on one file too; here what only redb has: tables,
/// and other spellings of one file.
#[tokio::test]
async fn redb_tables_and_prefixes_isolate_caches_on_one_file() -> Result<()> {
    let file = TempDir::new("redb-prefix");
    // Caches on one file share one redb database (redb locks it).
    let tenant_a = from_url(&file_url(&file, "key_prefix=tenant-a:"));
    let tenant_b = from_url(&file_url(&file, "key_prefix=tenant-b:"));
    let other_table = from_url(&file_url(&file, "table=other"));
    tenant_a.set("k", bytes("a"), Timeout::Never).await?;
    assert_eq!(other_table.get("tenant-a:k").await?, None);
    // Another spelling of the file is the same database, not a lock error.
    let dir = file.path().parent().unwrap().display().to_string();
    let name = file
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let respelled = format!("redb://{dir}/./{name}?key_prefix=tenant-a:");
    assert_eq!(from_url(&respelled).get("k").await?, Some(bytes("a")));

    // A purge of one prefix leaves the others' expired records alone.
    let brief = Timeout::After(Duration::from_millis(1));
    let purging = redb_cache(&file_url(
        &file,
        "key_prefix=tenant-a:&purge_interval_secs=0",
    ));
    purging.set("x", bytes("1"), brief).await?;
    tenant_b.set("x", bytes("2"), brief).await?;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(purging.purge_expired()?, 1);
    let left = raw_records(&purging);
    assert!(left.contains_key(&b"tenant-b:x"[..]));
    assert!(!left.contains_key(&b"tenant-a:x"[..]));
    Ok(())
}

#[tokio::test]
async fn redb_entries_survive_reopening_the_file() -> Result<()> {
    let file = TempDir::new("redb-reopen");
    // A purge thread that would hold the database if dropping did not stop it.
    let url = file_url(&file, "purge_interval_secs=1&key_prefix=app:");
    {
        let cache = from_url(&url);
        assert_eq!(cache.name(), format!("redb://{}", file.path().display()));
        cache.set("never", bytes("kept"), Timeout::Never).await?;
        cache
            .set("later", bytes("soon"), Timeout::secs(600))
            .await?;
        let brief = Timeout::After(Duration::from_millis(1));
        cache.set("brief", bytes("gone"), brief).await?;
        assert!(cache.add("added", bytes("a"), Timeout::Never).await?);
        assert!(cache.delete("later").await?);
        // Dropping must stop and join the purge thread, and close the database.
        drop(cache);
    }
    let cache = from_url(&url);
    let got = cache
        .get_many(&["never", "later", "brief", "added"])
        .await?;
    assert_eq!(strings(&got), owned(&[Some("kept"), None, None, Some("a")]));
    assert!(!cache.add("added", bytes("b"), Timeout::Never).await?);
    Ok(())
}

/// Set in a child process of this test binary: `mode arg`.
const CHILD_ENV: &str = "EASY_CACHE_REDB_TEST_CHILD";
/// The test whose child checks the lock and reopens the file.
const PROCESS_TEST: &str = "redb_entries_survive_a_process_restart_and_the_file_is_locked";
/// The test whose child is killed.
const CRASH_TEST: &str = "redb_crash_kill_9_mid_writes_keeps_every_returned_invalidation";
/// What the crash child prints before each report, to tell it from the test harness.
const REPORT: &str = "REPORT ";

#[tokio::test]
async fn redb_entries_survive_a_process_restart_and_the_file_is_locked() {
    let file = TempDir::new("redb-process");
    let url = file_url(&file, "");
    disk::entries_survive_a_process_restart(PROCESS_TEST, CHILD_ENV, &url).await;
}

/// The value the crash child stores under key number `n` in round `round`.
fn crash_value(round: u64, n: u64) -> String {
    format!(
        "round {round} value {n} {}",
        "x".repeat((n % 7 * 300) as usize)
    )
}

/// The crash child: writes and invalidates without end, reporting each call that returned
/// (`REPORT set R N`, `REPORT deleted R N`, `REPORT deleted-many R N M`, `REPORT
/// generation R G`) before the next one starts, until it is killed. A purge thread with a
/// one-second interval runs meanwhile, so the kill may also land in one of its batches.
async fn crash_child(spec: &str) {
    use std::io::Write as _;
    let (_, spec) = spec.split_once(' ').expect("mode and round:idle_at:path");
    let mut parts = spec.splitn(3, ':');
    let mut number = || -> u64 { parts.next().and_then(|n| n.parse().ok()).expect("a number") };
    let (round, idle_at) = (number(), number());
    let path = parts.next().expect("a path");
    // No purge in a child that idles: its commits would carry the last write to disk.
    let purge = if idle_at > 0 { 0 } else { 1 };
    let cache = from_url(&format!("redb://{path}?purge_interval_secs={purge}"));
    let mut out = std::io::stdout().lock();
    let mut report = |line: String| {
        writeln!(out, "{REPORT}{line}").expect("the parent reads");
        out.flush().expect("the parent reads");
    };
    for n in 0.. {
        let key = format!("r{round}-{n}");
        cache
            .set(&key, bytes(&crash_value(round, n)), Timeout::Never)
            .await
            .expect("set");
        report(format!("set {round} {n}"));
        // A key that expires at once, for the purge to remove.
        let brief = Timeout::After(Duration::from_millis(1));
        cache
            .set(&format!("brief-{n}"), bytes("b"), brief)
            .await
            .expect("set");
        // The generation key is overwritten each time: an older one must never come back.
        cache
            .set("generation", bytes(&format!("{round} {n}")), Timeout::Never)
            .await
            .expect("set");
        report(format!("generation {round} {n}"));
        if n % 3 == 2 {
            let gone = n - 1;
            assert!(
                cache
                    .delete(&format!("r{round}-{gone}"))
                    .await
                    .expect("delete")
            );
            report(format!("deleted {round} {gone}"));
        }
        if n % 10 == 9 {
            // A batch of sets and an add, in one transaction.
            let writes = [
                Write::set(
                    format!("w{round}-{n}"),
                    bytes(&crash_value(round, n)),
                    Timeout::Never,
                ),
                Write::add(format!("w{round}-{n}"), bytes("not this"), Timeout::Never),
            ];
            cache.write_batch(&writes).await.expect("write_batch");
            let keys: Vec<String> = (n - 9..n - 5).map(|i| format!("r{round}-{i}")).collect();
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            cache.delete_many(&keys).await.expect("delete_many");
            report(format!("deleted-many {round} {} {}", n - 9, n - 5));
        }
        if n == idle_at {
            // The last call was an invalidation: nothing after it carries it to disk.
            report("idle".to_owned());
            std::future::pending::<()>().await;
        }
    }
}

/// What the parent learnt from the crash child's reports.
#[derive(Default)]
struct Reported {
    /// Keys whose set returned, with their values.
    set: BTreeMap<String, String>,
    /// Keys whose invalidation (delete, delete_many) returned.
    deleted: Vec<String>,
    /// The last generation whose set returned.
    generation: Option<(u64, u64)>,
    lines: usize,
    /// The child reported that it idles.
    idle: bool,
}

impl Reported {
    fn read(&mut self, line: &str) {
        let Some(report) = line.strip_prefix(REPORT) else {
            return;
        };
        self.lines += 1;
        if report == "idle" {
            self.idle = true;
            return;
        }
        let words: Vec<u64> = report
            .split(' ')
            .skip(1)
            .map(|w| w.parse().expect("a number"))
            .collect();
        match (report.split(' ').next(), words.as_slice()) {
            (Some("set"), &[round, n]) => {
                self.set
                    .insert(format!("r{round}-{n}"), crash_value(round, n));
            }
            (Some("generation"), &[round, n]) => self.generation = Some((round, n)),
            (Some("deleted"), &[round, n]) => self.deleted.push(format!("r{round}-{n}")),
            (Some("deleted-many"), &[round, from, to]) => self
                .deleted
                .extend((from..to).map(|i| format!("r{round}-{i}"))),
            _ => panic!("unknown report {report}"),
        }
    }
}

/// kill -9 of a process in the middle of writes, invalidations and purges, five times on
/// one file: after each, the reopened file serves no corrupted record, no invalidated
/// entry and no older generation, and every write and invalidation that returned before
/// the kill holds. Deterministic: the child reports each call that returned before the
/// next starts, and the parent kills it after a fixed number of reports (the kill lands
/// wherever the child is then, which is inside a write nearly always: writes are all it
/// does), or, in the last two rounds, once the child idles right after an invalidation,
/// so that only that invalidation's own commit can have made it durable.
#[tokio::test]
async fn redb_crash_kill_9_mid_writes_keeps_every_returned_invalidation() -> Result<()> {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        crash_child(&spec).await;
        return Ok(());
    }
    let file = TempDir::new("redb-crash");
    let url = file_url(&file, "purge_interval_secs=0");
    let mut reported = Reported::default();
    // Three kills wherever the child is, then two right after an invalidation (a delete,
    // then a delete_many) that no later commit carried to disk.
    let rounds = [
        (0, 40, 0),
        (1, 97, 0),
        (2, 151, 0),
        (3, usize::MAX, 20),
        (4, usize::MAX, 29),
    ];
    for (round, kill_after, idle_at) in rounds {
        let arg = format!("{round}:{idle_at}:{}", file.path().display());
        let mut child = disk::this_test_again(CRASH_TEST, CHILD_ENV, &format!("crash {arg}"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the crash child");
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let before = reported.lines;
        reported.idle = false;
        while reported.lines - before < kill_after && !reported.idle {
            let line = lines
                .next()
                .expect("the child reports until it is killed")
                .expect("readable");
            reported.read(&line);
        }
        // SIGKILL: no destructor, no flush, no unlock but the kernel's.
        child.kill().expect("kill -9 the child");
        // Whatever it reported before dying returned before the kill too.
        for line in lines {
            reported.read(&line.expect("readable"));
        }
        child.wait().expect("reaped");

        let cache = redb_cache(&url);
        let records = raw_records(&cache);
        for (key, record) in &records {
            assert!(record.len() >= 8, "corrupt record under {key:?}");
        }
        for key in &reported.deleted {
            let served = cache.get(key).await?;
            assert!(
                served.is_none(),
                "round {round}: {key} was deleted, yet served"
            );
        }
        for (key, value) in &reported.set {
            if !reported.deleted.contains(key) {
                assert_eq!(
                    cache.get(key).await?,
                    Some(bytes(value)),
                    "round {round}: the set of {key} returned"
                );
            }
        }
        // Every value served is the one the child wrote under that key.
        for key in records
            .keys()
            .map(|k| String::from_utf8_lossy(k).into_owned())
        {
            let Some(value) = cache.get(&key).await? else {
                continue;
            };
            let written = key
                .strip_prefix('r')
                .or_else(|| key.strip_prefix('w'))
                .and_then(|rest| rest.split_once('-'));
            if let Some((r, n)) = written {
                let expected = crash_value(r.parse().unwrap(), n.parse().unwrap());
                assert_eq!(value, bytes(&expected), "round {round}: {key}");
            }
        }
        let generation = cache
            .get("generation")
            .await?
            .expect("a generation was set");
        let generation: Vec<u64> = String::from_utf8_lossy(&generation)
            .split(' ')
            .map(|w| w.parse().unwrap())
            .collect();
        let last = reported.generation.expect("reported");
        assert!(
            (generation[0], generation[1]) >= last,
            "round {round}: generation {generation:?} is older than {last:?}, which returned"
        );
        // Closed before the next child opens the file.
        drop(cache);
    }
    Ok(())
}

#[tokio::test]
async fn redb_an_unopenable_file_is_a_backend_error_until_it_is_fixed() {
    let file = TempDir::new("redb-unopenable");
    // A directory where the database file should be.
    std::fs::create_dir(file.path()).unwrap();
    let shown = file.path().display().to_string();
    disk::unopenable_until_fixed(&file_url(&file, ""), &shown, || {
        std::fs::remove_dir(file.path()).unwrap()
    })
    .await;
}

#[test]
fn redb_a_temporary_database_is_named_by_its_url() {
    assert_eq!(
        from_url("redb://?temporary=true").name(),
        "redb://?temporary=true"
    );
}

#[tokio::test]
async fn redb_bad_urls_are_config_errors() {
    for url in ["redb://", "redb://relative", "redb:///d?colour=red"] {
        let Err(err) = easy_cache_registry::caches::from_url(url) else {
            panic!("{url} must be refused");
        };
        assert_eq!(err.kind(), ErrorKind::Config, "{url}: {err}");
    }
}
