//! Checks the on-disk backends (sled, redb) share: a second process on the same database,
//! and a database path that cannot be opened yet. Each takes the backend's URL.

use crate::support::{bytes, from_url};
use easy_cache_core::{ErrorKind, Timeout};
use std::process::Command;

/// This test binary again, as a child process running only `test` (`--exact`), with the
/// environment variable `env` set to `value`: the other side of a test that needs two
/// processes.
pub fn this_test_again(test: &str, env: &str, value: &str) -> Command {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(exe);
    command
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(env, value);
    command
}

/// Runs [`this_test_again`] to its end: the child's test must pass.
pub fn run_this_test_again(test: &str, env: &str, value: &str) {
    let output = this_test_again(test, env, value)
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child `{value}` failed:\n{stdout}\n{stderr}"
    );
}

/// The body of the test `test` checking that entries survive a process restart of the
/// database at `url`, and that another process cannot open it while this one holds it.
/// It runs this test binary again as the other process, which finds `env` set and plays
/// its part.
pub async fn entries_survive_a_process_restart(test: &str, env: &str, url: &str) {
    if let Ok(spec) = std::env::var(env) {
        let (mode, url) = spec.split_once(' ').expect("mode and URL");
        return child(mode, url).await;
    }
    {
        let cache = from_url(url);
        let parent = bytes("from the parent");
        cache.set("parent", parent, Timeout::Never).await.unwrap();
        // While this process holds the database, another one gets a Backend error.
        run_this_test_again(test, env, &format!("locked {url}"));
    }
    run_this_test_again(test, env, &format!("reopen {url}"));
    let cache = from_url(url);
    assert_eq!(
        cache.get("child").await.unwrap(),
        Some(bytes("from the child"))
    );
    assert_eq!(
        cache.get("parent").await.unwrap(),
        Some(bytes("from the parent"))
    );
}

/// The child's side: `locked` expects the database to be held by the parent, `reopen`
/// reads what the parent wrote and writes an answer.
async fn child(mode: &str, url: &str) {
    let cache = from_url(url);
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

/// A cache on `url`, whose database path (`shown` in errors) cannot be opened until `fix`
/// runs: it is built anyway (an application starts), every call fails with a Backend error
/// naming the path, and the first call after `fix` opens it.
pub async fn unopenable_until_fixed(url: &str, shown: &str, fix: impl FnOnce()) {
    let cache = from_url(url);
    let err = cache.get("k").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");
    assert!(std::error::Error::source(&err).is_some(), "{err}");
    assert!(err.to_string().contains(shown), "{err}");
    let err = cache
        .set("k", bytes("v"), Timeout::Never)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Backend, "{err}");

    fix();
    cache.set("k", bytes("v"), Timeout::Never).await.unwrap();
    assert_eq!(cache.get("k").await.unwrap(), Some(bytes("v")));
}
