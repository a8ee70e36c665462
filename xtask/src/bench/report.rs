//! What a bench run measured, read back from criterion's estimates and the examples'
//! JSON files, and the markdown report made of it. Nothing here makes up a figure: a row
//! whose measurement is missing says so.

use super::rows::{self, Row, Verdict};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The criterion groups the report reads (also cleared before a run).
pub const GROUPS: [&str; 8] = [
    "memory_hit",
    "memory_hit_2_threads",
    "invalidate_tag",
    "cold_key_1000_callers",
    "redis_hit_c1",
    "redis_hit_c64",
    "memcached_hit",
    "sled_hit",
];

/// The extra files the examples and benches write (`<name>.json`).
const EXTRA_FILES: [&str; 6] = [
    "instructions",
    "allocations",
    "round_trips",
    "resident_ours",
    "resident_moka",
    "stampede",
];

/// How the run went, for the report's header.
#[derive(Debug, Clone)]
pub struct Context {
    /// `--quick`.
    pub quick: bool,
    /// Where the servers ran.
    pub servers: String,
    /// Seconds spent building.
    pub build_secs: u64,
    /// Seconds spent measuring.
    pub measure_secs: u64,
}

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

/// The report: header, the targets' table, allocations, and the failed steps if any.
pub fn render(context: &Context, figures: &Figures, failures: &[String]) -> String {
    let mut out = String::new();
    out.push_str("# easy-cache benchmark report\n\n");
    out.push_str(&format!(
        "{} run of `cargo xtask bench{}`, {}; {}; servers: {}; build {} s, measurements {} s.\n\n",
        if context.quick { "Quick" } else { "Full" },
        if context.quick { " --quick" } else { "" },
        utc_now(),
        machine(),
        context.servers,
        context.build_secs,
        context.measure_secs,
    ));
    out.push_str(
        "Times are criterion's estimates per call (the slope of its linear sampling, the \
         figure it prints); every baseline ran in the same process as ours, just before or \
         after it. A ratio is ours / baseline: of times and memory \
         (lower is better), or of throughputs where the target is one (higher is better).\n\n",
    );
    out.push_str("| # | what | ours | baseline (same run) | ratio | target | verdict |\n");
    out.push_str("|---|------|------|---------------------|-------|--------|---------|\n");
    let rows = rows::all(figures);
    for row in &rows {
        out.push_str(&row.markdown());
    }
    let missed: Vec<&Row> = rows.iter().filter(|r| r.verdict != Verdict::Met).collect();
    out.push_str(&format!(
        "\n{} of {} lines met; not met or not measured: {}.\n",
        rows.len() - missed.len(),
        rows.len(),
        if missed.is_empty() {
            "none".to_owned()
        } else {
            missed
                .iter()
                .map(|r| r.number.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }
    ));
    out.push_str("\n## Instructions per call (callgrind)\n\n");
    out.push_str(
        "Counted, not timed: these ratios do not move with the machine's load, and back the \
         timed ratios of the in-process rows up.\n\n",
    );
    out.push_str(&rows::instructions(figures));
    out.push_str("\n## Allocations per call (dhat)\n\n");
    out.push_str(&rows::allocations(figures));
    if !failures.is_empty() {
        out.push_str("\n## Failed steps\n\n");
        for failure in failures {
            out.push_str(&format!("- {failure}\n"));
        }
    }
    out
}

/// The machine: cores, CPU model, load average, kernel.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned());
    format!("{cores} cores ({model}), load average at the end {load}")
}

/// The current UTC date and time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// `secs` since the Unix epoch as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let (hour, minute) = ((secs % 86_400) / 3600, (secs % 3600) / 60);
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02} UTC")
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
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_764_072_000 + 3_723), "2025-11-25 13:02 UTC");
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

    #[test]
    fn an_empty_run_reports_every_line_as_not_measured() {
        let context = Context {
            quick: true,
            servers: "none".into(),
            build_secs: 1,
            measure_secs: 2,
        };
        let text = render(&context, &Figures::default(), &["build failed".into()]);
        assert!(text.contains("| 1 |"));
        assert!(text.contains("| 10 |"));
        assert!(!text.contains("| met |"), "nothing measured, nothing met");
        assert!(text.contains("not measured"));
        assert!(text.contains("- build failed"));
    }
}
