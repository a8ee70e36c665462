//! Lifetimes as the URL and the call give them: `Timeout::After`, the URL's
//! `default_timeout` (for `Timeout::Default`), `Timeout::Never`, and a lifetime past 30 days
//! (Memcached reads those as an absolute time). An expired value counts as absent for
//! `get`, `add` and `delete`.

use super::Backend;
use crate::support::{bytes, namespace};
use bytes::Bytes;
use easy_cache_core::{Result, Timeout, Write};
use std::time::Duration;

/// Lifetimes of this topic: `(life, default_timeout in seconds, first wait, second wait)`.
/// After the first wait every `life` value is gone and the default one is not; after both,
/// the default one is gone too.
fn lifetimes(backend: &Backend) -> (Duration, u64, Duration, Duration) {
    if backend.whole_seconds {
        // Whole seconds may round a lifetime down by up to one second.
        let life = Duration::from_secs(2);
        (life, 6, Duration::from_millis(3200), Duration::from_secs(4))
    } else {
        let life = Duration::from_millis(700);
        (life, 3, Duration::from_millis(1300), Duration::from_secs(2))
    }
}

/// Values expire after their lifetime (given per call, or by the URL's `default_timeout`)
/// and not before; `Timeout::Never` and 31 days persist.
pub async fn values_expire(backend: &Backend) {
    let (life, default_secs, first_wait, second_wait) = lifetimes(backend);
    let cache = backend.open(&format!("default_timeout={default_secs}"));
    let name = cache.name().to_owned();
    let result: Result<()> = async {
        let ns = namespace("values-expire");
        let [
            short,
            default,
            never,
            month,
            added,
            batch_add,
            batch_set,
            re_added,
            deleted,
        ] = [
            "short",
            "default",
            "never",
            "month",
            "added",
            "batch_add",
            "batch_set",
            "re_added",
            "deleted",
        ]
        .map(|k| format!("{ns}{k}"));
        let life = Timeout::After(life);
        cache.set(&short, bytes("s"), life).await?;
        cache.set(&default, bytes("d"), Timeout::Default).await?;
        cache.set(&never, bytes("n"), Timeout::Never).await?;
        // Past 30 days memcached wants an absolute time: a relative one would expire at once.
        let month_life = Timeout::secs(31 * 24 * 3600);
        cache.set(&month, bytes("m"), month_life).await?;
        assert!(cache.add(&added, bytes("a"), life).await?, "[{name}] add");
        let ops = [
            Write::add(batch_add.clone(), bytes("ba"), life),
            Write::set(batch_set.clone(), bytes("bs"), life),
        ];
        cache.write_batch(&ops).await?;
        cache.set(&re_added, bytes("old"), life).await?;
        cache.set(&deleted, bytes("x"), life).await?;
        let keys = [
            &short, &default, &never, &month, &added, &batch_add, &batch_set,
        ]
        .map(String::as_str);
        let values = |v: [Option<&str>; 7]| v.map(|v| v.map(bytes));
        let got = cache.get_many(&keys).await?;
        let want = [
            Some("s"),
            Some("d"),
            Some("n"),
            Some("m"),
            Some("a"),
            Some("ba"),
            Some("bs"),
        ];
        assert_eq!(got, values(want), "[{name}] before expiry");

        tokio::time::sleep(first_wait).await;
        let got = cache.get_many(&keys).await?;
        let want = [None, Some("d"), Some("n"), Some("m"), None, None, None];
        assert_eq!(
            got,
            values(want),
            "[{name}] after {first_wait:?}: lives of {life:?} are over, a default of \
             {default_secs} s is not"
        );
        assert_eq!(
            cache.get(&short).await?,
            None,
            "[{name}] get of an expired key"
        );
        // An expired value counts as absent for add and delete.
        assert!(
            cache.add(&re_added, bytes("new"), Timeout::Never).await?,
            "[{name}] add on an expired key must store"
        );
        assert_eq!(cache.get(&re_added).await?, Some(bytes("new")), "[{name}]");
        assert!(
            !cache.delete(&deleted).await?,
            "[{name}] delete of an expired key: it was not there"
        );
        assert!(
            cache.add(&short, bytes("again"), Timeout::Never).await?,
            "[{name}] add on an expired key must store"
        );

        tokio::time::sleep(second_wait).await;
        assert_eq!(
            cache.get(&default).await?,
            None,
            "[{name}] default_timeout={default_secs}"
        );
        let got: Vec<Option<Bytes>> = cache.get_many(&[&never, &month]).await?;
        assert_eq!(got, [Some(bytes("n")), Some(bytes("m"))], "[{name}]");
        cache
            .delete_many(&[&short, &never, &month, &re_added])
            .await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        panic!("[{name}] a call failed: {e}");
    }
}
