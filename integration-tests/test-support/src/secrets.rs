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
