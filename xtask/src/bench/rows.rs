//! The lines of the report, one per target (the Redis and Memcached targets have several),
//! each computed from the run's figures and judged against its target. A line's [`Row::id`]
//! says what it measures and stays the same from run to run: the history of full runs
//! (see `published.rs`) follows a line by it.

use super::figures::Figures;

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
    /// What the line measures, as a stable name (`redis_hit_64_callers`).
    pub id: String,
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

impl Verdict {
    /// The verdict as plain text: `met`, `NOT met` or `not measured` (the history's words).
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::NotMet => "NOT met",
            Verdict::NotMeasured => "not measured",
        }
    }

    /// The verdict in a table cell: a miss in bold, so it is not read past.
    pub fn markdown(&self) -> String {
        match self {
            Verdict::NotMet => format!("**{}**", self.label()),
            _ => self.label().to_owned(),
        }
    }
}

impl Row {
    /// The line as a markdown table row.
    pub fn markdown(&self) -> String {
        format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            self.id,
            self.what,
            self.ours,
            self.baseline,
            self.ratio,
            self.target,
            self.verdict.markdown()
        )
    }
}

/// A line before it is measured: its stable id, what it measures and its target. Every
/// line is built through it, measured or not.
struct Line<'a> {
    id: &'a str,
    what: &'a str,
    target: &'a str,
}

impl Line<'_> {
    /// The line, judged: met when `met`.
    fn row(&self, ours: String, baseline: String, ratio: String, met: bool) -> Row {
        Row {
            id: self.id.to_owned(),
            what: self.what.to_owned(),
            ours,
            baseline,
            ratio,
            target: self.target.to_owned(),
            verdict: if met { Verdict::Met } else { Verdict::NotMet },
        }
    }

    /// The line with a figure it needs missing.
    fn missing(&self) -> Row {
        Row {
            verdict: Verdict::NotMeasured,
            ..self.row("—".into(), "—".into(), "—".into(), false)
        }
    }
}

/// Every line: in memory, Redis, Memcached, sled, redb, invalidation, single flight, memory, and
/// a sync function's hit in memory.
pub fn all(f: &Figures) -> Vec<Row> {
    vec![
        time_ratio(
            f,
            "memory_hit_vs_hand_written",
            "`#[ecached]` hit in memory, key template over a `u64`",
            ("memory_hit/ecached", "memory_hit/hand_written"),
            "hand-written: format key, get, decode",
            1.10,
        ),
        time_ratio(
            f,
            "memory_hit_vs_moka_get",
            "the same hit",
            ("memory_hit/ecached", "memory_hit/moka_get"),
            "raw moka `get`, pre-built key",
            3.0,
        ),
        time_ratio(
            f,
            "memory_hit_vs_cached_crate",
            "the same hit, one thread",
            ("memory_hit/ecached", "memory_hit/cached_crate"),
            "`cached` crate's `#[cached]`",
            1.0,
        ),
        time_ratio(
            f,
            "memory_hit_automatic_key_vs_template",
            "`#[ecached]` hit in memory, automatic key (the function's path)",
            (
                "memory_hit/ecached_automatic_key",
                "memory_hit/ecached_same_key_as_template",
            ),
            "the same key text as a template",
            1.05,
        ),
        time_ratio(
            f,
            "memory_hit_2_threads_vs_cached_crate",
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
            "redis_hit_1_caller",
            "`#[ecached]` hit on Redis, two tags + prefix, 1 caller",
            ("redis_hit_c1/ecached", "redis_hit_c1/raw_get"),
        )
        .with_reference(f, REDIS_MGET, "redis_hit_c1/raw_mget_same_keys"),
        throughput(
            f,
            "redis_hit_64_callers",
            "the same, 64 callers at once",
            ("redis_hit_c64/ecached", "redis_hit_c64/raw_get"),
        )
        .with_reference(f, REDIS_MGET, "redis_hit_c64/raw_mget_same_keys"),
        redis_hit_round_trips(f),
        redis_miss_round_trips(f),
        time_ratio(
            f,
            "redis_near_hit_vs_memory_hit",
            "`#[ecached]` hit on Redis, two tags + prefix, served by the near cache, one thread",
            ("redis_near_hit/ecached", "memory_hit/ecached"),
            "`#[ecached]` hit in memory (`memory_hit_vs_cached_crate`)",
            2.0,
        ),
        redis_near_hit_commands(f),
        redis_near_invalidation_delay(f),
        throughput(
            f,
            "memcached_hit_1_caller",
            "`#[ecached]` hit on Memcached (two servers), 1 caller",
            ("memcached_hit/ecached", "memcached_hit/raw_get"),
        ),
        memcached_requests(f),
        time_ratio(
            f,
            "sled_hit_vs_raw_get",
            "`#[ecached]` hit on sled",
            ("sled_hit/ecached", "sled_hit/raw_get"),
            "raw `Tree::get` + decode",
            1.3,
        ),
        time_ratio(
            f,
            "redb_hit_vs_raw_get",
            "`#[ecached]` hit on redb",
            ("redb_hit/ecached", "redb_hit/raw_get"),
            "raw read transaction + `get` + decode",
            1.3,
        ),
        time_ratio(
            f,
            "invalidate_tag_100000_vs_1",
            "invalidate a tag covering 100 000 entries",
            (
                "invalidate_tag/covering_100000",
                "invalidate_tag/covering_1",
            ),
            "the same covering 1 entry",
            1.25,
        ),
        stampede(f),
        resident(
            f,
            "resident_memory_1m_entries",
            "memory backend, 1 M entries of 100-byte values: resident memory added",
            "resident_ours",
        ),
        resident(
            f,
            "resident_memory_1m_entries_ecached",
            "the same stored by an `#[ecached]` function (near cache at its default size)",
            "resident_ecached",
        ),
        time_ratio(
            f,
            "memory_hit_sync_vs_cached_crate",
            "`#[ecached]` hit in memory of a sync `fn`, one thread, no runtime",
            ("memory_hit_sync/ecached", "memory_hit_sync/cached_crate"),
            "`cached` crate's sync `#[cached]`",
            1.0,
        ),
        time_ratio(
            f,
            "memory_hit_refreshing_vs_plain",
            "`#[ecached]` hit in memory inside the refresh window (`refresh_ahead`), the refresh under way",
            ("memory_hit_refresh/refreshing", "memory_hit_refresh/plain"),
            "a plain hit of the same function shape",
            1.1,
        ),
        time_ratio(
            f,
            "memory_hit_metrics_vs_plain",
            "`#[ecached]` hit in memory built with the `metrics` feature, a Prometheus recorder installed",
            ("memory_hit_metrics/on", "memory_hit_metrics/off"),
            "the same hit built without it",
            1.1,
        ),
    ]
}

/// The reference next to the Redis hits' baseline.
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

/// Ours / baseline of two times; met when at most `max`.
fn time_ratio(
    f: &Figures,
    id: &str,
    what: &str,
    (ours_id, base_id): (&str, &str),
    baseline: &str,
    max: f64,
) -> Row {
    let target = format!("≤ {max:.2}×");
    let line = Line {
        id,
        what,
        target: &target,
    };
    let (Some(ours), Some(base)) = (f.time(ours_id), f.time(base_id)) else {
        return line.missing();
    };
    let ratio = ours / base;
    line.row(
        time(ours),
        format!("{}: {}", baseline, time(base)),
        format!("{ratio:.2}×"),
        ratio <= max,
    )
}

/// Our throughput / the baseline's, from times per call; met when at least 0.90.
fn throughput(f: &Figures, id: &str, what: &str, (ours_id, base_id): (&str, &str)) -> Row {
    let line = Line {
        id,
        what,
        target: "≥ 0.90× throughput",
    };
    let (Some(ours), Some(base)) = (f.time(ours_id), f.time(base_id)) else {
        return line.missing();
    };
    let ratio = base / ours;
    line.row(
        format!("{} ({}/call)", rate(ours), time(ours)),
        format!("raw client: {} ({}/call)", rate(base), time(base)),
        format!("{ratio:.2}×"),
        ratio >= 0.90,
    )
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

/// Round trips of a tagged Redis hit, counted by the server.
fn redis_hit_round_trips(f: &Figures) -> Row {
    let line = Line {
        id: "redis_hit_round_trips",
        what: "Redis hit: round trips per hit (server's read events, `INFO`)",
        target: "exactly 1 round trip",
    };
    let hit = "round_trips/redis/tagged_hit";
    let raw = "round_trips/redis/raw_get";
    let (Some(reads), Some(cmds), Some(raw_reads)) = (
        f.number(&format!("{hit}/reads_per_call")),
        f.number(&format!("{hit}/commands_per_call")),
        f.number(&format!("{raw}/reads_per_call")),
    ) else {
        return line.missing();
    };
    line.row(
        format!(
            "{reads} round trip, {cmds} command ({})",
            commands(f, &format!("{hit}/commands"))
        ),
        format!(
            "raw GET: {raw_reads} round trip ({})",
            commands(f, &format!("{raw}/commands"))
        ),
        format!("{:.2}×", reads / raw_reads),
        reads == 1.0 && cmds == 1.0,
    )
}

/// A Redis miss then store with tags: backend calls and the server's read events.
fn redis_miss_round_trips(f: &Figures) -> Row {
    let line = Line {
        id: "redis_miss_round_trips",
        what: "Redis miss then store, two tags + prefix: round trips per call",
        target: "2 round trips (read, write batch)",
    };
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
        return line.missing();
    };
    line.row(
        format!(
            "{reads} round trips at the server ({}); backend calls: {get_many} get_many + \
             {batches} write_batch; {runs} computation per call",
            commands(f, &format!("{base}/tagged_miss/commands"))
        ),
        "—".to_owned(),
        "—".to_owned(),
        reads == 2.0 && calls == 2.0 && runs == 1.0,
    )
}

/// Server commands over 10 000 near-cache hits on Redis.
fn redis_near_hit_commands(f: &Figures) -> Row {
    let line = Line {
        id: "redis_near_hit_commands",
        what: "Redis near-cache hits, two tags + prefix: server commands (`INFO commandstats`)",
        target: "0 commands per hit",
    };
    let hit = "round_trips/redis/near_hit";
    let (Some(total), Some(calls)) = (
        f.number(&format!("{hit}/commands_total")),
        f.number(&format!("{hit}/calls")),
    ) else {
        return line.missing();
    };
    line.row(
        format!("{total} commands over {calls} hits"),
        "—".to_owned(),
        "—".to_owned(),
        total == 0.0,
    )
}

/// Cross-process invalidation: from A's invalidation returning to B's near entry gone.
fn redis_near_invalidation_delay(f: &Figures) -> Row {
    let line = Line {
        id: "redis_near_invalidation_delay",
        what: "Redis near cache: delay from another process's invalidation returning to the \
               entry being gone (upper bound: includes one read)",
        target: "p99 ≤ 5 ms",
    };
    let base = "near_invalidation";
    let (Some(p50), Some(p99), Some(rounds)) = (
        f.number(&format!("{base}/p50_us")),
        f.number(&format!("{base}/p99_us")),
        f.number(&format!("{base}/rounds")),
    ) else {
        return line.missing();
    };
    let max = f.number(&format!("{base}/max_us")).unwrap_or(f64::NAN);
    line.row(
        format!(
            "p99 {}, p50 {}, max {} ({rounds} rounds)",
            time(p99 * 1e3),
            time(p50 * 1e3),
            time(max * 1e3)
        ),
        "—".to_owned(),
        "—".to_owned(),
        p99 <= 5_000.0,
    )
}

/// Memcached: `get` request lines per hit on each server the hit touches.
fn memcached_requests(f: &Figures) -> Row {
    let line = Line {
        id: "memcached_requests_per_server",
        what: "Memcached hits: `get` requests per server touched (`stats`)",
        target: "1 request per server touched",
    };
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
            return line.missing();
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
    line.row(
        parts.join("; "),
        format!("raw get: {raw} request"),
        "—".to_owned(),
        met,
    )
}

/// Single flight: 1000 callers on one cold key: computations, and time against one
/// computation.
fn stampede(f: &Figures) -> Row {
    let line = Line {
        id: "cold_key_1000_callers",
        what: "1000 concurrent calls on one cold key",
        target: "1 computation; ≤ 1.20× one computation",
    };
    let (Some(ours), Some(base), Some(max_runs)) = (
        f.time("cold_key_1000_callers/ecached"),
        f.time("cold_key_1000_callers/one_computation"),
        f.number("stampede/computations_per_round_max"),
    ) else {
        return line.missing();
    };
    let rounds = f.number("stampede/rounds").unwrap_or(0.0);
    let ratio = ours / base;
    line.row(
        format!(
            "{} for all 1000; at most {max_runs} computation per key ({rounds} rounds)",
            time(ours)
        ),
        format!("the function alone: {}", time(base)),
        format!("{ratio:.2}×"),
        max_runs == 1.0 && ratio <= 1.2,
    )
}

/// Resident memory growth of 1 M entries, ours (the example's run `ours`) against raw moka.
fn resident(f: &Figures, id: &'static str, what: &'static str, ours: &str) -> Row {
    let line = Line {
        id,
        what,
        target: "≤ 1.50×",
    };
    let (Some(ours), Some(base), Some(entries)) = (
        f.number(&format!("{ours}/delta_kib")),
        f.number("resident_moka/delta_kib"),
        f.number(&format!("{ours}/entries")),
    ) else {
        return line.missing();
    };
    let mib = |kib: f64| {
        format!(
            "{:.0} MiB ({:.0} B/entry)",
            kib / 1024.0,
            kib * 1024.0 / entries
        )
    };
    let ratio = ours / base;
    line.row(
        mib(ours),
        format!("raw moka: {}", mib(base)),
        format!("{ratio:.2}×"),
        ratio <= 1.5,
    )
}

/// The instructions table of the in-process hits, from `instructions.json`; each line
/// names the timed line it backs up.
pub fn instructions(f: &Figures) -> String {
    let lines = [
        (
            "memory_hit_vs_hand_written",
            "`#[ecached]` hit in memory / hand-written lookup",
            "ecached",
            "hand",
        ),
        (
            "memory_hit_vs_moka_get",
            "`#[ecached]` hit in memory / raw moka `get`",
            "ecached",
            "moka",
        ),
        (
            "memory_hit_vs_cached_crate",
            "`#[ecached]` hit in memory / `cached` crate's `#[cached]` hit",
            "ecached",
            "cached",
        ),
        (
            "sled_hit_vs_raw_get",
            "`#[ecached]` hit on sled / raw `Tree::get` + decode",
            "sled",
            "sled_raw",
        ),
        (
            "redb_hit_vs_raw_get",
            "`#[ecached]` hit on redb / raw read transaction + `get` + decode",
            "redb",
            "redb_raw",
        ),
    ];
    let mut out =
        String::from("| line | what | ours | baseline | ratio |\n|---|---|---|---|---|\n");
    for (line, what, ours, base) in lines {
        let (ours, base) = (
            f.number(&format!("instructions/{ours}")),
            f.number(&format!("instructions/{base}")),
        );
        let cells = match (ours, base) {
            (Some(o), Some(b)) => format!("{o:.0} | {b:.0} | {:.2}×", o / b),
            _ => "not measured | — | —".to_owned(),
        };
        out.push_str(&format!("| `{line}` | {what} | {cells} |\n"));
    }
    out
}

/// The allocations table of the in-memory and Redis hits, from `allocations.json`.
pub fn allocations(f: &Figures) -> String {
    let lines = [
        ("memory_ecached", "`#[ecached]` hit in memory"),
        (
            "memory_hand_written",
            "hand-written lookup in memory (baseline)",
        ),
        (
            "memory_ecached_tagged",
            "`#[ecached]` hit in memory with two tags",
        ),
        (
            "redis_ecached_tagged",
            "`#[ecached]` hit on Redis, two tags + prefix",
        ),
        ("redis_raw_get", "raw redis-rs `GET` + decode (baseline)"),
    ];
    let mut out = String::from("| what | allocations per call |\n|---|---|\n");
    for (id, what) in lines {
        let figure = f
            .number(&format!("allocations/{id}"))
            .map_or("not measured".to_owned(), |n| format!("{n:.2}"));
        out.push_str(&format!("| {what} | {figure} |\n"));
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
        let row = time_ratio(&f, "hit", "w", ("a/ours", "a/base"), "b", 1.10);
        assert_eq!((row.ratio.as_str(), row.verdict), ("1.10×", Verdict::Met));
        let row = time_ratio(&f, "hit", "w", ("a/ours", "a/base"), "b", 1.05);
        assert_eq!(row.verdict, Verdict::NotMet);
        assert!(row.markdown().contains("**NOT met**"));
        let row = time_ratio(&f, "hit", "w", ("a/ours", "a/missing"), "b", 1.05);
        assert_eq!(row.verdict, Verdict::NotMeasured);
    }

    #[test]
    fn throughput_is_the_inverse_ratio_of_times() {
        let f = figures(&[("r/ours", 50.0), ("r/base", 40.0)], &[]);
        let row = throughput(&f, "hit", "w", ("r/ours", "r/base"));
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
            throughput(&f, "hit", "w", ("r/ours", "r/base")).with_reference(&f, "mget", "r/mget");
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
            table.contains("| `sled_hit_vs_raw_get` |") && table.contains("not measured"),
            "{table}"
        );
    }

    #[test]
    fn every_target_has_a_line_with_its_own_id() {
        let ids: Vec<String> = all(&Figures::default()).into_iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), 23);
        let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        // The history follows a line by its id: an id is a name, never a tracker's number.
        assert!(
            ids.iter()
                .all(|id| id.starts_with(|c: char| c.is_ascii_lowercase()))
        );
    }

    #[test]
    fn a_miss_is_bold_in_the_table_and_plain_in_the_history() {
        assert_eq!(Verdict::NotMet.label(), "NOT met");
        assert_eq!(Verdict::NotMet.markdown(), "**NOT met**");
        assert_eq!(Verdict::Met.markdown(), "met");
    }
}
