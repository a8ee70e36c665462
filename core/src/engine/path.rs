//! The path that names a decorated function in its automatic keys and logs: module,
//! enclosing functions, implementing type and generic arguments, as the compiler prints
//! the type of a closure declared in the generated code (`type_name_of_val(&|| ())`).
//!
//! The function's body and its handle `<name>_cache` each print their own path; both are
//! brought to one form here, so the handle's `cache_key` is the function's key:
//! - trailing `::{{closure}}` segments (the closure itself, an async body) are dropped;
//! - `<Type as Trait>::name` becomes `Type::name` (a trait impl's handle lives in an
//!   inherent impl of `Type`, where a second `name_cache` would not compile, so the
//!   shorter path stays unique);
//! - the handle's own name `name_cache` becomes `name`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Where a path was printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum PrintedIn {
    Function,
    Handle,
}

/// The function path for `raw`, as printed in `place`.
pub(crate) fn normalize(raw: &str, place: PrintedIn) -> String {
    let mut path = raw;
    while let Some(shorter) = path.strip_suffix("::{{closure}}") {
        path = shorter;
    }
    let mut out = without_trait_qualification(path);
    if place == PrintedIn::Handle {
        let last = last_segment_start(&out);
        let name_end = out[last..].find('<').map_or(out.len(), |i| last + i);
        if out[last..name_end].ends_with("_cache") {
            out.replace_range(name_end - "_cache".len()..name_end, "");
        }
    }
    out
}

/// `<A as B>::rest` → `A::rest`; anything else as it is.
fn without_trait_qualification(path: &str) -> String {
    if !path.starts_with('<') {
        return path.to_owned();
    }
    let mut depth = 0usize;
    let mut as_at = None;
    for (i, c) in path.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    return match as_at {
                        Some(as_at) => format!("{}{}", &path[1..as_at], &path[i + 1..]),
                        None => path.to_owned(),
                    };
                }
            }
            ' ' if depth == 1 && as_at.is_none() && path[i..].starts_with(" as ") => {
                as_at = Some(i);
            }
            _ => {}
        }
    }
    path.to_owned()
}

/// The byte index where the last `::`-separated segment outside `<...>` starts.
fn last_segment_start(path: &str) -> usize {
    let bytes = path.as_bytes();
    let mut depth = 0usize;
    let mut start = 0;
    for i in 0..bytes.len() {
        match bytes[i] {
            b'<' => depth += 1,
            b'>' => depth = depth.saturating_sub(1),
            b':' if depth == 0 && bytes.get(i + 1) == Some(&b':') => start = i + 2,
            _ => {}
        }
    }
    start
}

/// Normalized paths of every call site and instantiation seen, by the address of the
/// compiler's string: each is computed once, and their number is fixed at compile time.
static PATHS: LazyLock<Mutex<HashMap<PrintedAt, &'static str>>> = LazyLock::new(Default::default);

/// A compiler string by address and length, and where it was printed.
type PrintedAt = (usize, usize, PrintedIn);

/// The normalized path of `raw`, computed once per distinct string.
pub(crate) fn intern(raw: &'static str, place: PrintedIn) -> &'static str {
    let id = (raw.as_ptr() as usize, raw.len(), place);
    let mut paths = PATHS.lock().unwrap_or_else(|e| e.into_inner());
    paths
        .entry(id)
        .or_insert_with(|| Box::leak(normalize(raw, place).into_boxed_str()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use PrintedIn::{Function, Handle};

    #[test]
    fn closures_trait_qualification_and_the_handle_suffix_are_normalized() {
        let cases = [
            (
                "app::users::load::{{closure}}::{{closure}}",
                Function,
                "app::users::load",
            ),
            (
                "app::users::load_cache::{{closure}}",
                Handle,
                "app::users::load",
            ),
            (
                "app::Invoice::build::{{closure}}",
                Function,
                "app::Invoice::build",
            ),
            (
                "<app::Db as app::Repo>::get::{{closure}}",
                Function,
                "app::Db::get",
            ),
            (
                "app::Db::get_cache::{{closure}}::{{closure}}",
                Handle,
                "app::Db::get",
            ),
            (
                "<app::Store<u8> as app::Repo<alloc::string::String>>::get::{{closure}}",
                Function,
                "app::Store<u8>::get",
            ),
            (
                "app::make<alloc::string::String, 3>::{{closure}}",
                Function,
                "app::make<alloc::string::String, 3>",
            ),
            (
                "app::make_cache<alloc::string::String, 3>::{{closure}}",
                Handle,
                "app::make<alloc::string::String, 3>",
            ),
            (
                "app::first::helper::{{closure}}",
                Function,
                "app::first::helper",
            ),
            (
                "app::outer::{{closure}}::helper_cache::{{closure}}",
                Handle,
                "app::outer::{{closure}}::helper",
            ),
            // A module named like a handle inside the generic arguments stays as it is.
            (
                "app::make_cache<app::x_cache::T>::{{closure}}",
                Handle,
                "app::make<app::x_cache::T>",
            ),
        ];
        for (raw, place, expected) in cases {
            assert_eq!(normalize(raw, place), expected, "{raw}");
        }
    }

    #[test]
    fn a_function_and_its_handle_print_one_path() {
        fn load() -> &'static str {
            std::any::type_name_of_val(&|| ())
        }
        fn load_cache() -> &'static str {
            std::any::type_name_of_val(&|| ())
        }
        assert_eq!(intern(load(), Function), intern(load_cache(), Handle));
        assert!(
            intern(load(), Function)
                .ends_with("::tests::a_function_and_its_handle_print_one_path::load")
        );
    }
}
