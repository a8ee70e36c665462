//! What a call returned, as the counters and the `outcome` label say it.

/// What a call returned, as counted in [`series::CALLS`]'s `outcome` label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The cached value (in the near cache, the store, or found fresh after a wait).
    Hit,
    /// Not cached: the value came from a computation (this call's or a single flight's).
    Miss,
    /// The computation failed and the last good value was served (fail-safe).
    Stale,
    /// The computation failed and its failure was returned.
    Error,
    /// The backend failed (or no cache is registered under the alias): ran uncached.
    Bypass,
}

impl Outcome {
    /// Every outcome, in the order of [`Outcome::index`].
    #[cfg(feature = "metrics")]
    pub(crate) const ALL: [Outcome; 5] = [
        Outcome::Hit,
        Outcome::Miss,
        Outcome::Stale,
        Outcome::Error,
        Outcome::Bypass,
    ];

    /// The `outcome` label's value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Miss => "miss",
            Outcome::Stale => "stale",
            Outcome::Error => "error",
            Outcome::Bypass => "bypass",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}
