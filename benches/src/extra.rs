//! Measurements criterion does not take (counts of allocations, round trips, resident
//! memory), left as small JSON files for `cargo xtask bench` to put in its report.

use std::path::{Path, PathBuf};

/// Where the files go: `$EASY_CACHE_BENCH_EXTRA_DIR`, else `<target dir>/bench-extra`.
pub fn dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(crate::env::EXTRA_DIR) {
        return PathBuf::from(dir);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new("."));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| workspace.join("target"), PathBuf::from);
    target.join("bench-extra")
}

/// Writes `value` to `<dir>/<name>.json` and says where.
pub fn write(name: &str, value: &serde_json::Value) {
    let dir = dir();
    std::fs::create_dir_all(&dir).expect("create the bench-extra directory");
    let path = dir.join(format!("{name}.json"));
    let text = serde_json::to_string_pretty(value).expect("JSON");
    std::fs::write(&path, text + "\n").expect("write a bench-extra file");
    println!("wrote {}", path.display());
}
