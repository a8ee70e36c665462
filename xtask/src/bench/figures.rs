//! What a bench run measured, read back from criterion's estimates and the examples'
//! JSON files: the input of the report's lines (`rows.rs`) and of the report itself
//! (`report.rs`). Nothing here makes up a figure: a figure not found is absent.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The criterion groups the report reads (also cleared before a run).
pub const GROUPS: [&str; 13] = [
    "memory_hit",
    "memory_hit_metrics",
    "memory_hit_2_threads",
    "memory_hit_sync",
    "memory_hit_refresh",
    "invalidate_tag",
    "cold_key_1000_callers",
    "redis_hit_c1",
    "redis_hit_c64",
    "redis_near_hit",
    "memcached_hit",
    "sled_hit",
    "redb_hit",
];

/// The extra files the examples and benches write (`<name>.json`).
const EXTRA_FILES: [&str; 8] = [
    "instructions",
    "allocations",
    "round_trips",
    "resident_ours",
    "resident_ecached",
    "resident_moka",
    "stampede",
    "near_invalidation",
];

/// Every figure of one run.
#[derive(Debug, Default)]
pub struct Figures {
    /// Time per iteration in nanoseconds, by `group/bench` (see [`estimate_ns`]).
    pub times: BTreeMap<String, f64>,
    /// The extra JSON files, by name.
    pub extra: BTreeMap<String, Value>,
}

impl Figures {
    /// Reads `<criterion>/<group>/<bench>/new/estimates.json` for every group of [`GROUPS`]
    /// and the files of `extra`.
    pub fn load(criterion: &Path, extra: &Path) -> Self {
        let mut figures = Figures::default();
        for group in GROUPS {
            let Ok(benches) = std::fs::read_dir(criterion.join(group)) else {
                continue;
            };
            for bench in benches.flatten() {
                let estimates = bench.path().join("new").join("estimates.json");
                let Some(estimate) = read_json(&estimates).as_ref().and_then(estimate_ns) else {
                    continue;
                };
                let name = bench.file_name().to_string_lossy().into_owned();
                figures.times.insert(format!("{group}/{name}"), estimate);
            }
        }
        for name in EXTRA_FILES {
            if let Some(value) = read_json(&extra.join(format!("{name}.json"))) {
                figures.extra.insert(name.to_owned(), value);
            }
        }
        figures
    }

    /// The time per iteration of `group/bench`, in nanoseconds.
    pub fn time(&self, id: &str) -> Option<f64> {
        self.times.get(id).copied()
    }

    /// A number in an extra file, by a `/`-separated path (`round_trips/redis/...`).
    pub fn number(&self, path: &str) -> Option<f64> {
        self.value(path)?.as_f64()
    }

    /// A value in an extra file, by a `/`-separated path.
    pub fn value(&self, path: &str) -> Option<&Value> {
        let mut parts = path.split('/');
        let mut value = self.extra.get(parts.next()?)?;
        for part in parts {
            value = match value {
                Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => value.get(part)?,
            };
        }
        Some(value)
    }
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// The time per iteration of a criterion `estimates.json`: the slope of its linear
/// sampling (the figure criterion prints, which a fixed cost per sample does not bias),
/// or the mean where it sampled flat.
fn estimate_ns(estimates: &Value) -> Option<f64> {
    ["slope", "mean"]
        .iter()
        .find_map(|name| estimates.get(name)?.get("point_estimate")?.as_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_sampling_falls_back_to_the_mean() {
        let flat = json!({"mean": {"point_estimate": 21.5e6}, "slope": null});
        assert_eq!(estimate_ns(&flat), Some(21.5e6));
        assert_eq!(estimate_ns(&json!({})), None);
    }

    #[test]
    fn reads_criterion_estimates_and_extra_files() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-{}", std::process::id()));
        let bench = dir.join("criterion/sled_hit/ecached/new");
        std::fs::create_dir_all(&bench).unwrap();
        let estimates = json!({
            "mean": {"point_estimate": 300.0},
            "median": {"point_estimate": 290.5},
            "slope": {"point_estimate": 295.5},
        });
        std::fs::write(bench.join("estimates.json"), estimates.to_string()).unwrap();
        std::fs::create_dir_all(dir.join("extra")).unwrap();
        let trips = json!({"redis": {"tagged_hit": {"reads_per_call": 1.0}}, "list": [3, 4]});
        std::fs::write(dir.join("extra/round_trips.json"), trips.to_string()).unwrap();

        let figures = Figures::load(&dir.join("criterion"), &dir.join("extra"));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(figures.time("sled_hit/ecached"), Some(295.5));
        assert_eq!(figures.time("sled_hit/raw_get"), None);
        assert_eq!(
            figures.number("round_trips/redis/tagged_hit/reads_per_call"),
            Some(1.0)
        );
        assert_eq!(figures.number("round_trips/list/1"), Some(4.0));
        assert_eq!(figures.number("allocations/memory_ecached"), None);
    }
}
