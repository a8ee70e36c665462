//! Keeping secrets out of `Debug`, errors and logs.

/// `url` with any password replaced by `***`.
///
/// Whatever `url` looks like, what may be a secret is hidden: everything before its last
/// `@` but a plain user name (a malformed URL is the one most likely to end up in an error
/// message, and hiding too much there costs nothing), and the value of every option whose
/// name holds `pass`, `token` or `secret`, escaped or not.
///
/// ```
/// use easy_cache_core::redact_url;
/// assert_eq!(redact_url("redis://u:secret@h:6379/0"), "redis://u:***@h:6379/0");
/// assert_eq!(redact_url("memcache://h1:11211,h2:11211"), "memcache://h1:11211,h2:11211");
/// // A mistyped scheme, a password with an unescaped `?`, `#` or `/`: hidden all the same.
/// assert_eq!(redact_url("redis:/:hunter2@h"), "redis:/:***@h");
/// assert_eq!(redact_url("redis://:hun?ter#2/x@h"), "redis://:***@h");
/// ```
pub fn redact_url(url: &str) -> String {
    let secrets = Secrets::of(url);
    let mut out = String::with_capacity(url.len());
    let mut at = 0;
    for range in &secrets.shown_hidden {
        out.push_str(&url[at..range.start]);
        out.push_str("***");
        at = range.end;
    }
    out.push_str(&url[at..]);
    out
}

/// `piece` of `url` as an error message may quote it: like [`shown_in_error`], and only
/// its length when it overlaps what [`redact_url`] hides (the userinfo, a password option),
/// escaped or not. A malformed URL can put a password's head where a host belongs, or its
/// tail where an option is.
///
/// ```
/// use easy_cache_core::shown_from_url;
/// let url = "redis://app:hunter2#x@h?timeout_ms=soon";
/// assert_eq!(shown_from_url("soon", url), "`soon`");
/// assert_eq!(shown_from_url("app:hunter2", url), "a text of 11 characters");
/// ```
pub fn shown_from_url(piece: &str, url: &str) -> String {
    let secrets = Secrets::of(url);
    let secret = !piece.is_empty()
        && secrets.checked_hidden.iter().any(|range| {
            let raw = &url[range.clone()];
            raw.contains(piece) || lossy_decode(raw).contains(piece)
        });
    if secret {
        shown_by_length(piece)
    } else {
        shown_in_error(piece)
    }
}

/// Where the secrets of a URL may be: byte ranges, in order, not overlapping.
struct Secrets {
    /// What [`redact_url`] replaces: the userinfo but a plain user name, password options.
    shown_hidden: Vec<std::ops::Range<usize>>,
    /// What [`shown_from_url`] refuses to quote: the whole userinfo, password options.
    checked_hidden: Vec<std::ops::Range<usize>>,
}

impl Secrets {
    fn of(url: &str) -> Self {
        // After `scheme:` and its slashes, as many as were typed (`redis:/` included); a
        // text without a scheme is searched whole.
        let start = scheme_len(url).map_or(0, |len| {
            let after = &url[len + 1..];
            len + 1 + (after.len() - after.trim_start_matches('/').len())
        });
        let rest = &url[start..];
        let mut options = secret_option_values(rest, start);
        let (mut shown_hidden, mut checked_hidden) =
            (options.clone(), std::mem::take(&mut options));
        // Everything up to the last `@` may be userinfo, whatever delimiters a password
        // left unescaped in it.
        if let Some(at) = rest.rfind('@') {
            let userinfo = &rest[..at];
            let user = userinfo
                .split_once(':')
                .map(|(user, _)| user)
                .filter(|user| {
                    user.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
                });
            let hidden_from = user.map_or(start, |user| start + user.len() + 1);
            shown_hidden.push(hidden_from..start + at);
            checked_hidden.push(start..start + at);
        }
        Secrets {
            shown_hidden: merged(shown_hidden),
            checked_hidden: merged(checked_hidden),
        }
    }
}

/// The length of the scheme `url` starts with (`redis`, `rediss+cluster`: a letter, then
/// letters, digits, `+ - .`, then `:`).
fn scheme_len(url: &str) -> Option<usize> {
    let end = url.find(':')?;
    let mut chars = url[..end].chars();
    let valid = chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    valid.then_some(end)
}

/// `text` with its `%XX` escapes decoded, a malformed one kept as it is.
fn lossy_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

/// Sorted, overlapping ranges joined.
fn merged(mut ranges: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    ranges.retain(|r| !r.is_empty());
    ranges.sort_by_key(|r| r.start);
    let mut out: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match out.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => out.push(range),
        }
    }
    out
}

/// `text` taken from a URL, as an error message may quote it: itself when it looks like
/// what was expected there (an option name, a number, a `host:port` or a list of them: up
/// to 64 letters, digits and `_ - . + : , [ ]`), else only its length. A malformed URL can put anything,
/// a password included, where an option name belongs.
///
/// ```
/// use easy_cache_core::shown_in_error;
/// assert_eq!(shown_in_error("timeout_ms"), "`timeout_ms`");
/// assert_eq!(shown_in_error("cache-1:11211"), "`cache-1:11211`");
/// assert_eq!(shown_in_error(":hunter2@h/?"), "a text of 12 characters");
/// ```
pub fn shown_in_error(text: &str) -> String {
    let plain = text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.+:,[]".contains(c));
    if plain {
        format!("`{text}`")
    } else {
        shown_by_length(text)
    }
}

/// How an error mentions a text it may not quote: by its length only.
pub(crate) fn shown_by_length(text: &str) -> String {
    format!("a text of {} characters", text.chars().count())
}

/// Words that mark a secret parameter, also inside longer or mangled names such as
/// `auth_token` or `/?password`.
const SECRET_WORDS: [&str; 3] = ["pass", "token", "secret"];

/// Whether an option's value may be a secret: its name holds `pass`, `token` or `secret`
/// (`password`, `auth_token`), in any case. [`redact_url`] hides these options' values,
/// and so does every `Debug` of options.
///
/// ```
/// use easy_cache_core::is_secret;
/// assert!(is_secret("password") && is_secret("AUTH_TOKEN") && is_secret("client_secret"));
/// assert!(!is_secret("timeout_ms"));
/// ```
pub fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// The byte ranges (offset by `offset`) of every value that follows a secret word and an
/// `=`, up to the next `&`: the query of a well-formed URL, and the same pairs wherever they
/// stand in a malformed one. The name is also read %-decoded (`p%61ssword`).
fn secret_option_values(text: &str, offset: usize) -> Vec<std::ops::Range<usize>> {
    let pairs: Vec<(usize, &str)> = text
        .split('&')
        .scan(0, |start, pair| {
            let at = *start;
            *start += pair.len() + 1;
            Some((at, pair))
        })
        .collect();
    let mut ranges = Vec::new();
    for (i, &(start, pair)) in pairs.iter().enumerate() {
        let lower = pair.to_ascii_lowercase();
        let after_word = SECRET_WORDS
            .iter()
            .filter_map(|word| lower.find(word).map(|at| at + word.len()))
            .min()
            .and_then(|after| pair[after..].find('=').map(|eq| after + eq + 1));
        // The name %-decoded: from its `=` on, the value is secret.
        let after_name = pair.split_once('=').and_then(|(name, value)| {
            is_secret(&lossy_decode(name)).then_some(pair.len() - value.len())
        });
        let Some(value) = after_word.into_iter().chain(after_name).min() else {
            continue;
        };
        // An unescaped `&` in the value: what follows is still the value while it is no
        // `name=value` pair (a name an option could have), or while the value is empty
        // (`password=&x=1` is a password `&x=1` far more often than an empty one).
        let mut end = start + pair.len();
        let mut empty = value == pair.len();
        for &(next_start, next) in &pairs[i + 1..] {
            if !empty && is_option_pair(next) {
                break;
            }
            empty &= next.is_empty();
            end = next_start + next.len();
        }
        ranges.push(offset + start + value..offset + end);
    }
    ranges
}

/// Whether `segment` of a query reads as an option: `name=value` with a name of the
/// characters option names are made of (`= x` or `a b=c` is a password's tail).
fn is_option_pair(segment: &str) -> bool {
    segment.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'%'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hides_userinfo_and_query_secrets() {
        assert_eq!(redact_url("redis://:secret@h"), "redis://:***@h");
        assert_eq!(
            redact_url("redis://h:1/0?password=secret&timeout_ms=5"),
            "redis://h:1/0?password=***&timeout_ms=5"
        );
        assert_eq!(
            redact_url("memory://?max_capacity=1"),
            "memory://?max_capacity=1"
        );
        assert_eq!(redact_url("not a url"), "not a url");
        assert!(!redact_url("rediss://user:p%40ss@h").contains("p%40ss"));
        // Malformed URLs hide their secrets too.
        assert_eq!(redact_url("redis://u?x:secret@h"), "redis://***@h");
        assert_eq!(
            redact_url("memory://?/?password=secret"),
            "memory://?/?password=***"
        );
        assert_eq!(redact_url("x?auth_token=secret"), "x?auth_token=***");
        assert_eq!(
            redact_url("memory:///=?password=secret"),
            "memory:///=?password=***"
        );
        assert_eq!(
            redact_url("memory:///?t=@&password=secret"),
            "memory:///***@&password=***"
        );
        assert_eq!(
            redact_url("redis://h?p%61ssword=secret&db=1"),
            "redis://h?p%61ssword=***&db=1"
        );
        // A user name alone may be a password: some clients read it so.
        assert_eq!(redact_url("redis://hunter2@h"), "redis://***@h");
    }

    #[test]
    fn a_mistyped_scheme_does_not_echo_the_url() {
        for (url, shown) in [
            ("redis:/:hunter2@h", "redis:/:***@h"),
            ("redis:hunter2@h", "redis:***@h"),
            ("redis//:hunter2@h", "***@h"),
            ("u:hunter2@h://x", "u:***@h://x"),
            ("nosuch://app:hunter2@h", "nosuch://app:***@h"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
            assert!(!shown_from_url("hunter2", url).contains("hunter2"), "{url}");
        }
    }

    #[test]
    fn a_password_with_a_delimiter_never_shows() {
        for url in [
            "redis://app:hunter2?x@h",
            "redis://app:hunter2#x@h",
            "redis://app:hunter2/x@h/0",
            "redis://app:hunter2@x@h",
            "redis://app:hunter2&x=1@h",
            "memcache://app:hunter2%zz@h",
            "redis://h?password=hunter2@x&db=1",
            "redis://h?password=hunter2#x",
        ] {
            assert!(
                !redact_url(url).contains("hunter2"),
                "{url}: {}",
                redact_url(url)
            );
            // Whatever piece of it a parser quotes.
            for start in 0..url.len() {
                for end in start + 1..=url.len() {
                    let piece = &url[start..end];
                    let shown = shown_from_url(piece, url);
                    assert!(!shown.contains("hunter2"), "{url}: {piece} -> {shown}");
                }
            }
        }
        assert_eq!(
            shown_from_url("soon", "redis://:pw@h?timeout_ms=soon"),
            "`soon`"
        );
        // A tail of the value that no option name starts is the value's (found by the
        // property test below: `***` then the tail spelled the password again).
        assert_eq!(
            redact_url("redis://h?password=*&= Aa"),
            "redis://h?password=***"
        );
        assert_eq!(
            redact_url("redis://h?password=pw&db=1"),
            "redis://h?password=***&db=1"
        );
    }

    /// Any printable text, delimiters and `%` included, long enough to recognise.
    pub(crate) fn password() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{6,16}",
            "[%@:/?#&=]{1,3}[ -~]{5,10}[%@:/?#&=]{0,3}",
            "[^\\p{C}]{6,12}",
        ]
        .prop_filter("recognisable", |p| {
            !p.contains("**") && p.chars().filter(|c| !c.is_whitespace()).count() >= 4
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn redact_url_never_shows_any_password(
            scheme in prop::sample::select(vec!["redis://", "redis:/", "redis:", "memcache://", "nosuch://", "", "//"]),
            user in "[a-z]{0,4}",
            password in password(),
            escaped in any::<bool>(),
            in_query in any::<bool>(),
            tail in prop::sample::select(vec!["h", "h:6379/0", "h?timeout_ms=5", "a:1,b:2?db=1&x=y"]),
        ) {
            let written = if escaped { crate::percent_encode(&password) } else { password.clone() };
            let url = if in_query {
                format!("{scheme}{tail}{}password={written}", if tail.contains('?') { "&" } else { "?" })
            } else {
                format!("{scheme}{user}:{written}@{tail}")
            };
            // A password the rest of the URL spells out cannot be told apart.
            prop_assume!(!url.replacen(&written, "", 1).contains(&password));
            let shown = redact_url(&url);
            prop_assert!(!shown.contains(&password), "{} -> {}", url, shown);
            prop_assert!(!shown.contains(&crate::percent_encode(&password)), "{} -> {}", url, shown);
        }
    }
}
