//! Reading an entry and the current versions of its tags, and deciding hit or miss.
//!
//! Two paths share one validation: [`FnCache::read_now`] for backends that answer without
//! waiting (in-process stores: the hit completes inside one poll, borrowing the instance
//! instead of cloning its `Arc`, and decoding from lent bytes where the store lends them),
//! and [`FnCache::read`] for the others.

use super::FnCache;
use super::clock;
use super::entry::{self, EntryView, Stamp, Times};
use super::resilience::Age;
use super::spec::CallSpec;
use crate::backend::CacheInstance;
use crate::backend::in_process::InProcess;
use crate::codec::Codec;
use crate::error::{Error, ErrorKind, Result};
use crate::keys::versions::Token;
use crate::observe::BackendOp;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::sync::atomic::Ordering;

/// The outcome of a read.
pub(crate) enum Read<T> {
    Hit(T),
    /// A hit past its refresh point: serve it, and recompute; with the current versions.
    Due(T, Vec<Option<Token>>),
    /// The current versions (`None` = absent), in `CallSpec::versions` order.
    Miss(Vec<Option<Token>>),
    /// A miss holding a value past its freshness, still inside its fail-safe window: the
    /// fallback should the computation fail.
    Stale(Stale<T>),
}

/// A value past its freshness, kept for fail-safe.
pub(crate) struct Stale<T> {
    pub value: T,
    pub times: Times,
    /// The current versions, as a miss has them.
    pub snapshot: Vec<Option<Token>>,
}

/// The outcome of a read that must not wait.
pub(crate) enum ReadNow<T> {
    Done(Read<T>),
    /// The backend cannot answer without waiting (or failed): take the async path.
    Unavailable,
}

/// Up to this many keys are gathered on the stack for one `get_many`.
const STACK_KEYS: usize = 8;

/// What a lent read gave.
enum Lent<T> {
    Done(ReadNow<T>),
    /// The store does not lend: ask it for owned bytes, now and on later hits.
    Refused,
    /// Lent, but the entry has value tags (more reads, which the owned path makes), or
    /// the store failed: ask for owned bytes this time.
    NeedsOwned,
}

/// What the synchronous part of validation found.
enum Checked<'a> {
    /// The value, and its logical lifetime (format 2) with its age when checked.
    Valid(&'a [u8], Option<(Times, Age)>),
    /// Valid so far; the value tags of the entry must still be checked.
    NeedsValueTags(EntryView<'a>),
    Invalid,
}

impl FnCache {
    /// Reads without waiting, when the instance can; never clones the instance `Arc`.
    pub(crate) fn read_now<C: Codec, T: DeserializeOwned>(
        &self,
        spec: &CallSpec<'_>,
        stamp: Stamp,
    ) -> ReadNow<T> {
        self.with_instance(|instance, may_lend| {
            let Some(now) = instance.in_process() else {
                return ReadNow::Unavailable;
            };
            if spec.versions.is_empty() {
                if may_lend.load(Ordering::Relaxed) {
                    match self.read_lent::<C, T>(instance, now, spec, stamp) {
                        Lent::Done(done) => return done,
                        Lent::Refused => may_lend.store(false, Ordering::Relaxed),
                        Lent::NeedsOwned => {}
                    }
                }
                return match now.get_now(spec.key) {
                    Ok(None) => ReadNow::Done(Read::Miss(Vec::new())),
                    Ok(Some(entry)) => match self.check(instance, &entry, &[], stamp) {
                        Checked::Valid(value, aged) => {
                            ReadNow::Done(self.decode::<C, T>(value, aged, &[]))
                        }
                        Checked::Invalid => ReadNow::Done(Read::Miss(Vec::new())),
                        Checked::NeedsValueTags(view) => {
                            self.value_tags_now::<C, T>(now, &view, &[])
                        }
                    },
                    Err(_) => ReadNow::Unavailable,
                };
            }
            let mut stack = [""; STACK_KEYS + 1];
            let keys = gather_keys(spec, &mut stack);
            let Ok(values) = now.get_many_now(&keys) else {
                return ReadNow::Unavailable;
            };
            if values.len() != spec.versions.len() + 1 {
                return ReadNow::Unavailable;
            }
            let versions = &values[1..];
            let Some(entry) = &values[0] else {
                return ReadNow::Done(Read::Miss(snapshot(versions)));
            };
            match self.check(instance, entry, versions, stamp) {
                Checked::Valid(value, aged) => {
                    ReadNow::Done(self.decode::<C, T>(value, aged, versions))
                }
                Checked::Invalid => ReadNow::Done(Read::Miss(snapshot(versions))),
                Checked::NeedsValueTags(view) => self.value_tags_now::<C, T>(now, &view, versions),
            }
        })
        .unwrap_or(ReadNow::Unavailable)
    }

    /// A read of one key on the bytes the store lends (see [`InProcess::lend`]).
    fn read_lent<C: Codec, T: DeserializeOwned>(
        &self,
        instance: &dyn CacheInstance,
        now: &dyn InProcess,
        spec: &CallSpec<'_>,
        stamp: Stamp,
    ) -> Lent<T> {
        let mut outcome = None;
        let lent = now.lend(spec.key, &mut |entry| {
            outcome = match entry {
                None => Some(ReadNow::Done(Read::Miss(Vec::new()))),
                Some(entry) => match self.check(instance, entry, &[], stamp) {
                    Checked::Valid(value, aged) => {
                        Some(ReadNow::Done(self.decode::<C, T>(value, aged, &[])))
                    }
                    Checked::Invalid => Some(ReadNow::Done(Read::Miss(Vec::new()))),
                    Checked::NeedsValueTags(_) => None,
                },
            };
        });
        match (lent, outcome) {
            (Ok(true), Some(done)) => Lent::Done(done),
            (Ok(false), _) => Lent::Refused,
            _ => Lent::NeedsOwned,
        }
    }

    /// Checks the value tags of an entry, without waiting.
    fn value_tags_now<C: Codec, T: DeserializeOwned>(
        &self,
        now: &dyn InProcess,
        view: &EntryView<'_>,
        versions: &[Option<Bytes>],
    ) -> ReadNow<T> {
        let keys: Vec<&str> = view.value_tags.iter().map(|(key, _)| *key).collect();
        match now.get_many_now(&keys) {
            Ok(current) if value_tags_match(view, &current) => {
                ReadNow::Done(self.decode::<C, T>(view.value, aged(view.times), versions))
            }
            Ok(_) => ReadNow::Done(Read::Miss(snapshot(versions))),
            Err(_) => ReadNow::Unavailable,
        }
    }

    /// Reads the entry and its versions in one `get_many` (one `get` without tags).
    pub(crate) async fn read<C: Codec, T: DeserializeOwned>(
        &self,
        instance: &dyn CacheInstance,
        spec: &CallSpec<'_>,
        stamp: Stamp,
        refreshing: bool,
    ) -> Result<Read<T>> {
        let watch = self.backend_watch();
        if spec.versions.is_empty() {
            let entry = instance.get(spec.key).await;
            self.observe_backend(BackendOp::Read, watch);
            let entry = entry?;
            return self
                .assess::<C, T>(instance, entry.as_ref().filter(|_| !refreshing), &[], stamp)
                .await;
        }
        let mut stack = [""; STACK_KEYS + 1];
        let keys = gather_keys(spec, &mut stack);
        let values = instance.get_many(&keys).await;
        self.observe_backend(BackendOp::Read, watch);
        let values = values?;
        if values.len() != keys.len() {
            return Err(Error::new(
                ErrorKind::Backend,
                format!(
                    "{} answered {} values for {} keys",
                    instance.name(),
                    values.len(),
                    keys.len()
                ),
            ));
        }
        let entry = values[0].as_ref().filter(|_| !refreshing);
        self.assess::<C, T>(instance, entry, &values[1..], stamp)
            .await
    }

    async fn assess<C: Codec, T: DeserializeOwned>(
        &self,
        instance: &dyn CacheInstance,
        entry: Option<&Bytes>,
        versions: &[Option<Bytes>],
        stamp: Stamp,
    ) -> Result<Read<T>> {
        let Some(entry) = entry else {
            return Ok(Read::Miss(snapshot(versions)));
        };
        match self.check(instance, entry, versions, stamp) {
            Checked::Valid(value, aged) => Ok(self.decode::<C, T>(value, aged, versions)),
            Checked::Invalid => Ok(Read::Miss(snapshot(versions))),
            // Boxed: only functions with tags of their value get here, and inline, the state
            // of this second read would be carried (and copied) by every remote hit.
            Checked::NeedsValueTags(view) => {
                Box::pin(self.assess_value_tags::<C, T>(instance, view, versions)).await
            }
        }
    }

    /// The end of [`assess`](Self::assess) for an entry with value tags: valid only if
    /// they are still current.
    async fn assess_value_tags<C: Codec, T: DeserializeOwned>(
        &self,
        instance: &dyn CacheInstance,
        view: EntryView<'_>,
        versions: &[Option<Bytes>],
    ) -> Result<Read<T>> {
        let keys: Vec<&str> = view.value_tags.iter().map(|(key, _)| *key).collect();
        let current = instance.get_many(&keys).await?;
        if !value_tags_match(&view, &current) {
            return Ok(Read::Miss(snapshot(versions)));
        }
        // Aged again: time passed while the value tags were read.
        Ok(self.decode::<C, T>(view.value, aged(view.times), versions))
    }

    /// Checks a stored entry's stamp and argument-derived versions.
    fn check<'a>(
        &self,
        instance: &dyn CacheInstance,
        entry: &'a [u8],
        versions: &[Option<Bytes>],
        stamp: Stamp,
    ) -> Checked<'a> {
        let view = match entry::decode(entry, stamp) {
            Ok(view) => view,
            Err(rejected) => {
                tracing::debug!(target: "easy_cache", function = self.name(), ?rejected, "stored entry unusable: recomputing");
                return Checked::Invalid;
            }
        };
        let current = view.token_count() == versions.len()
            && versions
                .iter()
                .enumerate()
                .all(|(i, v)| view.token_matches(i, v.as_deref()));
        // Past every use (or stale, for a function without fail-safe): a miss, before
        // any value tag is read.
        let aged = aged(view.times);
        let usable = aged.is_none_or(|(_, age)| match age {
            Age::Fresh | Age::RefreshDue => true,
            Age::Stale => self.resilience(instance).fail_safe.is_some(),
            Age::Dead => false,
        });
        match (current && usable, view.value_tags.is_empty()) {
            (false, _) => Checked::Invalid,
            (true, true) => Checked::Valid(view.value, aged),
            (true, false) => Checked::NeedsValueTags(view),
        }
    }

    /// Decodes a valid entry's value: a hit, a hit due for refresh, or (past freshness) a
    /// fail-safe fallback.
    fn decode<C: Codec, T: DeserializeOwned>(
        &self,
        value: &[u8],
        aged: Option<(Times, Age)>,
        versions: &[Option<Bytes>],
    ) -> Read<T> {
        let value = match C::decode::<T>(value) {
            Ok(value) => value,
            Err(err) => {
                tracing::debug!(target: "easy_cache", function = self.name(), error = %err, "stored value undecodable: recomputing");
                return Read::Miss(snapshot(versions));
            }
        };
        let Some((times, age)) = aged else {
            return Read::Hit(value);
        };
        match age {
            Age::Fresh => Read::Hit(value),
            Age::RefreshDue => Read::Due(value, snapshot(versions)),
            // Checked as usable: a stale value of a fail-safe function.
            Age::Stale => Read::Stale(Stale {
                value,
                times,
                snapshot: snapshot(versions),
            }),
            Age::Dead => Read::Miss(snapshot(versions)),
        }
    }
}

/// An entry's logical lifetime and its age now (one clock read; none for format 1).
fn aged(times: Option<Times>) -> Option<(Times, Age)> {
    times.map(|times| (times, times.age(clock::now_ms())))
}

/// Whether the value tags of an entry still have the versions it was stored with.
fn value_tags_match(view: &EntryView<'_>, current: &[Option<Bytes>]) -> bool {
    current.len() == view.value_tags.len()
        && view
            .value_tags
            .iter()
            .zip(current)
            .all(|((_, token), now)| now.as_deref() == Some(&token.0[..]))
}

/// The current version tokens of a read (`None` where absent or malformed).
pub(crate) fn snapshot(versions: &[Option<Bytes>]) -> Vec<Option<Token>> {
    versions
        .iter()
        .map(|v| v.as_deref().and_then(Token::from_stored))
        .collect()
}

/// `[key, versions...]`, on the stack when they are few.
fn gather_keys<'a>(
    spec: &CallSpec<'a>,
    stack: &'a mut [&'a str; STACK_KEYS + 1],
) -> Cow<'a, [&'a str]> {
    let count = spec.versions.len() + 1;
    if count <= stack.len() {
        stack[0] = spec.key;
        stack[1..count].copy_from_slice(spec.versions);
        Cow::Borrowed(&stack[..count])
    } else {
        Cow::Owned(
            std::iter::once(spec.key)
                .chain(spec.versions.iter().copied())
                .collect(),
        )
    }
}
