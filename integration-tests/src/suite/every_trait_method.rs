//! Every method of the cache trait, with its edge cases: empty batches, zero lifetimes
//! (also inside a write batch), repeated keys, and ops of one batch seeing earlier ones.

use super::Backend;
use crate::support::{bytes, namespace, owned, strings};
use easy_cache_core::{CacheInstance, Result, Timeout, Write};

/// Every trait method, with its edge cases.
pub async fn every_trait_method_behaves(backend: &Backend) {
    let cache = backend.open("");
    if let Err(e) = every_trait_method(&*cache, backend.in_process).await {
        panic!("[{}] a call failed: {e}", cache.name());
    }
}

async fn every_trait_method(cache: &dyn CacheInstance, in_process: bool) -> Result<()> {
    let name = cache.name().to_owned();
    let ns = namespace("methods");
    let k = |name: &str| format!("{ns}{name}");
    let (a, b, c, d, e, f) = (k("a"), k("b"), k("c"), k("d"), k("e"), k("f"));

    assert_eq!(cache.get(&a).await?, None, "[{name}]");
    cache.set(&a, bytes("1"), Timeout::Never).await?;
    cache.set(&a, bytes("2"), Timeout::secs(600)).await?;
    assert_eq!(cache.get(&a).await?, Some(bytes("2")), "[{name}]");

    cache
        .set_many(
            &[(b.as_str(), bytes("B")), (c.as_str(), bytes("C"))],
            Timeout::Default,
        )
        .await?;
    let got = cache.get_many(&[&a, &d, &b, &c, &a]).await?;
    let want = owned(&[Some("2"), None, Some("B"), Some("C"), Some("2")]);
    assert_eq!(strings(&got), want, "[{name}]");
    assert_eq!(cache.get_many(&[]).await?, vec![], "[{name}]");
    cache.set_many(&[], Timeout::Never).await?;
    if in_process {
        // The synchronous fast path answers the same.
        let now_face = cache
            .in_process()
            .unwrap_or_else(|| panic!("[{name}] must answer without waiting"));
        let now = now_face.get_many_now(&[&a, &d])?;
        assert_eq!(strings(&now), owned(&[Some("2"), None]), "[{name}]");
        let now = now_face.get_now(&b)?;
        assert_eq!(now, Some(bytes("B")), "[{name}]");
    }

    assert!(cache.add(&d, bytes("D"), Timeout::Never).await?, "[{name}]");
    assert!(
        !cache.add(&d, bytes("X"), Timeout::Never).await?,
        "[{name}]"
    );
    assert_eq!(cache.get(&d).await?, Some(bytes("D")), "[{name}]");
    assert!(
        !cache.add(&k("zero"), bytes("Z"), Timeout::secs(0)).await?,
        "[{name}] an add with a zero lifetime stores nothing"
    );
    assert_eq!(cache.get(&k("zero")).await?, None, "[{name}]");

    assert!(cache.delete(&d).await?, "[{name}]");
    assert!(!cache.delete(&d).await?, "[{name}]");

    // A set with a zero lifetime leaves nothing behind, not the old value.
    cache.set(&c, bytes("gone"), Timeout::secs(0)).await?;
    assert_eq!(
        cache.get(&c).await?,
        None,
        "[{name}] set with a zero lifetime"
    );
    cache
        .set_many(&[(b.as_str(), bytes("gone"))], Timeout::secs(0))
        .await?;
    assert_eq!(
        cache.get(&b).await?,
        None,
        "[{name}] set_many with a zero lifetime"
    );

    cache.set(&b, bytes("B"), Timeout::Never).await?;
    cache.delete_many(&[&a, &b, &k("never-set")]).await?;
    assert_eq!(
        cache.get_many(&[&a, &b]).await?,
        vec![None, None],
        "[{name}]"
    );
    cache.delete_many(&[]).await?;

    cache.set(&a, bytes("old"), Timeout::Never).await?;
    cache.set(&d, bytes("doomed"), Timeout::Never).await?;
    let set = |key: &str, value: &str| Write::set(key.to_owned(), bytes(value), Timeout::Never);
    let add = |key: &str, value: &str| Write::add(key.to_owned(), bytes(value), Timeout::Never);
    let ops = [
        set(&b, "B2"),
        // Present already: not an error, and the value stays.
        add(&a, "new"),
        add(&c, "C2"),
        // Later ops on a key see earlier ones: the set wins over the add above...
        set(&c, "C3"),
        // ...an add after a set of the same key in one batch is refused...
        set(&f, "F1"),
        add(&f, "F2"),
        // ...and a later set overwrites an earlier one.
        set(&b, "B3"),
        // A zero-lifetime set in a batch removes the key; a zero-lifetime add does nothing.
        Write::set(d.clone(), bytes("x"), Timeout::secs(0)),
        Write::add(e.clone(), bytes("x"), Timeout::secs(0)),
    ];
    cache.write_batch(&ops).await?;
    let got = cache.get_many(&[&a, &b, &c, &d, &e, &f]).await?;
    let want = owned(&[Some("old"), Some("B3"), Some("C3"), None, None, Some("F1")]);
    assert_eq!(strings(&got), want, "[{name}] after write_batch");
    cache.write_batch(&[]).await?;
    cache.delete_many(&[&a, &b, &c, &f]).await?;
    Ok(())
}
