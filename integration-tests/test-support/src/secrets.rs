//! The pieces of the "no password reaches an error or `Debug`" property that every URL
//! parser's tests share: the passwords to try, the URLs that carry them, and the check.

use proptest::prelude::*;

/// Any printable text, delimiters and `%` included, long enough to recognise.
pub fn password() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{6,16}",
        "[%@:/?#&=,]{1,3}[ -~]{5,10}",
        "[^\\p{C}]{6,12}"
    ]
    .prop_filter("recognisable", |p| {
        p.chars().filter(|c| !c.is_whitespace()).count() >= 4
    })
}

/// `scheme` + `rest` + `?option` with `password` in the userinfo (user `app`) or, when
/// `in_query`, in a `password=` option after `query_prefix` (e.g. `username=app&`);
/// percent-encoded when `escaped`. `None` when the rest of the URL spells the password
/// out, so no output could be told apart from it.
pub fn url_with_password(
    (scheme, rest, option): (&str, &str, &str),
    password: &str,
    escaped: bool,
    in_query: bool,
    query_prefix: &str,
) -> Option<String> {
    let written = if escaped {
        easy_cache_core::percent_encode(password)
    } else {
        password.to_owned()
    };
    let url = if in_query {
        format!("{scheme}{rest}?{option}&{query_prefix}password={written}")
    } else {
        format!("{scheme}app:{written}@{rest}?{option}")
    };
    (!url.replacen(&written, "", 1).contains(password)).then_some(url)
}

/// Fails when `shown` (what a parser printed for `url`) holds `password` or its
/// percent-encoded form.
pub fn assert_hidden(url: &str, shown: &str, password: &str) -> Result<(), TestCaseError> {
    prop_assert!(!shown.contains(password), "{} -> {}", url, shown);
    let encoded = easy_cache_core::percent_encode(password);
    prop_assert!(!shown.contains(&encoded), "{} -> {}", url, shown);
    Ok(())
}

/// The URLs a parser's "no password is shown" property builds: each of `schemes` + each
/// of `rests` + each of `options`, with `query_prefix` before a `password=` option.
#[derive(Debug, Clone)]
pub struct UrlShapes {
    /// Schemes to try, misspelled ones included (their errors must hide the URL too).
    pub schemes: Vec<&'static str>,
    /// What follows the userinfo: hosts, ports, paths.
    pub rests: Vec<&'static str>,
    /// One option each, valid, invalid or unknown (`""` for none).
    pub options: Vec<&'static str>,
    /// Options a `password=` option needs before it (e.g. `username=app&`).
    pub query_prefix: &'static str,
}

/// The property itself: for URLs of `shapes` carrying any [`password`], what `shown`
/// returns for the URL (a parsed config's `Debug` and display, or the error's texts)
/// never holds the password, plain or percent-encoded. Panics with the failing URL.
pub fn no_password_is_shown(shapes: UrlShapes, shown: impl Fn(&str) -> String) {
    use proptest::sample::select;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        select(shapes.schemes),
        password(),
        any::<bool>(),
        any::<bool>(),
        select(shapes.rests),
        select(shapes.options),
    );
    let outcome = runner.run(
        &strategy,
        |(scheme, password, escaped, in_query, rest, option)| {
            let url = url_with_password(
                (scheme, rest, option),
                &password,
                escaped,
                in_query,
                shapes.query_prefix,
            );
            // A password the rest of the URL spells out cannot be told apart.
            let Some(url) = url else {
                return Err(TestCaseError::reject("the URL spells the password out"));
            };
            assert_hidden(&url, &shown(&url), &password)
        },
    );
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "->")]
    fn the_property_fails_when_a_parser_echoes_the_url() {
        let shapes = UrlShapes {
            schemes: vec!["x://"],
            rests: vec!["h"],
            options: vec![""],
            query_prefix: "",
        };
        no_password_is_shown(shapes, str::to_owned);
    }
}
