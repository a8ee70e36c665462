//! The bounded labels of a function's series: its path, its cache alias, its backend.

/// The labels of one function's series (`&'static` or built once: never per call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Labels {
    pub function: &'static str,
    pub cache: &'static str,
    pub backend: String,
}

/// The `backend` label of an instance named `name`: the scheme of its URL (`redis` for
/// `redis://host:6379`), or the whole name when it has none (`memory`).
pub(crate) fn backend(name: &str) -> String {
    name.split_once("://")
        .map_or(name, |(scheme, _)| scheme)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_label_is_the_scheme() {
        assert_eq!(backend("redis://cache:6379/0"), "redis");
        assert_eq!(backend("memory"), "memory");
    }
}
