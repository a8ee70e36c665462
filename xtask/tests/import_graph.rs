//! House rules of the module graph, checked on every crate of the workspace: no two modules
//! import from each other (directly or round a longer circle), and nothing inside `core`
//! imports through the crate root (`lib.rs` is its table of contents, not a hub).
//!
//! The graph is read from `use crate::…`, `use super::…` and `use self::…` lines, one file
//! a node, test modules left out; a `use` resolves to the file that defines the longest
//! matching module path.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The source roots of the workspace's crates and programs.
const ROOTS: &[&str] = &[
    "core/src",
    "registry/src",
    "derive/src",
    "backends/memory/src",
    "backends/redis/src",
    "backends/memcached/src",
    "backends/sled/src",
    "backends/redb/src",
    "backends/disk/src",
    "integration-tests/src",
    "integration-tests/src/bin/soak",
    "integration-tests/test-support/src",
    "xtask/src",
    "benches/src",
];

type Module = Vec<String>;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `root`, by module path (`a/b.rs` and `a/b/mod.rs` are `a::b`).
/// A program's folder under `src/bin/` is a root of its own, not part of the library.
fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable source folder") {
            let path = entry.expect("readable entry").path();
            if path.is_dir() {
                if !path.ends_with("bin") {
                    dirs.push(path);
                }
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).expect("below its root");
            let mut module: Module = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                module.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                module.pop();
            }
            found.insert(module, path);
        }
    }
    found
}

/// The paths a file's `use` items name, test modules and comments left out, with one
/// level of braces expanded (`use a::{b, c::d}` names `a::b` and `a::c::d`).
fn used_paths(text: &str) -> Vec<String> {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    for item in code.split(';') {
        let Some(at) = item.find("use ") else {
            continue;
        };
        let before = &item[..at];
        if !before.trim_end().is_empty()
            && !before.trim_end().ends_with(['}', '{', ')', ']'])
            && !before.trim_end().ends_with("pub")
            && !before.trim_end().ends_with("pub(crate)")
        {
            continue;
        }
        let body: String = item[at + 4..].split_whitespace().collect();
        // An inline module's `use super::*` reaches its own file, not the parent's.
        if body == "super::*" {
            continue;
        }
        match body.split_once("::{") {
            Some((base, rest)) => {
                let rest = rest.strip_suffix('}').unwrap_or(rest);
                let mut depth = 0;
                let mut part = String::new();
                for ch in rest.chars().chain([',']) {
                    match ch {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            let head = part.split("::{").next().unwrap_or("");
                            if !head.is_empty() {
                                paths.push(format!("{base}::{head}"));
                            }
                            part.clear();
                            continue;
                        }
                        _ => {}
                    }
                    part.push(ch);
                }
            }
            None => paths.push(body),
        }
    }
    paths
}

/// The module a `use` path lands in, from module `from`; `None` outside the crate.
fn target(from: &Module, path: &str, known: &BTreeMap<Module, PathBuf>) -> Option<Module> {
    let mut segments = path.split("::").map(str::to_owned).peekable();
    let mut module: Module = match segments.peek().map(String::as_str) {
        Some("crate") => {
            segments.next();
            Vec::new()
        }
        Some("self") => {
            segments.next();
            from.clone()
        }
        Some("super") => {
            let mut module = from.clone();
            while segments.peek().is_some_and(|s| s == "super") {
                segments.next();
                module.pop();
            }
            module
        }
        _ => return None,
    };
    module.extend(segments);
    while !known.contains_key(&module) {
        module.pop()?;
    }
    Some(module)
}

/// Edges between files of one source root.
fn graph(root: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    let known = modules(root);
    let mut edges = BTreeMap::new();
    for (module, file) in &known {
        let text = std::fs::read_to_string(file).expect("readable source");
        let targets: BTreeSet<Module> = used_paths(&text)
            .iter()
            .filter_map(|path| target(module, path, &known))
            .filter(|to| to != module)
            .collect();
        edges.insert(module.clone(), targets);
    }
    edges
}

/// The strongly connected components with more than one module (Tarjan's algorithm).
fn circles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        found: Vec<Vec<Module>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a Module) {
        let n = state.index.len();
        state.index.insert(node, n);
        state.low.insert(node, n);
        state.stack.push(node);
        for next in &state.edges[node] {
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.stack.contains(&next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                component.push(top.clone());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn no_module_imports_from_a_module_that_imports_from_it() {
    let mut found = Vec::new();
    for root in ROOTS {
        for circle in circles(&graph(&workspace().join(root))) {
            let names: Vec<String> = circle
                .iter()
                .map(|m| {
                    if m.is_empty() {
                        "crate".to_owned()
                    } else {
                        m.join("::")
                    }
                })
                .collect();
            found.push(format!("{root}: {}", names.join(" ⇄ ")));
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

#[test]
fn nothing_inside_core_imports_through_its_root() {
    let root = workspace().join("core/src");
    let known = modules(&root);
    let mut found = Vec::new();
    for (module, file) in &known {
        if module.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("readable source");
        for path in used_paths(&text) {
            if target(module, &path, &known) == Some(Vec::new()) {
                found.push(format!("{}: use {path}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "imports through core's root:\n{}",
        found.join("\n")
    );
}

#[test]
fn a_circle_is_found() {
    let a = vec!["a".to_owned()];
    let b = vec!["b".to_owned()];
    let c = vec!["c".to_owned()];
    let edges = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone(), c.clone()])),
        (c.clone(), BTreeSet::new()),
    ]);
    assert_eq!(circles(&edges).len(), 1);
    assert!(circles(&BTreeMap::from([(c, BTreeSet::new())])).is_empty());
}

#[test]
fn uses_resolve_to_their_defining_file() {
    let known: BTreeMap<Module, PathBuf> = [vec![], vec!["engine"], vec!["engine", "spec"]]
        .into_iter()
        .map(|m| (m.into_iter().map(str::to_owned).collect(), PathBuf::new()))
        .collect();
    let read = vec!["engine".to_owned(), "read".to_owned()];
    let spec = Some(vec!["engine".to_owned(), "spec".to_owned()]);
    assert_eq!(target(&read, "super::spec::CallSpec", &known), spec);
    assert_eq!(target(&read, "crate::engine::spec::CallSpec", &known), spec);
    assert_eq!(target(&read, "crate::Error", &known), Some(vec![]));
    assert_eq!(target(&read, "std::sync::Arc", &known), None);
    let paths = used_paths("use super::{a::B, c::{D, E}};\npub(crate) use self::f::G;");
    assert_eq!(paths, ["super::a::B", "super::c", "self::f::G"]);
}
