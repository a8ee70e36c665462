//! What the macro accepts: parameter names that clash with nothing, borrowed and owned
//! argument kinds, generic functions, automatic keys, codecs, visibility and docs.

use easy_cache::{KeyPart, ecached};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

static HYGIENE_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("h:{key}:{cache}:{meta}:{result}:{value}")]
async fn hygiene(key: u8, cache: u8, meta: u8, result: u8, value: u8) -> u32 {
    HYGIENE_RUNS.fetch_add(1, Ordering::SeqCst);
    u32::from(key) + u32::from(cache) + u32::from(meta) + u32::from(result) + u32::from(value)
}

#[tokio::test]
async fn parameters_may_be_named_like_the_macros_internals() {
    assert_eq!(hygiene(1, 2, 3, 4, 5).await, 15);
    assert_eq!(hygiene(1, 2, 3, 4, 5).await, 15);
    assert_eq!(HYGIENE_RUNS.load(Ordering::SeqCst), 1);
    assert_eq!(hygiene_cache().cache_key(&1, &2, &3, &4, &5), "h:1:2:3:4:5");
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Profile {
    name: String,
}

struct Account {
    id: u64,
}

static KINDS_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("kinds:{name}:{account.id}:{owned}:{maybe}:{ids}:{nick}")]
async fn argument_kinds(
    name: &str,
    account: &Account,
    owned: String,
    maybe: Option<u32>,
    ids: &[u64],
    nick: Option<&str>,
) -> Profile {
    KINDS_RUNS.fetch_add(1, Ordering::SeqCst);
    Profile {
        name: format!("{name}{}{owned}{maybe:?}{ids:?}{nick:?}", account.id),
    }
}

#[tokio::test]
async fn borrowed_owned_optional_and_slice_arguments() {
    let name = String::from("ann");
    let account = Account { id: 4 };
    let first = argument_kinds(&name, &account, "x".into(), Some(1), &[1, 2], Some("a")).await;
    let second = argument_kinds(&name, &account, "x".into(), Some(1), &[1, 2], Some("a")).await;
    assert_eq!(first, second);
    assert_eq!(KINDS_RUNS.load(Ordering::SeqCst), 1);
    argument_kinds(&name, &account, "x".into(), None, &[], None).await;
    assert_eq!(KINDS_RUNS.load(Ordering::SeqCst), 2);
    let key = argument_kinds_cache().cache_key(
        "ann",
        &account,
        &"x".to_string(),
        &None,
        &[1u64][..],
        &None,
    );
    assert_eq!(key, "kinds:ann:4:x:~:[1]:~");
}

static GENERIC_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached("generic:{item}")]
async fn describe<T>(item: T) -> String
where
    T: KeyPart + std::fmt::Debug + Send,
{
    GENERIC_RUNS.fetch_add(1, Ordering::SeqCst);
    format!("{item:?}")
}

#[tokio::test]
async fn generic_functions_work_where_their_parameters_can_be_keys() {
    assert_eq!(describe(5u8).await, "5");
    assert_eq!(describe(5u8).await, "5");
    assert_eq!(describe("five").await, "\"five\"");
    assert_eq!(GENERIC_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(describe_cache::<u8>().cache_key(&5), "generic:5");
}

static AUTO_RUNS: AtomicUsize = AtomicUsize::new(0);

#[ecached]
async fn automatic(a: u32, b: &str) -> u32 {
    AUTO_RUNS.fetch_add(1, Ordering::SeqCst);
    a + b.len() as u32
}

#[ecached(["a", "c"], timeout = 600)]
async fn by_names(a: u32, b: u32, c: u32) -> u32 {
    a + b + c
}

#[tokio::test]
async fn automatic_keys_and_name_lists() {
    automatic(1, "xy").await;
    automatic(1, "xy").await;
    automatic(2, "xy").await;
    assert_eq!(AUTO_RUNS.load(Ordering::SeqCst), 2);
    assert_eq!(
        automatic_cache().cache_key(&1, "xy"),
        concat!(module_path!(), "::automatic:1:xy")
    );
    assert_eq!(by_names(1, 2, 3).await, 6);
    assert_eq!(by_names(1, 99, 3).await, 6, "b is not part of the key");
    assert_eq!(by_names_cache().cache_key(&1, &3), "1:3");
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Report {
    lines: Vec<String>,
}

#[cfg(feature = "json")]
#[ecached("json_report:{n}", codec = easy_cache::Json)]
async fn json_report(n: usize) -> Report {
    Report {
        lines: vec!["line".into(); n],
    }
}

#[cfg(feature = "json")]
#[tokio::test]
async fn the_json_codec_stores_readable_json() {
    use easy_cache::caches;
    json_report(2).await;
    let stored = caches::get("default")
        .unwrap()
        .get("json_report:2")
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&stored);
    assert!(text.contains(r#"{"lines":["line","line"]}"#), "{text}");
    assert_eq!(json_report(2).await.lines.len(), 2);
}

mod visibility {
    use easy_cache::ecached;

    /// Public, documented, and still public after the macro.
    #[ecached("visible:{n}")]
    pub async fn visible(n: u8) -> u8 {
        n
    }
}

#[tokio::test]
async fn visibility_is_kept_and_the_handle_shares_it() {
    assert_eq!(visibility::visible(3).await, 3);
    assert_eq!(visibility::visible_cache().cache_key(&3), "visible:3");
}

#[test]
fn the_tag_namespace_the_macro_writes_is_the_core_one() {
    assert_eq!(easy_cache::TAG_VERSION_PREFIX, "ec:t:");
}
