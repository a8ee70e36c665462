//! The outcome of a run and its one renderer: the verdict, the summary as text for the
//! terminal and as markdown for the docs (`target/soak-report.md`), and the line printed
//! per interval.

use super::db::WrongValue;
use super::functions::Backend;
use super::memory::{self, Growth, Sample, mib};
use super::restart::Restarted;
use super::stats::Snapshot;
use super::workload::describe;
use std::fmt::Write;
use std::time::Duration;

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Summary {
    /// How long the load ran.
    pub elapsed: Duration,
    /// Reader tasks per backend (plus one writer and one refresher each).
    pub readers: usize,
    /// The backends and where they ran.
    pub targets: Vec<(Backend, String)>,
    /// Totals per backend.
    pub totals: Vec<Snapshot>,
    /// The last interval per backend (after the restart: caching must have resumed).
    pub last_interval: Vec<Snapshot>,
    /// The first wrong values per backend.
    pub examples: Vec<(Backend, Vec<WrongValue>)>,
    /// The restart, if the run made one.
    pub restarts: Vec<Restarted>,
    /// Counts per backend from just before the first stop to just after the last start.
    pub outage: Vec<Snapshot>,
    /// Resident memory at each interval.
    pub memory: Vec<Sample>,
    /// From when the working set counts as warm.
    pub warm_at: Duration,
    /// Memory at `warm_at` against the end.
    pub growth: Option<Growth>,
    /// Tasks that panicked or did not stop.
    pub task_failures: Vec<String>,
}

impl Summary {
    /// Wrong values over every backend (must be 0; the program reports them through
    /// [`Summary::failures`]).
    #[cfg(test)]
    pub fn wrong(&self) -> u64 {
        self.totals.iter().map(|s| s.wrong).sum()
    }

    /// Why the run failed; empty when it passed.
    pub fn failures(&self) -> Vec<String> {
        let mut failures = self.task_failures.clone();
        for total in &self.totals {
            if total.wrong > 0 {
                failures.push(format!("{}: {} wrong values", total.backend, total.wrong));
            }
            if total.stalls > 0 {
                let limit = super::workload::STALL_LIMIT;
                let n = total.stalls;
                failures.push(format!("{}: {n} calls took over {limit:?}", total.backend));
            }
        }
        if let Some(growth) = self.growth.filter(Growth::grew) {
            failures.push(format!(
                "memory grew by {} after warm-up (allowed {})",
                mib(growth.delta_kib().unsigned_abs()),
                mib(growth.allowed_kib)
            ));
        }
        for restart in &self.restarts {
            if let Some(error) = &restart.error {
                failures.push(format!("restart of {}: {error}", restart.backend));
            }
        }
        if !self.restarts.is_empty() {
            for last in &self.last_interval {
                if last.hits() == 0 || last.errors > 0 {
                    failures.push(format!(
                        "{} did not recover after the restart: last interval {} hits, {} errors",
                        last.backend,
                        last.hits(),
                        last.errors
                    ));
                }
            }
        }
        failures
    }

    /// True when nothing failed.
    pub fn passed(&self) -> bool {
        self.failures().is_empty()
    }

    /// The summary for the terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let elapsed = self.elapsed.as_secs_f64();
        let _ = writeln!(out, "==> soak summary: {elapsed:.0} s of load");
        for (backend, place) in &self.targets {
            let _ = writeln!(out, "    {backend}: {place}");
        }
        let _ = writeln!(
            out,
            "    tasks per backend: {} readers, 1 writer, 1 refresher",
            self.readers
        );
        for total in &self.totals {
            let _ = writeln!(out, "{}", line(total, self.elapsed));
        }
        for restart in &self.restarts {
            let _ = writeln!(out, "{}", restart_text(restart));
        }
        for during in &self.outage {
            let _ = writeln!(out, "    during the outage, {}", outage_text(during));
        }
        for (backend, examples) in &self.examples {
            for example in examples {
                let _ = writeln!(out, "    WRONG {backend}: {}", describe(example));
            }
        }
        let series: Vec<String> = self
            .memory
            .iter()
            .map(|s| format!("{} {}", secs(s.at), mib(s.rss_kib)))
            .collect();
        let _ = writeln!(out, "    memory (RSS): {}", series.join(", "));
        let _ = writeln!(out, "    memory check: {}", self.growth_text());
        let failures = self.failures();
        if failures.is_empty() {
            let _ = writeln!(out, "==> soak: PASS (0 wrong values, memory steady)");
        } else {
            let _ = writeln!(out, "==> soak: FAIL");
            for failure in failures {
                let _ = writeln!(out, "    - {failure}");
            }
        }
        out
    }

    /// The summary as markdown, for the docs to quote.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let elapsed = self.elapsed.as_secs_f64();
        let _ = writeln!(out, "# Soak run\n");
        let places: Vec<String> = self
            .targets
            .iter()
            .map(|(b, place)| format!("{b} ({place})"))
            .collect();
        let _ = writeln!(
            out,
            "{elapsed:.0} s of mixed load on {}; per backend {} readers, 1 writer (invalidations by \
             key, tag and prefix), 1 refresher.\n",
            places.join(" and "),
            self.readers
        );
        let headings: Vec<&str> = COLUMNS.iter().map(|c| c.heading).collect();
        let _ = writeln!(out, "| {} |", headings.join(" | "));
        let align: String = COLUMNS
            .iter()
            .map(|c| if c.right { "---:|" } else { "---|" })
            .collect();
        let _ = writeln!(out, "|{align}");
        for total in &self.totals {
            let _ = writeln!(out, "| {} |", cells(total, self.elapsed).join(" | "));
        }
        if !self.restarts.is_empty() {
            let _ = writeln!(out, "\nRestart in the middle of the run:\n");
            for restart in &self.restarts {
                let _ = writeln!(out, "- {}", restart_text(restart).trim_start());
            }
            for during in &self.outage {
                let _ = writeln!(out, "- during the outage, {}", outage_text(during));
            }
        }
        let _ = writeln!(out, "\nResident memory (VmRSS):\n");
        let _ = writeln!(out, "| time | RSS |\n|---:|---:|");
        for s in &self.memory {
            let _ = writeln!(out, "| {} | {} |", secs(s.at), mib(s.rss_kib));
        }
        let _ = writeln!(out, "\nMemory check: {}.\n", self.growth_text());
        let failures = self.failures();
        if failures.is_empty() {
            let _ = writeln!(out, "Result: **pass** (0 wrong values, memory steady).");
        } else {
            let _ = writeln!(out, "Result: **fail**: {}.", failures.join("; "));
        }
        out
    }

    fn growth_text(&self) -> String {
        match &self.growth {
            None => format!(
                "not measured (no RSS sample after {:.0} s before the end)",
                self.warm_at.as_secs_f64()
            ),
            Some(g) => format!(
                "{} {} -> {} {} ({:+.1} MiB; allowed +{}: {} % of the warm size, at least {}): \
                 {}",
                secs(g.warm.at),
                mib(g.warm.rss_kib),
                secs(g.end.at),
                mib(g.end.rss_kib),
                g.delta_kib() as f64 / 1024.0,
                mib(g.allowed_kib),
                memory::TOLERANCE_PERCENT,
                mib(memory::TOLERANCE_FLOOR_KIB),
                if g.grew() { "GREW" } else { "steady" }
            ),
        }
    }
}

/// One backend's counts during the restart's outage, for both renderings.
fn outage_text(during: &Snapshot) -> String {
    format!(
        "{}: {} calls, {} errors, {} warnings logged, {} wrong values, latency p99 {}, max {} \
         (within 12.5 %)",
        during.backend,
        during.calls,
        during.errors,
        during.warnings,
        during.wrong,
        ms(during.p99()),
        ms(during.max_micros)
    )
}

/// A column of the per-backend figures, shared by both renderings: its markdown heading,
/// its label on the terminal (none for the backend's name), its width there, and whether
/// markdown right-aligns it.
struct Column {
    heading: &'static str,
    label: &'static str,
    width: usize,
    right: bool,
}

const fn column(heading: &'static str, label: &'static str, width: usize, right: bool) -> Column {
    Column {
        heading,
        label,
        width,
        right,
    }
}

/// The per-backend figures, in the order of [`cells`].
const COLUMNS: [Column; 13] = [
    column("backend", "", 9, false),
    column("calls", "calls", 8, true),
    column("calls/s", "calls/s", 6, true),
    column("hits", "hits", 15, true),
    column("misses", "misses", 6, true),
    column("errors", "errors", 5, true),
    column("warnings", "warnings", 4, true),
    column("wrong values", "wrong", 0, true),
    column("p50", "p50", 0, true),
    column("p99", "p99", 0, true),
    column("max", "max", 0, true),
    column("invalidations key/tag/prefix (failed)", "inval", 0, false),
    column("refreshes", "refresh", 0, true),
];

/// One backend's counts over `span`, one cell per [`COLUMNS`] entry.
fn cells(s: &Snapshot, span: Duration) -> [String; 13] {
    let [key, tag, prefix] = s.invalidations;
    [
        s.backend.to_string(),
        s.calls.to_string(),
        format!("{:.0}", s.calls as f64 / span.as_secs_f64().max(1e-9)),
        format!("{} ({:.1} %)", s.hits(), s.hit_percent()),
        s.misses().to_string(),
        s.errors.to_string(),
        s.warnings.to_string(),
        s.wrong.to_string(),
        ms(s.p50()),
        ms(s.p99()),
        ms(s.max_micros),
        format!("{key}/{tag}/{prefix} ({})", s.invalidation_errors),
        s.refreshes.to_string(),
    ]
}

/// One backend's counts over `span` as one terminal line, columns aligned across lines.
pub fn line(s: &Snapshot, span: Duration) -> String {
    let mut out = String::from("   ");
    for (column, cell) in COLUMNS.iter().zip(cells(s, span)) {
        let width = column.width;
        if column.label.is_empty() {
            let _ = write!(out, " {cell:<width$}");
        } else {
            let _ = write!(out, "  {} {cell:>width$}", column.label);
        }
    }
    out
}

fn restart_text(r: &Restarted) -> String {
    let at =
        |t: Option<Duration>| t.map_or("-".to_owned(), |t| format!("{:.1} s", t.as_secs_f64()));
    let down = r.down_for().map_or(String::new(), |d| {
        format!(", down {:.1} s", d.as_secs_f64())
    });
    let error = r
        .error
        .as_ref()
        .map_or(String::new(), |e| format!(" ({e})"));
    format!(
        "    restart {}: {} stopped at {}, answering again at {}{down}{error}",
        r.backend,
        r.server,
        at(r.stopped_at),
        at(r.started_at)
    )
}

/// A time of the run: whole seconds when it is one, else with a tenth.
fn secs(at: Duration) -> String {
    if at.subsec_millis() == 0 {
        format!("{} s", at.as_secs())
    } else {
        format!("{:.1} s", at.as_secs_f64())
    }
}

/// Microseconds as milliseconds.
pub fn ms(micros: u64) -> String {
    format!("{:.2} ms", micros as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latency::Histogram;

    fn snapshot(backend: Backend, calls: u64, runs: u64, errors: u64, wrong: u64) -> Snapshot {
        Snapshot {
            backend,
            calls,
            runs,
            refreshes: 0,
            wrong,
            stalls: 0,
            errors,
            warnings: 1,
            invalidations: [3, 2, 1],
            invalidation_errors: 0,
            latency: Histogram::new().counts(),
            max_micros: 0,
        }
    }

    fn summary() -> Summary {
        let sample = |secs, mib: u64| Sample {
            at: Duration::from_secs(secs),
            rss_kib: mib * 1024,
        };
        let memory = vec![sample(10, 20), sample(20, 21), sample(30, 21)];
        Summary {
            elapsed: Duration::from_secs(30),
            readers: 4,
            targets: vec![(Backend::Redis, "127.0.0.1:1".into())],
            totals: vec![snapshot(Backend::Redis, 1000, 100, 5, 0)],
            last_interval: vec![snapshot(Backend::Redis, 300, 20, 0, 0)],
            examples: Vec::new(),
            restarts: vec![Restarted {
                backend: Backend::Redis,
                server: "redis at 127.0.0.1:1".into(),
                stopped_at: Some(Duration::from_secs(15)),
                started_at: Some(Duration::from_secs(18)),
                error: None,
            }],
            outage: vec![snapshot(Backend::Redis, 90, 90, 5, 0)],
            growth: memory::growth(&memory, Duration::from_secs(10)),
            memory,
            warm_at: Duration::from_secs(10),
            task_failures: Vec::new(),
        }
    }

    #[test]
    fn a_clean_run_passes_and_renders_its_figures() {
        let summary = summary();
        assert_eq!(summary.failures(), Vec::<String>::new());
        let markdown = summary.markdown();
        assert!(markdown.contains("| redis | 1000 | 33 | 900 (90.0 %) | 100 | 5 | 1 | 0 |"));
        assert!(markdown.contains(
            "| backend | calls | calls/s | hits | misses | errors | warnings | wrong values | \
             p50 | p99 | max | invalidations key/tag/prefix (failed) | refreshes |\n\
             |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|\n"
        ));
        let line = line(&summary.totals[0], summary.elapsed);
        assert!(
            line.starts_with("    redis      calls     1000  calls/s     33  hits    900 (90.0 %)"),
            "{line}"
        );
        assert!(line.ends_with("inval 3/2/1 (0)  refresh 0"), "{line}");
        assert!(markdown.contains("| 20 s | 21.0 MiB |"));
        assert!(markdown.contains("Result: **pass**"));
        assert!(summary.text().contains("==> soak: PASS"));
        let outage = "during the outage, redis: 90 calls, 5 errors, 1 warnings logged";
        assert!(markdown.contains(&format!("- {outage}")), "{markdown}");
        assert!(summary.text().contains(&format!("    {outage}")));
    }

    #[test]
    fn wrong_values_growth_and_no_recovery_fail() {
        let mut summary = summary();
        summary.totals[0].wrong = 2;
        summary.last_interval[0].errors = 7;
        let end = summary.memory.last_mut().unwrap();
        end.rss_kib = 40 * 1024;
        summary.growth = memory::growth(&summary.memory, summary.warm_at);
        let failures = summary.failures();
        assert_eq!(failures.len(), 3, "{failures:?}");
        assert!(failures[0].contains("2 wrong values"));
        assert!(failures[1].contains("memory grew"));
        assert!(failures[2].contains("did not recover"));
        assert!(summary.markdown().contains("Result: **fail**"));
    }
}
