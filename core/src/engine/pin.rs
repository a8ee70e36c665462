//! Pinning the versions an entry will be stored with before its computation starts.
//!
//! A version key that does not exist yet is created here, with add-if-absent, *before*
//! the computation: created after it, it could stand in for an invalidation that was
//! lost while the value computed (the version key evicted, a memcached restart, a
//! failover), and validate a value computed from data the invalidation replaced. An
//! absent version then never validates an older value: every token an entry carries was
//! in the store before its value began to compute.

use crate::backend::CacheInstance;
use crate::backend::timeout::Timeout;
use crate::error::Result;
use crate::keys::versions::Token;

/// The tokens to store the entry with, in `keys` order, and which of them existed before
/// (those get their lifetime lengthened at the store; the ones created here already
/// have the entry's). `Ok(None)`: a version vanished again before it could be read, so
/// this computation's value must not be stored.
pub(crate) async fn pin_versions(
    instance: &dyn CacheInstance,
    keys: &[&str],
    snapshot: Vec<Option<Token>>,
    timeout: Timeout,
) -> Result<Option<Pinned>> {
    let mut pinned = Pinned {
        tokens: Vec::with_capacity(keys.len()),
        existed: Vec::with_capacity(keys.len()),
    };
    let mut taken = Vec::new();
    for (&key, current) in keys.iter().zip(snapshot) {
        match current {
            Some(token) => {
                pinned.tokens.push(token);
                pinned.existed.push(true);
            }
            None => {
                let token = Token::fresh();
                let added = instance.add(key, token.to_bytes(), timeout).await?;
                if !added {
                    // Another caller created it meanwhile: its token is the one to carry.
                    taken.push(pinned.tokens.len());
                }
                pinned.tokens.push(token);
                pinned.existed.push(!added);
            }
        }
    }
    if !taken.is_empty() {
        let reread: Vec<&str> = taken.iter().map(|&i| keys[i]).collect();
        let current = instance.get_many(&reread).await?;
        for (&i, now) in taken.iter().zip(current) {
            match now.as_deref().and_then(Token::from_stored) {
                Some(token) => pinned.tokens[i] = token,
                None => return Ok(None),
            }
        }
    }
    Ok(Some(pinned))
}

/// The versions an entry is stored with.
pub(crate) struct Pinned {
    pub(crate) tokens: Vec<Token>,
    pub(crate) existed: Vec<bool>,
}
