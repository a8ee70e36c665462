//! One call of a cached sync function: the async call's steps (`call.rs`), driven on the
//! calling thread (see `blocking`).

use super::FnCache;
use super::background::Background;
use super::blocking::block_on;
use super::near::probe::NearOps;
use super::spec::{CallSpec, ValueTags};
use crate::codec::Codec;
use crate::policy::ReturnPolicy;
use std::ops::ControlFlow;
use tracing::Instrument;

impl FnCache {
    /// Runs one call of a sync function, as [`call`](Self::call) does for an async one:
    /// the cached value when it is valid, else `compute`'s result, stored as the policy `P`
    /// allows. `compute` runs on the calling thread.
    ///
    /// Works with no runtime, inside a current-thread runtime and on a runtime's worker:
    /// an in-process store is read and written right here (a hit takes no executor at
    /// all), a network backend's operations run on a background runtime. Never fails
    /// because of the cache, and waits for another thread computing the same key at most
    /// [`single_flight_wait`](Self::single_flight_wait). `near`: as for `call`.
    pub fn call_blocking<C, P, R>(
        &'static self,
        spec: CallSpec<'_>,
        value_tags: Option<ValueTags<'_, P::Value>>,
        near: Option<NearOps<P::Value>>,
        compute: impl FnOnce() -> R,
    ) -> R
    where
        C: Codec,
        P: ReturnPolicy<R>,
    {
        let begun = match self.begin::<C, P::Value>(&spec, value_tags.is_some(), near) {
            ControlFlow::Break(value) => return P::from_value(value),
            ControlFlow::Continue(begun) => begun,
        };
        let Some(instance) = self.instance() else {
            self.observe_unresolved();
            return compute();
        };
        let instance = Background::driven_here(instance);
        let call = self.call_on::<C, P, R, _>(
            Some(instance),
            spec,
            begun,
            value_tags,
            async move { compute() },
            None,
        );
        block_on(call.instrument(self.call_span()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CacheInstance;
    use crate::backend::timeout::Timeout;
    use crate::codec::DefaultCodec;
    use crate::engine::CacheTarget;
    use crate::policy::AnyValue;
    use crate::testing::{DownCache, MapCache, NoAliases};
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Barrier};
    use std::time::{Duration, Instant};

    fn map() -> Arc<dyn CacheInstance> {
        Arc::new(MapCache::default())
    }

    fn down() -> Arc<dyn CacheInstance> {
        Arc::new(DownCache)
    }

    fn spec(key: &str) -> CallSpec<'_> {
        CallSpec {
            key,
            versions: &[],
            timeout: Timeout::Never,
            stamp: 3,
            local: None,
        }
    }

    #[test]
    fn a_network_like_store_is_reached_through_the_background_runtime() {
        static DOUBLE: FnCache = FnCache::new(
            "t::double",
            "double",
            CacheTarget::Instance(map),
            &NoAliases,
            true,
        );
        static RUNS: AtomicU32 = AtomicU32::new(0);
        let double = |n: u64| {
            let key = format!("double:{n}");
            DOUBLE.call_blocking::<DefaultCodec, AnyValue, u64>(spec(&key), None, None, || {
                RUNS.fetch_add(1, Ordering::SeqCst);
                n * 2
            })
        };
        assert_eq!(double(4), 8);
        assert_eq!(double(4), 8);
        assert_eq!(RUNS.load(Ordering::SeqCst), 1, "the second call was a hit");
    }

    #[test]
    fn a_failing_backend_runs_the_function() {
        static FAILING: FnCache = FnCache::new(
            "t::failing",
            "failing",
            CacheTarget::Instance(down),
            &NoAliases,
            true,
        );
        let got = FAILING.call_blocking::<DefaultCodec, AnyValue, u64>(spec("f"), None, None, || 5);
        assert_eq!(got, 5);
    }

    #[test]
    fn a_waiter_stops_waiting_at_the_bound() {
        static SLOW: FnCache = FnCache::new(
            "t::slow",
            "slow",
            CacheTarget::Instance(map),
            &NoAliases,
            true,
        )
        .with_single_flight_wait(Duration::from_millis(100));
        let started = Arc::new(Barrier::new(2));
        let leader = {
            let started = Arc::clone(&started);
            std::thread::spawn(move || {
                SLOW.call_blocking::<DefaultCodec, AnyValue, u64>(spec("slow"), None, None, || {
                    started.wait();
                    std::thread::sleep(Duration::from_secs(2));
                    1
                })
            })
        };
        started.wait();
        let waited = Instant::now();
        let got = SLOW.call_blocking::<DefaultCodec, AnyValue, u64>(spec("slow"), None, None, || 2);
        assert_eq!(got, 2, "computed on its own after the wait");
        let waited = waited.elapsed();
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_millis(1500),
            "{waited:?}"
        );
        assert_eq!(leader.join().unwrap(), 1);
    }
}
