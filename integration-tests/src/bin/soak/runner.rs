//! One soak run: register the backends, start the load, print every interval, restart the
//! servers midway, stop the load and sum up.

use super::memory::{self, Sample, mib};
use super::restart::{self, Restartable, Restarted};
use super::stats::{Snapshot, Stats};
use super::summary::{self, Summary};
use super::workload::{self, Load, STALL_LIMIT};
use super::{Config, Target, errors};
use easy_cache::caches;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Runs the load of `config` on `targets` and returns what it measured; fails only when it
/// cannot start (a bad URL, another global tracing subscriber). Prints a line per backend
/// and interval on stdout.
pub async fn run(config: &Config, targets: &[Target<'_>]) -> Result<Summary, String> {
    errors::install()?;
    for target in targets {
        let instance =
            caches::from_url(&target.url).map_err(|e| format!("{}: {e}", target.backend))?;
        caches::insert(target.backend.alias(), instance);
    }
    // A fresh namespace: entries of an earlier run on the same servers are never read.
    let ns: Arc<str> = Arc::from(format!("soak{:016x}", fastrand::u64(..)));
    let stop = Arc::new(AtomicBool::new(false));
    let stats: Vec<Arc<Stats>> = targets
        .iter()
        .map(|t| Arc::new(Stats::new(t.backend)))
        .collect();
    let mut tasks = JoinSet::new();
    for s in &stats {
        let load = Load {
            backend: s.backend(),
            ns: Arc::clone(&ns),
            stats: Arc::clone(s),
            stop: Arc::clone(&stop),
        };
        for _ in 0..config.readers {
            tasks.spawn(workload::reader(load.clone()));
        }
        tasks.spawn(workload::writer(load.clone()));
        tasks.spawn(workload::refresher(load));
    }
    let origin = Instant::now();
    let restartable: Vec<Restartable<'_>> = targets
        .iter()
        .filter_map(|t| {
            Some(Restartable {
                backend: t.backend,
                server: t.restart?,
            })
        })
        .collect();
    let (monitored, (restarts, outage)) = tokio::join!(
        monitor(config, &stats, origin),
        midway(config, &stats, &restartable, origin)
    );
    stop.store(true, Ordering::SeqCst);
    let elapsed = origin.elapsed();
    let task_failures = drain(tasks).await;
    let warm_at = config.duration / 3;
    Ok(Summary {
        elapsed,
        readers: config.readers,
        targets: targets
            .iter()
            .map(|t| (t.backend, t.description.clone()))
            .collect(),
        totals: stats.iter().map(|s| s.snapshot()).collect(),
        last_interval: monitored.last_interval,
        examples: stats
            .iter()
            .map(|s| (s.backend(), s.examples()))
            .filter(|(_, examples)| !examples.is_empty())
            .collect(),
        restarts,
        outage,
        growth: memory::growth(&monitored.memory, warm_at),
        memory: monitored.memory,
        warm_at,
        task_failures,
    })
}

/// What the monitor saw.
struct Monitored {
    memory: Vec<Sample>,
    last_interval: Vec<Snapshot>,
}

/// Prints every backend's counts and the resident memory each interval, until the end.
async fn monitor(config: &Config, stats: &[Arc<Stats>], origin: Instant) -> Monitored {
    let mut previous: Vec<Snapshot> = stats.iter().map(|s| s.snapshot()).collect();
    let mut previous_at = Duration::ZERO;
    let mut monitored = Monitored {
        memory: Vec::new(),
        last_interval: Vec::new(),
    };
    for tick in 1u32.. {
        let at = (config.interval * tick).min(config.duration);
        tokio::time::sleep_until((origin + at).into()).await;
        let now: Vec<Snapshot> = stats.iter().map(|s| s.snapshot()).collect();
        let stamp = format!("[{:>5.1} s]", at.as_secs_f64());
        monitored.last_interval = stats
            .iter()
            .zip(now.iter().zip(&previous))
            .map(|(s, (now, before))| {
                let mut interval = now.since(before);
                interval.max_micros = s.take_window_max();
                println!("{stamp}{}", summary::line(&interval, at - previous_at));
                interval
            })
            .collect();
        if let Some(rss_kib) = memory::rss_kib() {
            println!("{stamp}    rss {}", mib(rss_kib));
            monitored.memory.push(Sample { at, rss_kib });
        }
        previous = now;
        previous_at = at;
        if at >= config.duration {
            break;
        }
    }
    monitored
}

/// Halfway through, restarts the servers that may be restarted; returns what happened and
/// the counts per backend from just before the first stop to just after the last start.
async fn midway(
    config: &Config,
    stats: &[Arc<Stats>],
    servers: &[Restartable<'_>],
    origin: Instant,
) -> (Vec<Restarted>, Vec<Snapshot>) {
    if servers.is_empty() {
        return (Vec::new(), Vec::new());
    }
    tokio::time::sleep_until((origin + config.duration / 2).into()).await;
    let before: Vec<Snapshot> = stats.iter().map(|s| s.snapshot()).collect();
    let restarts = restart::bounce(servers, config.outage, origin).await;
    let outage = stats
        .iter()
        .zip(&before)
        .map(|(s, before)| {
            let mut during = s.snapshot().since(before);
            // The exact maximum belongs to the interval lines; the buckets bound it here.
            during.max_micros = during.latency.max_bound();
            during
        })
        .collect();
    (restarts, outage)
}

/// Waits for the load tasks to notice the stop; reports those that panicked or hang.
async fn drain(mut tasks: JoinSet<()>) -> Vec<String> {
    let mut failures = Vec::new();
    let limit = STALL_LIMIT + Duration::from_secs(5);
    let joined = tokio::time::timeout(limit, async {
        while let Some(joined) = tasks.join_next().await {
            if let Err(e) = joined {
                failures.push(format!("a load task failed: {e}"));
            }
        }
    })
    .await;
    if joined.is_err() {
        failures.push(format!(
            "{} load tasks did not stop within {limit:?}",
            tasks.len()
        ));
        tasks.abort_all();
    }
    failures
}
