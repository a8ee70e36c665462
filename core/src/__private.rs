//! What only generated code (and the workspace's own crates) names; not a stable API.
//!
//! `#[ecached]` expands to a `FnCache` static, a `CallSpec` per call and a `CacheHandle`
//! built from `ArgsN` builders; the registry implements `InstanceLookup`.

pub use crate::alias_lookup::InstanceLookup;
pub use crate::engine::detach::{
    IntoSpawner, NoSpawner, SpawnProbe, Spawner, ViaNoSpawn, ViaSpawn,
};
pub use crate::engine::hard_timeout::{
    TimedOut, TimedOutProbe, ViaNoTimedOut, ViaTimedOut, default_hard_timeout, hard_timeout,
};
pub use crate::engine::near::local::{LocalKey, LocalLookup, all_changed as aliases_changed};
pub use crate::engine::near::local_key::{LocalPart, LocalParts, PathPart};
pub use crate::engine::near::probe::{
    LocalProbe, LocalViaNothing, LocalViaParts, NearOps, NearProbe, NearViaClone, NearViaNothing,
};
pub use crate::engine::resilience::{Jitter, RefreshAhead, ResilienceOption};
pub use crate::engine::shared_instance::{IntoInstance, shared_instance};
pub use crate::engine::spec::{CallSpec, ValueTags};
pub use crate::engine::{CacheTarget, FnCache};
pub use crate::handle::CacheHandle;
pub use crate::handle::arity::{
    Args0, Args1, Args2, Args3, Args4, Args5, Args6, Args7, Args8, Args9, Args10, Args11, Args12,
    MAX_ARITY, NoPrefix, NoTags,
};
pub use crate::keys::key::{KeyDisplay, KeyWriter, ViaDisplay, ViaKeyPart};
pub use crate::keys::pooled::{PooledKey, VersionKey, VersionKeyBuf};
pub use crate::meta::MetaArg;
pub use crate::option_fns::{
    Source, ValueTagsSource, ViaArgs, ViaMeta, ViaValue, produce_key, produce_tags,
    produce_timeout, produce_value_tags,
};
pub use crate::policy::{AnyValue, OkOnly, ReturnPolicy, SomeOnly};
pub use serde;
pub use std::any::Any;
pub use std::borrow::Cow;
