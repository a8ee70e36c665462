//! `key_prefix` isolates caches on one store: each reads only its own keys, and the prefix
//! is really prepended in the store.

use super::Backend;
use crate::support::{bytes, namespace};
use bytes::Bytes;
use easy_cache_core::{Result, Timeout};

/// Two tenants with their own `key_prefix` and a cache without one, on one store: single
/// keys, `add` and batches keep to their tenant; the plain cache sees the tenants' keys
/// under their prefixes.
pub async fn key_prefix_isolates_caches(backend: &Backend) {
    let plain = backend.open("");
    let tenant_a = backend.open("key_prefix=tenant-a:");
    let tenant_b = backend.open("key_prefix=tenant-b:");
    let name = plain.name().to_owned();
    let result: Result<()> = async {
        // The prefix is an option of the cache, not another store.
        assert_eq!(tenant_a.name(), plain.name(), "[{name}]");

        let ns = namespace("prefix");
        let key = format!("{ns}k");
        tenant_a.set(&key, bytes("a"), Timeout::Never).await?;
        tenant_b.set(&key, bytes("b"), Timeout::Never).await?;
        assert_eq!(tenant_a.get(&key).await?, Some(bytes("a")), "[{name}]");
        assert_eq!(tenant_b.get(&key).await?, Some(bytes("b")), "[{name}]");
        // The prefix is really prepended in the store.
        assert_eq!(plain.get(&key).await?, None, "[{name}]");
        let stored = plain
            .get_many(&[&format!("tenant-a:{key}"), &format!("tenant-b:{key}")])
            .await?;
        assert_eq!(stored, [Some(bytes("a")), Some(bytes("b"))], "[{name}]");
        assert!(
            !tenant_a.add(&key, bytes("x"), Timeout::Never).await?,
            "[{name}] the tenant's own key is present"
        );
        let only_a = format!("{ns}only-a");
        assert!(tenant_a.add(&only_a, bytes("1"), Timeout::Never).await?);
        assert!(
            tenant_b.add(&only_a, bytes("2"), Timeout::Never).await?,
            "[{name}] another tenant's key is not there"
        );
        assert!(tenant_a.delete(&key).await?, "[{name}]");
        tenant_a.delete_many(&[&only_a]).await?;
        assert_eq!(tenant_a.get(&key).await?, None, "[{name}]");
        assert_eq!(tenant_b.get(&key).await?, Some(bytes("b")), "[{name}]");
        assert_eq!(tenant_b.get(&only_a).await?, Some(bytes("2")), "[{name}]");
        tenant_b.delete_many(&[&only_a]).await?;
        assert!(tenant_b.delete(&key).await?, "[{name}]");

        // Batches (spread over a cluster's slots or a ring's servers) keep the prefix too.
        let keys: Vec<String> = (0..20).map(|i| format!("{ns}batch-{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let entries: Vec<(&str, Bytes)> = refs.iter().map(|k| (*k, bytes(k))).collect();
        tenant_a.set_many(&entries, Timeout::Never).await?;
        let unprefixed = plain.get_many(&refs).await?;
        assert!(unprefixed.iter().all(Option::is_none), "[{name}]");
        let stored: Vec<String> = keys.iter().map(|k| format!("tenant-a:{k}")).collect();
        let stored: Vec<&str> = stored.iter().map(String::as_str).collect();
        let found = plain.get_many(&stored).await?;
        assert!(found.iter().all(Option::is_some), "[{name}] {found:?}");
        tenant_a.delete_many(&refs).await?;
        let left = plain.get_many(&stored).await?;
        assert!(left.iter().all(Option::is_none), "[{name}] {left:?}");
        Ok(())
    }
    .await;
    if let Err(e) = result {
        panic!("[{name}] a call failed: {e}");
    }
}
