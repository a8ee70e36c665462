//! The lines of the report, one per target of issue 5 (rows 4 and 6 have several), each
//! computed from the run's figures and judged against its target.

use super::report::Figures;

/// Whether a line meets its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It does.
    Met,
    /// It does not.
    NotMet,
    /// A figure it needs is missing (a step failed or was skipped).
    NotMeasured,
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// The issue's row number.
    pub number: String,
    /// What is measured.
    pub what: String,
    /// Our figure.
    pub ours: String,
    /// The baseline's figure, from the same run.
    pub baseline: String,
    /// The ratio.
    pub ratio: String,
    /// The target.
    pub target: String,
    /// Met or not.
    pub verdict: Verdict,
}

impl Row {
    /// The line as a markdown table row.
    pub fn markdown(&self) -> String {
        let verdict = match self.verdict {
            Verdict::Met => "met",
            Verdict::NotMet => "**NOT met**",
            Verdict::NotMeasured => "not measured",
        };
        format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            self.number, self.what, self.ours, self.baseline, self.ratio, self.target, verdict
        )
    }

    fn missing(number: &str, what: &str, target: &str) -> Row {
        Row {
            number: number.to_owned(),
            what: what.to_owned(),
            ours: "—".to_owned(),
            baseline: "—".to_owned(),
            ratio: "—".to_owned(),
            target: target.to_owned(),
            verdict: Verdict::NotMeasured,
        }
    }
}

/// Every line, in the issue's order.
pub fn all(f: &Figures) -> Vec<Row> {
    vec![
        time_ratio(
            f,
            "1",
            "`#[ecached]` hit in memory, key template over a `u64`",
            ("memory_hit/ecached", "memory_hit/hand_written"),
            "hand-written: format key, get, decode",
            1.10,
        ),
        time_ratio(
            f,
            "2",
            "the same hit",
            ("memory_hit/ecached", "memory_hit/moka_get"),
            "raw moka `get`, pre-built key",
            3.0,
        ),
        time_ratio(
            f,
            "3",
            "the same hit, two threads at once (wall time per call)",
            (
                "memory_hit_2_threads/ecached",
                "memory_hit_2_threads/cached_crate",
            ),
            "`cached` crate's `#[cached]`",
            1.0,
        ),
        throughput(
            f,
            "4",
            "`#[ecached]` hit on Redis, two tags + prefix, 1 caller",
            ("redis_hit_c1/ecached", "redis_hit_c1/raw_get"),
        )
        .with_reference(f, REDIS_MGET, "redis_hit_c1/raw_mget_same_keys"),
        throughput(
            f,
            "4",
            "the same, 64 callers at once",
            ("redis_hit_c64/ecached", "redis_hit_c64/raw_get"),
        )
        .with_reference(f, REDIS_MGET, "redis_hit_c64/raw_mget_same_keys"),
        redis_hit_round_trips(f),
        redis_miss_round_trips(f),
        throughput(
            f,
            "6",
            "`#[ecached]` hit on Memcached (two servers), 1 caller",
            ("memcached_hit/ecached", "memcached_hit/raw_get"),
        ),
        memcached_requests(f),
        time_ratio(
            f,
            "7",
            "`#[ecached]` hit on sled",
            ("sled_hit/ecached", "sled_hit/raw_get"),
            "raw `Tree::get` + decode",
            1.3,
        ),
        time_ratio(
            f,
            "8",
            "invalidate a tag covering 100 000 entries",
            (
                "invalidate_tag/covering_100000",
                "invalidate_tag/covering_1",
            ),
            "the same covering 1 entry",
            1.25,
        ),
        stampede(f),
        resident(f),
    ]
}

/// The reference next to row 4's baseline.
const REDIS_MGET: &str = "raw `MGET` of the hit's 4 keys";

impl Row {
    /// Adds a reference figure (not the target's baseline) after the baseline.
    fn with_reference(mut self, f: &Figures, label: &str, id: &str) -> Row {
        if let Some(ns) = f.time(id) {
            self.baseline = format!("{}; reference, {label}: {}", self.baseline, rate(ns));
        }
        self
    }
}

/// Nanoseconds as a short time.
fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Calls per second from nanoseconds per call.
fn rate(ns: f64) -> String {
    let per_sec = 1e9 / ns;
    if per_sec >= 1e6 {
        format!("{:.2} M/s", per_sec / 1e6)
    } else {
        format!("{:.1} k/s", per_sec / 1e3)
    }
}

fn verdict(met: bool) -> Verdict {
    if met { Verdict::Met } else { Verdict::NotMet }
}

/// Ours / baseline of two times; met when at most `max`.
fn time_ratio(
    f: &Figures,
    number: &str,
    what: &str,
    (ours_id, base_id): (&str, &str),
    baseline: &str,
    max: f64,
) -> Row {
    let target = format!("≤ {max:.2}×");
    let (Some(ours), Some(base)) = (f.time(ours_id), f.time(base_id)) else {
        return Row::missing(number, what, &target);
    };
    let ratio = ours / base;
    Row {
        number: number.to_owned(),
        what: what.to_owned(),
        ours: time(ours),
        baseline: format!("{}: {}", baseline, time(base)),
        ratio: format!("{ratio:.2}×"),
        target,
        verdict: verdict(ratio <= max),
    }
}

/// Our throughput / the baseline's, from times per call; met when at least 0.90.
fn throughput(f: &Figures, number: &str, what: &str, (ours_id, base_id): (&str, &str)) -> Row {
    let target = "≥ 0.90× throughput".to_owned();
    let (Some(ours), Some(base)) = (f.time(ours_id), f.time(base_id)) else {
        return Row::missing(number, what, &target);
    };
    let ratio = base / ours;
    Row {
        number: number.to_owned(),
        what: what.to_owned(),
        ours: format!("{} ({}/call)", rate(ours), time(ours)),
        baseline: format!("raw client: {} ({}/call)", rate(base), time(base)),
        ratio: format!("{ratio:.2}×"),
        target,
        verdict: verdict(ratio >= 0.90),
    }
}

/// `{"get": 1.0, "set": 3.0}` as `1 GET + 3 SET`.
fn commands(f: &Figures, path: &str) -> String {
    let Some(serde_json::Value::Object(commands)) = f.value(path) else {
        return "?".to_owned();
    };
    commands
        .iter()
        .map(|(name, n)| format!("{} {}", n.as_f64().unwrap_or(0.0), name.to_uppercase()))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Row 4: round trips of a tagged hit, counted by the server.
fn redis_hit_round_trips(f: &Figures) -> Row {
    let (number, what, target) = (
        "4",
        "Redis hit: round trips per hit (server's read events, `INFO`)",
        "exactly 1 round trip",
    );
    let hit = "round_trips/redis/tagged_hit";
    let raw = "round_trips/redis/raw_get";
    let (Some(reads), Some(cmds), Some(raw_reads)) = (
        f.number(&format!("{hit}/reads_per_call")),
        f.number(&format!("{hit}/commands_per_call")),
        f.number(&format!("{raw}/reads_per_call")),
    ) else {
        return Row::missing(number, what, target);
    };
    Row {
        number: number.to_owned(),
        what: what.to_owned(),
        ours: format!(
            "{reads} round trip, {cmds} command ({})",
            commands(f, &format!("{hit}/commands"))
        ),
        baseline: format!(
            "raw GET: {raw_reads} round trip ({})",
            commands(f, &format!("{raw}/commands"))
        ),
        ratio: format!("{:.2}×", reads / raw_reads),
        target: target.to_owned(),
        verdict: verdict(reads == 1.0 && cmds == 1.0),
    }
}

/// Row 5: a miss then store with tags: backend calls and the server's read events.
fn redis_miss_round_trips(f: &Figures) -> Row {
    let (number, what, target) = (
        "5",
        "Redis miss then store, two tags + prefix: round trips per call",
        "2 round trips (read, write batch)",
    );
    let base = "round_trips/redis";
    let (Some(reads), Some(calls), Some(get_many), Some(batches), Some(runs)) = (
        f.number(&format!("{base}/tagged_miss/reads_per_call")),
        f.number(&format!("{base}/tagged_miss_backend_calls_per_call/total")),
        f.number(&format!(
            "{base}/tagged_miss_backend_calls_per_call/get_many"
        )),
        f.number(&format!(
            "{base}/tagged_miss_backend_calls_per_call/write_batch"
        )),
        f.number(&format!("{base}/tagged_miss_computations_per_call")),
    ) else {
        return Row::missing(number, what, target);
    };
    Row {
        number: number.to_owned(),
        what: what.to_owned(),
        ours: format!(
            "{reads} round trips at the server ({}); backend calls: {get_many} get_many + \
             {batches} write_batch; {runs} computation per call",
            commands(f, &format!("{base}/tagged_miss/commands"))
        ),
        baseline: "—".to_owned(),
        ratio: "—".to_owned(),
        target: target.to_owned(),
        verdict: verdict(reads == 2.0 && calls == 2.0 && runs == 1.0),
    }
}

/// Row 6: `get` request lines per hit on each server the hit touches.
fn memcached_requests(f: &Figures) -> Row {
    let (number, what, target) = (
        "6",
        "Memcached hits: `get` requests per server touched (`stats`)",
        "1 request per server touched",
    );
    let mut parts = Vec::new();
    let mut met = true;
    for (label, hit) in [
        ("plain hit", "plain_hit"),
        ("hit with two tags", "tagged_hit"),
    ] {
        let Some(servers) = f
            .value(&format!("round_trips/memcached/{hit}/servers"))
            .and_then(|s| s.as_array())
        else {
            return Row::missing(number, what, target);
        };
        let mut touched = 0;
        let mut lines = Vec::new();
        for server in servers {
            let keys = server["keys_per_call"].as_f64().unwrap_or(-1.0);
            let Some(line) = server["get_lines_per_call"].as_f64() else {
                met = false;
                lines.push("?".to_owned());
                continue;
            };
            if keys > 0.0 {
                touched += 1;
                met &= line == 1.0;
            } else {
                met &= line == 0.0;
            }
            lines.push(format!("{line} ({keys} keys)"));
        }
        parts.push(format!(
            "{label}: {touched} of {} servers touched, requests per server {}",
            servers.len(),
            lines.join(" / ")
        ));
    }
    let raw = f
        .number("round_trips/memcached/raw_get/servers/0/get_lines_per_call")
        .map_or("?".to_owned(), |l| l.to_string());
    Row {
        number: number.to_owned(),
        what: what.to_owned(),
        ours: parts.join("; "),
        baseline: format!("raw get: {raw} request"),
        ratio: "—".to_owned(),
        target: target.to_owned(),
        verdict: verdict(met),
    }
}

/// Row 9: 1000 callers on one cold key: computations, and time against one computation.
fn stampede(f: &Figures) -> Row {
    let (number, what, target) = (
        "9",
        "1000 concurrent calls on one cold key",
        "1 computation; ≤ 1.20× one computation",
    );
    let (Some(ours), Some(base), Some(max_runs)) = (
        f.time("cold_key_1000_callers/ecached"),
        f.time("cold_key_1000_callers/one_computation"),
        f.number("stampede/computations_per_round_max"),
    ) else {
        return Row::missing(number, what, target);
    };
    let rounds = f.number("stampede/rounds").unwrap_or(0.0);
    let ratio = ours / base;
    Row {
        number: number.to_owned(),
        what: what.to_owned(),
        ours: format!(
            "{} for all 1000; at most {max_runs} computation per key ({rounds} rounds)",
            time(ours)
        ),
        baseline: format!("the function alone: {}", time(base)),
        ratio: format!("{ratio:.2}×"),
        target: target.to_owned(),
        verdict: verdict(max_runs == 1.0 && ratio <= 1.2),
    }
}

/// Row 10: resident memory growth of 1 M entries, ours against raw moka.
fn resident(f: &Figures) -> Row {
    let (number, what, target) = (
        "10",
        "memory backend, 1 M entries of 100-byte values: resident memory added",
        "≤ 1.50×",
    );
    let (Some(ours), Some(base), Some(entries)) = (
        f.number("resident_ours/delta_kib"),
        f.number("resident_moka/delta_kib"),
        f.number("resident_ours/entries"),
    ) else {
        return Row::missing(number, what, target);
    };
    let mib = |kib: f64| {
        format!(
            "{:.0} MiB ({:.0} B/entry)",
            kib / 1024.0,
            kib * 1024.0 / entries
        )
    };
    let ratio = ours / base;
    Row {
        number: number.to_owned(),
        what: what.to_owned(),
        ours: mib(ours),
        baseline: format!("raw moka: {}", mib(base)),
        ratio: format!("{ratio:.2}×"),
        target: target.to_owned(),
        verdict: verdict(ratio <= 1.5),
    }
}

/// The instructions table (rows 1, 2 and 7), from `instructions.json`.
pub fn instructions(f: &Figures) -> String {
    let lines = [
        (
            "1",
            "`#[ecached]` hit in memory / hand-written lookup",
            "ecached",
            "hand",
        ),
        (
            "2",
            "`#[ecached]` hit in memory / raw moka `get`",
            "ecached",
            "moka",
        ),
        (
            "7",
            "`#[ecached]` hit on sled / raw `Tree::get` + decode",
            "sled",
            "sled_raw",
        ),
    ];
    let mut out = String::from("| row | what | ours | baseline | ratio |\n|---|---|---|---|---|\n");
    for (row, what, ours, base) in lines {
        let (ours, base) = (
            f.number(&format!("instructions/{ours}")),
            f.number(&format!("instructions/{base}")),
        );
        let cells = match (ours, base) {
            (Some(o), Some(b)) => format!("{o:.0} | {b:.0} | {:.2}×", o / b),
            _ => "not measured | — | —".to_owned(),
        };
        out.push_str(&format!("| {row} | {what} | {cells} |\n"));
    }
    out
}

/// The allocations table (rows 1 and 4), from `allocations.json`.
pub fn allocations(f: &Figures) -> String {
    let lines = [
        ("memory_ecached", "1", "`#[ecached]` hit in memory"),
        (
            "memory_hand_written",
            "1",
            "hand-written lookup in memory (baseline)",
        ),
        (
            "memory_ecached_tagged",
            "1",
            "`#[ecached]` hit in memory with two tags",
        ),
        (
            "redis_ecached_tagged",
            "4",
            "`#[ecached]` hit on Redis, two tags + prefix",
        ),
        (
            "redis_raw_get",
            "4",
            "raw redis-rs `GET` + decode (baseline)",
        ),
    ];
    let mut out = String::from("| row | what | allocations per call |\n|---|---|---|\n");
    for (id, row, what) in lines {
        let figure = f
            .number(&format!("allocations/{id}"))
            .map_or("not measured".to_owned(), |n| format!("{n:.2}"));
        out.push_str(&format!("| {row} | {what} | {figure} |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn figures(times: &[(&str, f64)], extra: &[(&str, serde_json::Value)]) -> Figures {
        let mut f = Figures::default();
        for (id, ns) in times {
            f.times.insert((*id).to_owned(), *ns);
        }
        for (name, value) in extra {
            f.extra.insert((*name).to_owned(), value.clone());
        }
        f
    }

    #[test]
    fn time_ratios_are_judged_against_their_bound() {
        let f = figures(&[("a/ours", 110.0), ("a/base", 100.0)], &[]);
        let row = time_ratio(&f, "1", "w", ("a/ours", "a/base"), "b", 1.10);
        assert_eq!((row.ratio.as_str(), row.verdict), ("1.10×", Verdict::Met));
        let row = time_ratio(&f, "1", "w", ("a/ours", "a/base"), "b", 1.05);
        assert_eq!(row.verdict, Verdict::NotMet);
        assert!(row.markdown().contains("**NOT met**"));
        let row = time_ratio(&f, "1", "w", ("a/ours", "a/missing"), "b", 1.05);
        assert_eq!(row.verdict, Verdict::NotMeasured);
    }

    #[test]
    fn throughput_is_the_inverse_ratio_of_times() {
        let f = figures(&[("r/ours", 50.0), ("r/base", 40.0)], &[]);
        let row = throughput(&f, "4", "w", ("r/ours", "r/base"));
        assert_eq!(
            (row.ratio.as_str(), row.verdict),
            ("0.80×", Verdict::NotMet)
        );
        assert!(row.ours.contains("20.00 M/s"), "{}", row.ours);
    }

    #[test]
    fn a_reference_is_shown_but_not_judged() {
        let f = figures(&[("r/ours", 50.0), ("r/base", 45.0), ("r/mget", 50.0)], &[]);
        let row =
            throughput(&f, "4", "w", ("r/ours", "r/base")).with_reference(&f, "mget", "r/mget");
        assert!(
            row.baseline.contains("reference, mget: 20.00 M/s"),
            "{}",
            row.baseline
        );
        assert_eq!(row.verdict, Verdict::Met);
    }

    #[test]
    fn round_trips_need_exact_counts() {
        let trips = json!({"redis": {
            "tagged_hit": {"reads_per_call": 1.0, "commands_per_call": 1.0, "commands": {"mget": 1.0}},
            "raw_get": {"reads_per_call": 1.0, "commands": {"get": 1.0}},
            "tagged_miss": {"reads_per_call": 2.0, "commands": {"mget": 1.0, "set": 3.0}},
            "tagged_miss_backend_calls_per_call": {"total": 2.0, "get_many": 1.0, "write_batch": 1.0},
            "tagged_miss_computations_per_call": 1.0,
        }});
        let f = figures(&[], &[("round_trips", trips.clone())]);
        assert_eq!(redis_hit_round_trips(&f).verdict, Verdict::Met);
        let miss = redis_miss_round_trips(&f);
        assert_eq!(miss.verdict, Verdict::Met);
        assert!(miss.ours.contains("1 MGET + 3 SET"), "{}", miss.ours);
        let mut slower = trips;
        slower["redis"]["tagged_hit"]["reads_per_call"] = json!(1.5);
        let f = figures(&[], &[("round_trips", slower)]);
        assert_eq!(redis_hit_round_trips(&f).verdict, Verdict::NotMet);
    }

    #[test]
    fn memcached_requests_are_one_per_server_touched() {
        let server =
            |keys: f64, lines: f64| json!({"keys_per_call": keys, "get_lines_per_call": lines});
        let hits = |second_lines: f64| {
            json!({"memcached": {
                "plain_hit": {"servers": [server(1.0, 1.0), server(0.0, 0.0)]},
                "tagged_hit": {"servers": [server(1.0, 1.0), server(2.0, second_lines)]},
                "raw_get": {"servers": [server(1.0, 1.0)]},
            }})
        };
        let f = figures(&[], &[("round_trips", hits(1.0))]);
        let row = memcached_requests(&f);
        assert_eq!(row.verdict, Verdict::Met, "{}", row.ours);
        assert!(row.ours.contains("2 of 2 servers touched"));
        let f = figures(&[], &[("round_trips", hits(2.0))]);
        assert_eq!(memcached_requests(&f).verdict, Verdict::NotMet);
    }

    #[test]
    fn instruction_ratios_are_ours_over_the_baseline() {
        let counts = json!({"ecached": 1900.0, "hand": 2000.0, "moka": 1000.0});
        let table = instructions(&figures(&[], &[("instructions", counts)]));
        assert!(table.contains("| 1900 | 2000 | 0.95× |"), "{table}");
        assert!(table.contains("| 1900 | 1000 | 1.90× |"), "{table}");
        assert!(
            table.contains("| 7 |") && table.contains("not measured"),
            "{table}"
        );
    }

    #[test]
    fn every_issue_row_has_a_line() {
        let numbers: Vec<String> = all(&Figures::default())
            .into_iter()
            .map(|r| r.number)
            .collect();
        for n in 1..=10 {
            assert!(numbers.contains(&n.to_string()), "row {n}");
        }
    }
}
