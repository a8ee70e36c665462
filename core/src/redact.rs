//! Keeping secrets out of `Debug`, errors and logs.

/// `url` with any password replaced by `***`.
///
/// ```
/// use easy_cache_core::redact_url;
/// assert_eq!(redact_url("redis://u:secret@h:6379/0"), "redis://u:***@h:6379/0");
/// assert_eq!(redact_url("memcache://h1:11211,h2:11211"), "memcache://h1:11211,h2:11211");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return redact_query(url);
    };
    // The last `@` ends the userinfo even when what precedes it looks like a path or a
    // query: a malformed URL is the one most likely to end up in an error message, and
    // hiding too much there costs nothing.
    match rest.rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let user = userinfo
                .split([':', '/', '?', '#', '&', '='])
                .next()
                .unwrap_or_default();
            let tail = redact_query(&rest[at + 1..]);
            format!("{scheme}://{user}:***@{tail}")
        }
        None => format!("{scheme}://{}", redact_query(rest)),
    }
}

/// `text` taken from a URL, as an error message may quote it: itself when it looks like
/// what was expected there (an option name, a number, a `host:port`: up to 64 letters,
/// digits and `_ - . + : [ ]`), else only its length. A malformed URL can put anything,
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
            .all(|c| c.is_ascii_alphanumeric() || "_-.+:[]".contains(c));
    if plain {
        format!("`{text}`")
    } else {
        format!("a text of {} characters", text.chars().count())
    }
}

/// Words that mark a secret parameter, also inside longer or mangled names such as
/// `auth_token` or `/?password`.
const SECRET_WORDS: [&str; 3] = ["pass", "token", "secret"];

/// Hides every value that follows a secret word and an `=`, up to the next `&`: the query
/// of a well-formed URL, and the same pairs wherever they stand in a malformed one.
fn redact_query(text: &str) -> String {
    let pairs: Vec<String> = text
        .split('&')
        .map(|pair| {
            let lower = pair.to_ascii_lowercase();
            let secret_value = SECRET_WORDS
                .iter()
                .filter_map(|word| lower.find(word).map(|at| at + word.len()))
                .min()
                .and_then(|after| pair[after..].find('=').map(|eq| after + eq + 1));
            match secret_value {
                Some(value) => format!("{}***", &pair[..value]),
                None => pair.to_owned(),
            }
        })
        .collect();
    pairs.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(redact_url("redis://u?x:secret@h"), "redis://u:***@h");
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
            "memory://:***@&password=***"
        );
    }
}
