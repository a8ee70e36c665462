//! The markdown report of a bench run: its header (the run's [`Context`]), the lines of
//! `rows.rs`, and the failed steps. A line whose measurement is missing says so.

use super::figures::Figures;
use super::rows::{self, Row, Verdict};
use std::fmt;

/// How the run went, for the report's header.
#[derive(Debug, Clone)]
pub struct Context {
    /// `--quick`.
    pub quick: bool,
    /// When it ran, `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// The machine it ran on.
    pub machine: Machine,
    /// `/proc/loadavg`'s three averages when the run started, before building.
    pub load_before: String,
    /// The same when it ended.
    pub load_after: String,
    /// Where the servers ran.
    pub servers: String,
    /// Seconds spent building.
    pub build_secs: u64,
    /// Seconds spent measuring.
    pub measure_secs: u64,
}

/// The report: header, the targets' table (`rows`, computed from `figures`),
/// instructions, allocations, and the failed steps if any.
pub fn render(context: &Context, rows: &[Row], figures: &Figures, failures: &[String]) -> String {
    let mut out = String::new();
    out.push_str("# easy-cache benchmark report\n\n");
    out.push_str(&format!(
        "{} run of `cargo xtask bench{}`, {}; servers: {}; build {} s, measurements {} s.\n\n",
        if context.quick { "Quick" } else { "Full" },
        if context.quick { " --quick" } else { "" },
        context.date,
        context.servers,
        context.build_secs,
        context.measure_secs,
    ));
    out.push_str(&format!(
        "Machine: {}. Load average (1, 5, 15 min): {} at the start, before building; {} at \
         the end.\n\n",
        context.machine, context.load_before, context.load_after,
    ));
    out.push_str(
        "Times are criterion's estimates per call (the slope of its linear sampling, the \
         figure it prints); every baseline ran in the same process as ours, just before or \
         after it. A ratio is ours / baseline: of times and memory \
         (lower is better), or of throughputs where the target is one (higher is better).\n\n",
    );
    out.push_str("| line | what | ours | baseline (same run) | ratio | target | verdict |\n");
    out.push_str("|------|------|------|---------------------|-------|--------|---------|\n");
    for row in rows {
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
                .map(|r| format!("`{}`", r.id))
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
            out.push_str(&format!("- {}\n", one_line(failure)));
        }
    }
    out
}

/// A failed step's message on one line, without code fences: the report is also a doc
/// page, whose code blocks would be compiled as doctests (an indented continuation line or
/// a fence in a tool's error output would open one).
fn one_line(message: &str) -> String {
    message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace("```", "` ` `")
        .replace("~~~", "~ ~ ~")
}

/// The machine a run measured on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Logical cores this process may use.
    pub cores: usize,
    /// `MemTotal` of `/proc/meminfo`, in KiB.
    pub memory_kib: Option<u64>,
    /// The first `model name` of `/proc/cpuinfo`.
    pub cpu: Option<String>,
}

impl Machine {
    /// This machine, read from `/proc`.
    pub fn current() -> Self {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        Machine {
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_kib: mem_total_kib(&read("/proc/meminfo")),
            cpu: cpu_model(&read("/proc/cpuinfo")),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cores ({})",
            self.cores,
            self.cpu.as_deref().unwrap_or("unknown CPU")
        )?;
        match self.memory_kib {
            Some(kib) => write!(f, ", {:.1} GiB memory", kib as f64 / 1024.0 / 1024.0),
            None => write!(f, ", unknown memory"),
        }
    }
}

/// The first `model name` of a `/proc/cpuinfo`.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
        .filter(|model| !model.is_empty())
}

/// `MemTotal` of a `/proc/meminfo`, in KiB.
fn mem_total_kib(meminfo: &str) -> Option<u64> {
    meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The three load averages of `/proc/loadavg` now, or `?` where there are none.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "?".to_owned())
}

/// The current UTC date and time as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_now() -> String {
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
pub(super) mod tests {
    use super::*;

    /// A run's context with a fixed date, machine and load.
    pub(crate) fn context(quick: bool) -> Context {
        Context {
            quick,
            date: "2026-12-04 09:30 UTC".into(),
            machine: Machine {
                cores: 2,
                memory_kib: Some(8_152_000),
                cpu: Some("AMD EPYC 7B13".into()),
            },
            load_before: "0.10 0.20 0.30".into(),
            load_after: "1.90 1.50 0.80".into(),
            servers: "containers".into(),
            build_secs: 1,
            measure_secs: 2,
        }
    }

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_764_072_000 + 3_723), "2025-11-25 13:02 UTC");
    }

    #[test]
    fn an_empty_run_reports_every_line_as_not_measured() {
        let figures = Figures::default();
        let text = render(
            &context(true),
            &rows::all(&figures),
            &figures,
            &["build failed".into()],
        );
        assert!(text.contains("| `memory_hit_vs_hand_written` |"));
        assert!(text.contains("| `resident_memory_1m_entries` |"));
        assert!(!text.contains("| met |"), "nothing measured, nothing met");
        assert!(text.contains("not measured"));
        assert!(text.contains("- build failed"));
    }

    #[test]
    fn the_header_gives_the_date_the_machine_and_the_load_before_and_after() {
        let figures = Figures::default();
        let text = render(&context(false), &rows::all(&figures), &figures, &[]);
        assert!(text.contains("Full run of `cargo xtask bench`, 2026-12-04 09:30 UTC;"));
        assert!(text.contains("Machine: 2 cores (AMD EPYC 7B13), 7.8 GiB memory."));
        assert!(text.contains("0.10 0.20 0.30 at the start"), "{text}");
        assert!(text.contains("1.90 1.50 0.80 at the end"), "{text}");
    }

    #[test]
    fn reads_the_machine_from_proc_files() {
        let cpuinfo = "processor\t: 0\nmodel name\t: AMD EPYC 7B13 64-Core Processor\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("AMD EPYC 7B13 64-Core Processor")
        );
        assert_eq!(cpu_model("processor : 0\n"), None);
        let meminfo = "MemTotal:        8152000 kB\nMemFree:  100 kB\n";
        assert_eq!(mem_total_kib(meminfo), Some(8_152_000));
        assert_eq!(mem_total_kib(""), None);
    }

    #[test]
    fn a_failed_step_cannot_open_a_code_block() {
        let figures = Figures::default();
        let failure = "cargo failed:\n    let x = 1;\n```rust\nfn main() {}\n```";
        let text = render(
            &context(false),
            &rows::all(&figures),
            &figures,
            &[failure.into()],
        );
        assert!(!text.contains("```"), "{text}");
        assert!(!text.lines().any(|l| l.starts_with("    ")), "{text}");
    }
}
