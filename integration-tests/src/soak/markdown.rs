//! The summary as markdown, for the docs to quote (`target/soak-report.md`).

use super::memory::mib;
use super::report::{Summary, ms, restart_text, secs};
use std::fmt::Write;

impl Summary {
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
        let _ = writeln!(
            out,
            "| backend | calls | calls/s | hits | misses | errors | warnings | wrong values | p50 | \
             p99 | max | invalidations key/tag/prefix (failed) | refreshes |"
        );
        let _ = writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
        );
        for t in &self.totals {
            let [key, tag, prefix] = t.invalidations;
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {} ({:.1} %) | {} | {} | {} | {} | {} | {} | {} | {key}/{tag}/{prefix} ({}) | {} |",
                t.backend,
                t.calls,
                t.calls as f64 / elapsed.max(1e-9),
                t.hits(),
                t.hit_percent(),
                t.misses(),
                t.errors,
                t.warnings,
                t.wrong,
                ms(t.p50()),
                ms(t.p99()),
                ms(t.max_micros),
                t.invalidation_errors,
                t.refreshes
            );
        }
        if !self.restarts.is_empty() {
            let _ = writeln!(out, "\nRestart in the middle of the run:\n");
            for restart in &self.restarts {
                let _ = writeln!(out, "- {}", restart_text(restart).trim_start());
            }
            for d in &self.outage {
                let _ = writeln!(
                    out,
                    "- during the outage, {}: {} calls, {} errors, {} warnings logged, {} wrong \
                     values, latency p99 {}, max {} (within 12.5 %)",
                    d.backend,
                    d.calls,
                    d.errors,
                    d.warnings,
                    d.wrong,
                    ms(d.p99()),
                    ms(d.max_micros)
                );
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
}
