//! The benchmark report in the docs: a full run of `cargo xtask bench` adds its verdicts
//! to `docs/guide/bench-history.json` and rewrites `docs/guide/bench-report.md` from that
//! history. The page is a function of the history file alone ([`page`]), so a test can
//! check that nobody edited it by hand, and `cargo xtask bench-page` can rewrite it after a
//! merge without measuring anything.
//!
//! Why a history: one run on a shared machine can meet a target by luck; the page calls a
//! target met only when each of the last [`IN_A_ROW`] full runs met it.

use super::report::Context;
use super::rows::{Row, Verdict};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The generated page, under the docs folder.
pub const PAGE: &str = "guide/bench-report.md";
/// The history of full runs the page is made from, under the docs folder.
pub const HISTORY: &str = "guide/bench-history.json";
/// How many full runs in a row must meet a target for the page to call it met.
pub const IN_A_ROW: usize = 3;
/// How many full runs the history keeps (the newest).
const KEPT_RUNS: usize = 8;

/// The repository's docs folder.
pub fn docs_dir() -> PathBuf {
    crate::process::root().join("docs")
}

/// What the history keeps of one full run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// `YYYY-MM-DD HH:MM UTC`.
    pub date: String,
    /// Cores, CPU model and memory.
    pub machine: String,
    /// Load averages at the start, before building.
    pub load_before: String,
    /// Load averages at the end.
    pub load_after: String,
    /// Each line's id and verdict label ([`Verdict::label`]), in the report's order.
    pub verdicts: Vec<(String, String)>,
}

impl Run {
    /// The run described by `context` that judged `rows`.
    pub fn new(context: &Context, rows: &[Row]) -> Self {
        Run {
            date: context.date.clone(),
            machine: context.machine.to_string(),
            load_before: context.load_before.clone(),
            load_after: context.load_after.clone(),
            verdicts: rows
                .iter()
                .map(|r| (r.id.clone(), r.verdict.label().to_owned()))
                .collect(),
        }
    }

    /// The verdict label of line `id`, if this run had that line.
    fn verdict(&self, id: &str) -> Option<&str> {
        self.verdicts
            .iter()
            .find(|(line, _)| line == id)
            .map(|(_, verdict)| verdict.as_str())
    }

    fn to_json(&self) -> Value {
        let verdicts: Vec<Value> = self
            .verdicts
            .iter()
            .map(|(line, verdict)| json!({"line": line, "verdict": verdict}))
            .collect();
        json!({
            "date": self.date,
            "machine": self.machine,
            "load_before": self.load_before,
            "load_after": self.load_after,
            "verdicts": verdicts,
        })
    }

    fn from_json(value: &Value) -> Option<Self> {
        let text = |key: &str| value.get(key)?.as_str().map(str::to_owned);
        let verdicts = value
            .get("verdicts")?
            .as_array()?
            .iter()
            .map(|v| {
                let field = |key: &str| v.get(key)?.as_str().map(str::to_owned);
                Some((field("line")?, field("verdict")?))
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Run {
            date: text("date")?,
            machine: text("machine")?,
            load_before: text("load_before")?,
            load_after: text("load_after")?,
            verdicts,
        })
    }
}

/// The recent full runs, oldest first, and the latest one's whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    /// At most [`KEPT_RUNS`], oldest first.
    pub runs: Vec<Run>,
    /// The report the newest run wrote to `target/bench-report.md`, unedited.
    pub latest_report: Option<String>,
}

impl History {
    /// Reads the history file; a missing file is an empty history, a damaged one an error
    /// (never silently replaced: it is the only record of the earlier runs).
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        History::parse(&text).ok_or_else(|| format!("{} is not a bench history", path.display()))
    }

    fn parse(text: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(text).ok()?;
        let runs = value
            .get("runs")?
            .as_array()?
            .iter()
            .map(Run::from_json)
            .collect::<Option<Vec<_>>>()?;
        let latest_report = match value.get("latest_report") {
            None | Some(Value::Null) => None,
            Some(report) => Some(report.as_str()?.to_owned()),
        };
        Some(History {
            runs,
            latest_report,
        })
    }

    /// The file's text: pretty JSON, one verdict a line, so a diff shows what changed.
    pub fn to_json(&self) -> String {
        let runs: Vec<Value> = self.runs.iter().map(Run::to_json).collect();
        let value = json!({"runs": runs, "latest_report": self.latest_report});
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Adds a full run and its report, dropping the oldest runs past [`KEPT_RUNS`].
    pub fn record(&mut self, run: Run, report: &str) {
        self.runs.push(run);
        let excess = self.runs.len().saturating_sub(KEPT_RUNS);
        self.runs.drain(..excess);
        self.latest_report = Some(report.to_owned());
    }

    /// The last `n` runs, oldest first; `None` when fewer were recorded.
    fn last(&self, n: usize) -> Option<&[Run]> {
        self.runs
            .len()
            .checked_sub(n)
            .map(|start| &self.runs[start..])
    }

    /// The lines of the newest run that each of the last `n` runs met, in the report's
    /// order; `None` when fewer than `n` runs were recorded.
    pub fn met_in_a_row(&self, n: usize) -> Option<Vec<String>> {
        let runs = self.last(n)?;
        let newest = runs.last()?;
        Some(
            newest
                .verdicts
                .iter()
                .map(|(id, _)| id)
                .filter(|id| {
                    runs.iter()
                        .all(|run| run.verdict(id) == Some(Verdict::Met.label()))
                })
                .cloned()
                .collect(),
        )
    }
}

/// Whether a run's report goes into the docs: a full run that was not interrupted and
/// measured something (a `--quick` run's figures are not the targets' figures; a run whose
/// build failed would only wipe the history's streaks).
pub fn should_publish(quick: bool, interrupted: bool, rows: &[Row]) -> bool {
    !quick && !interrupted && rows.iter().any(|r| r.verdict != Verdict::NotMeasured)
}

/// Records a full run in the history under `docs` and rewrites the page from it; returns
/// the page's path.
pub fn publish(
    docs: &Path,
    context: &Context,
    rows: &[Row],
    report: &str,
) -> Result<PathBuf, String> {
    let history_path = docs.join(HISTORY);
    let mut history = History::load(&history_path)?;
    history.record(Run::new(context, rows), report);
    write(&history_path, &history.to_json())?;
    write_pages(docs, &history)
}

/// Rewrites the page under `docs` from its history, measuring nothing
/// (`cargo xtask bench-page`); returns the page's path.
pub fn regenerate(docs: &Path) -> Result<PathBuf, String> {
    let history = History::load(&docs.join(HISTORY))?;
    write_pages(docs, &history)
}

/// Writes the report page, and the same report into the performance page between its
/// markers (the page that explains the lines shows the latest figures too, misses
/// included, without anyone retyping them).
fn write_pages(docs: &Path, history: &History) -> Result<PathBuf, String> {
    let page_path = docs.join(PAGE);
    let text = page(history);
    write(&page_path, &text)?;
    let performance_path = docs.join(PERFORMANCE);
    let performance = std::fs::read_to_string(&performance_path)
        .map_err(|e| format!("cannot read {}: {e}", performance_path.display()))?;
    write(&performance_path, &splice(&performance, &text)?)?;
    Ok(page_path)
}

/// The performance page, under `docs`.
pub const PERFORMANCE: &str = "guide/performance.md";
/// Where the generated report starts and ends in the performance page.
const BEGIN: &str = "<!-- generated by cargo xtask bench: begin -->";
const END: &str = "<!-- generated by cargo xtask bench: end -->";

/// `page` with the text between its markers replaced by `section`.
fn splice(page: &str, section: &str) -> Result<String, String> {
    let missing = || format!("{PERFORMANCE} lacks the markers `{BEGIN}` and `{END}`");
    let start = page.find(BEGIN).ok_or_else(missing)? + BEGIN.len();
    let end = page[start..].find(END).ok_or_else(missing)? + start;
    Ok(format!(
        "{}\n\n{}\n\n{}",
        &page[..start],
        section.trim_end(),
        &page[end..]
    ))
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The page made of `history`. No code blocks: the docs crate includes it, and every code
/// block there would be compiled as a doctest.
pub fn page(history: &History) -> String {
    let (Some(newest), Some(report)) = (history.runs.last(), &history.latest_report) else {
        return format!(
            "*Generated by `cargo xtask bench-page` from an empty history — do not edit: a \
             full `cargo xtask bench` (not `--quick`) rewrites this page and `{history}` \
             beside it.*\n\n\
             # Benchmark report\n\n\
             No full run of `cargo xtask bench` has been recorded on this branch yet, so this \
             page calls no target met. The first full run writes its report here, with its \
             date, the machine (cores, CPU model, memory) and its load before and after, and \
             starts the history from which this page says which targets were met in {IN_A_ROW} \
             full runs in a row.\n",
            history = file_name(HISTORY),
        );
    };
    let mut out = format!(
        "*Generated by `cargo xtask bench` on {} — do not edit: a full `cargo xtask bench` \
         (not `--quick`) rewrites this page and `{}` beside it.*\n\n",
        newest.date,
        file_name(HISTORY),
    );
    out.push_str(&streak(history));
    out.push_str(&format!(
        "\nBelow, the report of the latest full run, as `cargo xtask bench` wrote it to \
         `target/bench-report.md` on {}; after it, the verdicts of the last {} full runs.\n\n",
        newest.date,
        history.runs.len(),
    ));
    out.push_str(report.trim_end());
    out.push_str("\n\n");
    out.push_str(&history_table(history));
    out
}

/// The paragraph saying which lines were met in [`IN_A_ROW`] full runs in a row.
fn streak(history: &History) -> String {
    let Some(met) = history.met_in_a_row(IN_A_ROW) else {
        return format!(
            "**Met in {IN_A_ROW} full runs in a row: none yet.** Only {} full run(s) recorded; \
             this page calls a target met once {IN_A_ROW} full runs in a row meet it.\n",
            history.runs.len(),
        );
    };
    let runs = history.last(IN_A_ROW).unwrap_or_default();
    let dates: Vec<&str> = runs.iter().map(|r| r.date.as_str()).collect();
    let newest = runs.last().map_or(&[][..], |r| &r.verdicts[..]);
    let not_met: Vec<String> = newest
        .iter()
        .filter(|(id, _)| !met.contains(id))
        .map(|(id, _)| {
            let verdicts: Vec<&str> = runs.iter().map(|r| r.verdict(id).unwrap_or("—")).collect();
            format!("`{id}` ({})", verdicts.join(", "))
        })
        .collect();
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    format!(
        "**Met in each of the last {IN_A_ROW} full runs** ({}): {}.\n\n\
         **Not met in all {IN_A_ROW}** (verdicts oldest first): {}.\n",
        dates.join("; "),
        list(met.iter().map(|id| format!("`{id}`")).collect()),
        list(not_met),
    )
}

/// The verdicts of every kept run, one column a run, and the runs' machines and loads.
fn history_table(history: &History) -> String {
    let mut out = String::from("## Verdicts of recent full runs\n\n| line |");
    for run in &history.runs {
        out.push_str(&format!(" {} |", run.date));
    }
    out.push_str("\n|------|");
    out.push_str(&"---|".repeat(history.runs.len()));
    out.push('\n');
    let newest = history.runs.last().map_or(&[][..], |r| &r.verdicts[..]);
    for (id, _) in newest {
        out.push_str(&format!("| `{id}` |"));
        for run in &history.runs {
            let cell = match run.verdict(id) {
                Some(label) if label == Verdict::NotMet.label() => Verdict::NotMet.markdown(),
                Some(label) => label.to_owned(),
                None => "—".to_owned(),
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    out.push_str("\nThe runs:\n\n");
    for run in &history.runs {
        out.push_str(&format!(
            "- {}: {}; load average {} at the start, {} at the end.\n",
            run.date, run.machine, run.load_before, run.load_after
        ));
    }
    out
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::figures::Figures;
    use crate::bench::report;
    use crate::bench::rows;

    /// A run on `date` whose lines have these verdicts.
    fn run(date: &str, verdicts: &[(&str, Verdict)]) -> Run {
        Run {
            date: date.to_owned(),
            machine: "2 cores (AMD EPYC 7B13), 7.8 GiB memory".to_owned(),
            load_before: "0.10 0.20 0.30".to_owned(),
            load_after: "1.90 1.50 0.80".to_owned(),
            verdicts: verdicts
                .iter()
                .map(|(id, v)| ((*id).to_owned(), v.label().to_owned()))
                .collect(),
        }
    }

    fn history(runs: Vec<Run>) -> History {
        let mut history = History::default();
        for run in runs {
            history.record(run, "# easy-cache benchmark report\n\nthe table\n");
        }
        history
    }

    use Verdict::{Met, NotMeasured, NotMet};

    #[test]
    fn met_in_a_row_needs_every_one_of_the_last_three_runs() {
        let h = history(vec![
            run("d1", &[("hit", NotMet), ("miss", Met), ("sled", Met)]),
            run("d2", &[("hit", Met), ("miss", Met), ("sled", Met)]),
            run("d3", &[("hit", Met), ("miss", NotMet), ("sled", Met)]),
            run("d4", &[("hit", Met), ("miss", Met), ("sled", NotMeasured)]),
        ]);
        // d1's miss of `hit` is four runs back: it no longer counts.
        assert_eq!(h.met_in_a_row(3), Some(vec!["hit".to_owned()]));
        assert_eq!(h.met_in_a_row(4), Some(vec![]));
        assert_eq!(h.met_in_a_row(5), None, "fewer runs than asked");
    }

    #[test]
    fn a_line_absent_from_an_older_run_is_not_met_in_a_row() {
        let h = history(vec![
            run("d1", &[("hit", Met)]),
            run("d2", &[("hit", Met), ("renamed", Met)]),
            run("d3", &[("hit", Met), ("renamed", Met)]),
        ]);
        assert_eq!(h.met_in_a_row(3), Some(vec!["hit".to_owned()]));
    }

    #[test]
    fn a_line_met_in_one_run_only_is_not_called_met() {
        let h = history(vec![run("d1", &[("hit", Met), ("redis", NotMet)])]);
        let page = page(&h);
        assert!(
            page.contains("**Met in 3 full runs in a row: none yet.** Only 1 full run(s)"),
            "{page}"
        );
        assert!(!page.contains("Met in each"), "{page}");
    }

    #[test]
    fn the_page_names_the_met_and_the_missed_lines_of_the_last_three_runs() {
        let h = history(vec![
            run("d1", &[("hit", Met), ("redis", Met)]),
            run("d2", &[("hit", Met), ("redis", NotMet)]),
            run("d3", &[("hit", Met), ("redis", Met)]),
        ]);
        let page = page(&h);
        assert!(
            page.contains("**Met in each of the last 3 full runs** (d1; d2; d3): `hit`."),
            "{page}"
        );
        assert!(
            page.contains(
                "**Not met in all 3** (verdicts oldest first): `redis` (met, NOT met, met)."
            ),
            "{page}"
        );
        assert!(
            page.contains("| `redis` | met | **NOT met** | met |"),
            "{page}"
        );
        assert!(page.contains("- d2: 2 cores (AMD EPYC 7B13), 7.8 GiB memory; load average"));
    }

    #[test]
    fn the_page_has_the_generated_header_and_the_report_unedited() {
        let figures = Figures::default();
        let rows = rows::all(&figures);
        let context = report::tests::context(false);
        let report = report::render(&context, &rows, &figures, &[]);
        let mut h = History::default();
        h.record(Run::new(&context, &rows), &report);
        let page = page(&h);
        assert!(page.starts_with(
            "*Generated by `cargo xtask bench` on 2026-12-04 09:30 UTC — do not edit:"
        ));
        assert!(
            page.contains(report.trim_end()),
            "the report, byte for byte"
        );
        for row in &rows {
            assert!(
                page.contains(&format!("| `{}` | not measured |", row.id)),
                "{page}"
            );
        }
        assert!(
            !page.contains("```"),
            "a code block would be compiled as a doctest"
        );
        assert!(
            !page
                .lines()
                .any(|l| l.starts_with("    ") || l.starts_with('\t'))
        );
    }

    #[test]
    fn an_empty_history_makes_a_page_that_says_so() {
        let page = page(&History::default());
        assert!(page.starts_with("*Generated by `cargo xtask bench-page` from an empty history"));
        assert!(page.contains("No full run of `cargo xtask bench` has been recorded"));
        assert!(
            !page.contains("| met |") && !page.contains('×'),
            "no figures: {page}"
        );
    }

    #[test]
    fn the_history_keeps_the_newest_runs_and_reads_back_what_it_wrote() {
        let runs: Vec<Run> = (0..KEPT_RUNS + 2)
            .map(|i| run(&format!("d{i}"), &[("hit", Met), ("redis", NotMet)]))
            .collect();
        let h = history(runs);
        assert_eq!(h.runs.len(), KEPT_RUNS);
        assert_eq!(h.runs[0].date, "d2");
        assert_eq!(History::parse(&h.to_json()), Some(h));
        assert_eq!(
            History::parse("{\"runs\": [{}]}"),
            None,
            "damaged, not empty"
        );
    }

    #[test]
    fn only_a_full_run_that_measured_something_is_published() {
        let figures = Figures::default();
        let nothing = rows::all(&figures);
        let mut measured = nothing.clone();
        measured[0].verdict = NotMet;
        assert!(should_publish(false, false, &measured));
        assert!(!should_publish(true, false, &measured), "--quick never");
        assert!(!should_publish(false, true, &measured), "interrupted");
        assert!(!should_publish(false, false, &nothing), "a failed build");
    }

    #[test]
    fn the_report_goes_between_the_performance_pages_markers_only() {
        let page = format!("# Performance\n\nintro\n{BEGIN}\nold report\n{END}\n\n## Lines\n");
        let spliced = splice(&page, "new report **NOT met**\n").unwrap();
        assert_eq!(
            spliced,
            format!(
                "# Performance\n\nintro\n{BEGIN}\n\nnew report **NOT met**\n\n{END}\n\n## Lines\n"
            )
        );
        assert_eq!(
            splice(&spliced, "new report **NOT met**").unwrap(),
            spliced,
            "idempotent"
        );
        assert!(splice("# no markers", "x").is_err());
    }

    #[test]
    fn publishing_appends_to_the_history_and_rewrites_the_page() {
        let docs = std::env::temp_dir().join(format!("xtask-published-{}", std::process::id()));
        std::fs::create_dir_all(docs.join("guide")).unwrap();
        let performance = format!("# Performance\n{BEGIN}\n{END}\n");
        std::fs::write(docs.join(PERFORMANCE), performance).unwrap();
        let figures = Figures::default();
        let rows = rows::all(&figures);
        let context = report::tests::context(false);
        for _ in 0..2 {
            publish(&docs, &context, &rows, "# report\n").unwrap();
        }
        let history = History::load(&docs.join(HISTORY)).unwrap();
        let written = std::fs::read_to_string(docs.join(PAGE)).unwrap();
        let performance = std::fs::read_to_string(docs.join(PERFORMANCE)).unwrap();
        std::fs::remove_dir_all(&docs).unwrap();
        assert_eq!(history.runs.len(), 2);
        assert_eq!(written, page(&history));
        assert!(performance.contains(written.trim_end()), "{performance}");
    }

    #[test]
    fn the_committed_page_is_the_one_its_history_makes() {
        let docs = docs_dir();
        let history = History::load(&docs.join(HISTORY)).unwrap();
        let committed = std::fs::read_to_string(docs.join(PAGE)).unwrap();
        assert!(
            committed == page(&history),
            "{} was edited by hand or is stale: run `cargo xtask bench-page` (or a full \
             `cargo xtask bench`) to rewrite it from {HISTORY}",
            docs.join(PAGE).display()
        );
        let performance = std::fs::read_to_string(docs.join(PERFORMANCE)).unwrap();
        assert!(
            splice(&performance, &committed).is_ok_and(|same| same == performance),
            "{PERFORMANCE} does not hold the generated report between its markers: run \
             `cargo xtask bench-page`"
        );
    }
}
