//! How long a stored value lives.

use std::time::Duration;

/// The lifetime of a stored value.
///
/// ```
/// use easy_cache_core::Timeout;
/// use std::time::Duration;
/// assert_eq!(Timeout::from(600u64), Timeout::After(Duration::from_secs(600)));
/// assert_eq!(Timeout::from(None::<Duration>), Timeout::Never);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Timeout {
    /// Let the backend decide (its configured default; the seed's `DEFAULT_TIMEOUT`).
    #[default]
    Default,
    /// Keep until evicted or invalidated.
    Never,
    /// Expire after this long. A zero duration means "do not store".
    After(Duration),
}

impl Timeout {
    /// `Timeout::After` a number of seconds.
    ///
    /// ```
    /// use easy_cache_core::Timeout;
    /// const HOUR: Timeout = Timeout::secs(3600);
    /// assert_eq!(HOUR, Timeout::After(std::time::Duration::from_secs(3600)));
    /// ```
    pub const fn secs(secs: u64) -> Self {
        Timeout::After(Duration::from_secs(secs))
    }

    /// Resolves [`Timeout::Default`] against a backend's default (`None` = never expire).
    ///
    /// ```
    /// use easy_cache_core::Timeout;
    /// use std::time::Duration;
    /// let backend_default = Some(Duration::from_secs(300));
    /// assert_eq!(Timeout::Default.resolve(backend_default), backend_default);
    /// assert_eq!(Timeout::Never.resolve(backend_default), None);
    /// assert_eq!(Timeout::secs(5).resolve(None), Some(Duration::from_secs(5)));
    /// ```
    pub fn resolve(self, backend_default: Option<Duration>) -> Option<Duration> {
        match self {
            Timeout::Default => backend_default,
            Timeout::Never => None,
            Timeout::After(d) => Some(d),
        }
    }

    /// True for `After(0)`: storing would be pointless.
    ///
    /// ```
    /// use easy_cache_core::Timeout;
    /// assert!(Timeout::After(std::time::Duration::ZERO).is_zero());
    /// assert!(!Timeout::Never.is_zero());
    /// assert!(!Timeout::Default.is_zero());
    /// ```
    pub fn is_zero(self) -> bool {
        matches!(self, Timeout::After(d) if d.is_zero())
    }
}

/// The integer types a timeout in seconds may have, given to `$m!` as one list (the
/// `From` impls below and the timeout functions of `#[ecached]` both use it).
macro_rules! for_each_seconds_type {
    ($m:ident) => {
        $m!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);
    };
}
pub(crate) use for_each_seconds_type;

// Where a timeout is expected: seconds, a `Duration`, `Option<Duration>` (`None` = never),
// or a `Timeout`.

impl From<Duration> for Timeout {
    fn from(duration: Duration) -> Self {
        Timeout::After(duration)
    }
}

impl From<Option<Duration>> for Timeout {
    fn from(duration: Option<Duration>) -> Self {
        duration.map_or(Timeout::Never, Timeout::After)
    }
}

macro_rules! from_seconds {
    ($($t:ty),*) => {$(
        impl From<$t> for Timeout {
            fn from(seconds: $t) -> Self {
                // Negative seconds make no sense as a lifetime: treat as "do not store".
                Timeout::After(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
            }
        }
    )*};
}
for_each_seconds_type!(from_seconds);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_against_backend_default() {
        let d = Some(Duration::from_secs(5));
        assert_eq!(Timeout::Default.resolve(d), d);
        assert_eq!(Timeout::Never.resolve(d), None);
        assert_eq!(Timeout::secs(1).resolve(d), Some(Duration::from_secs(1)));
    }

    #[test]
    fn converts_seconds_durations_and_options() {
        assert_eq!(Timeout::from(60u32), Timeout::secs(60));
        assert_eq!(Timeout::from(600u64), Timeout::secs(600));
        let millis = Duration::from_millis(1500);
        assert_eq!(Timeout::from(millis), Timeout::After(millis));
        assert_eq!(
            Timeout::from(Some(Duration::from_secs(1))),
            Timeout::secs(1)
        );
        assert_eq!(Timeout::from(None::<Duration>), Timeout::Never);
    }

    #[test]
    fn negative_seconds_mean_do_not_store() {
        assert!(Timeout::from(-5i32).is_zero());
        assert!(!Timeout::Never.is_zero());
    }
}
