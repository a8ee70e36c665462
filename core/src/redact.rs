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
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let tail = redact_query(tail);
            format!("{scheme}://{user}:***@{}{tail}", &authority[at + 1..])
        }
        None => format!("{scheme}://{authority}{}", redact_query(tail)),
    }
}

/// Query parameters whose values are secrets.
const SECRET_PARAMS: [&str; 3] = ["password", "pass", "token"];

fn redact_query(tail: &str) -> String {
    let Some((path, query)) = tail.split_once('?') else {
        return tail.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if SECRET_PARAMS.contains(&k.to_ascii_lowercase().as_str()) => {
                format!("{k}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
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
    }
}
