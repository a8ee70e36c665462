//! What a function does when its value ages or its computation fails: fail-safe (serve
//! the last good value when the computation fails), refresh ahead of expiry, jittered
//! lifetimes, the soft timeout of the computation. Set per function (`#[ecached(...)]`
//! options, const builders of [`FnCache`](super::FnCache)); the hard timeout wraps the
//! computation where `#[ecached]` expands (see `hard_timeout.rs`).
//!
//! Only an entry's *time* can make it stale. An entry whose key was invalidated is gone; one
//! whose tag or prefix was invalidated fails its versions check; neither is ever served,
//! by fail-safe or anything else.

use super::clock::ms_after;
use super::entry::Times;
use crate::backend::timeout::Timeout;
use std::time::Duration;

/// How long fail-safe keeps serving a stale value after a failure before asking the
/// computation again, unless `fail_safe_throttle` says otherwise.
pub const DEFAULT_FAIL_SAFE_THROTTLE: Duration = Duration::from_secs(30);

/// When a hit also starts a background recomputation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RefreshAhead {
    /// Once this fraction (0 to 1) of the entry's lifetime has passed.
    Fraction(f64),
    /// Once the entry is this old.
    After(Duration),
}

/// How much each stored lifetime is lengthened, at random, so entries written together do
/// not all expire together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Jitter {
    /// Up to this fraction of the lifetime.
    Fraction(f64),
    /// Up to this long.
    UpTo(Duration),
}

/// Fail-safe, refresh, jitter and timeout options (none by default): a function's own
/// (`#[ecached(fail_safe = 300, ...)]`), or the defaults of a cache instance for every
/// function caching in it ([`ResilientInstance`](crate::ResilientInstance), or the
/// `fail_safe`, `refresh_ahead`, ... options of a backend URL). A function's own option
/// wins over the instance's; an option the function turns off (`fail_safe = false`) stays
/// off whatever the instance says.
///
/// ```
/// use easy_cache_core::{Jitter, RefreshAhead, Resilience};
/// use std::time::Duration;
/// let defaults = Resilience::new()
///     .fail_safe(Duration::from_secs(3600))
///     .refresh_ahead(RefreshAhead::Fraction(0.8))
///     .jitter(Jitter::Fraction(0.1))
///     .hard_timeout(Duration::from_secs(2));
/// assert_eq!(defaults.fail_safe_max_stale(), Some(Duration::from_secs(3600)));
/// assert_eq!(Resilience::new().fail_safe_max_stale(), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resilience {
    pub(crate) fail_safe: Option<Duration>,
    pub(crate) throttle: Option<Duration>,
    pub(crate) refresh_ahead: Option<RefreshAhead>,
    pub(crate) jitter: Option<Jitter>,
    pub(crate) soft_timeout: Option<Duration>,
    pub(crate) hard_timeout: Option<Duration>,
    /// The options turned off here, which no default turns on (bits of [`ResilienceOption`]).
    off: u8,
}

impl Default for Resilience {
    fn default() -> Self {
        Self::NONE
    }
}

/// One of the options of [`Resilience`], to turn off (see [`Resilience::without`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ResilienceOption {
    /// `fail_safe` (and its throttle).
    FailSafe = 1,
    /// `refresh_ahead`.
    RefreshAhead = 2,
    /// `jitter`.
    Jitter = 4,
    /// `soft_timeout`.
    SoftTimeout = 8,
    /// `hard_timeout`.
    HardTimeout = 16,
}
/// How one value is written: the backend lifetime, and the logical one stored with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifetime {
    /// What the backend is asked to keep it for.
    pub physical: Timeout,
    /// Its logical lifetime, when the function needs one in the entry.
    pub times: Option<Times>,
    /// Until when it is fresh (engine clock; `None`: no logical end).
    pub fresh_until: Option<u64>,
}

impl Resilience {
    /// No option set: entries live their timeout, failures reach the caller.
    pub const NONE: Resilience = Resilience {
        fail_safe: None,
        throttle: None,
        refresh_ahead: None,
        jitter: None,
        soft_timeout: None,
        hard_timeout: None,
        off: 0,
    };

    /// No option set (see [`NONE`](Self::NONE)).
    pub const fn new() -> Self {
        Self::NONE
    }

    /// Serves the last good value when the computation fails (an `Err`, a panic, the hard
    /// timeout), if it expired at most `max_stale` ago.
    pub const fn fail_safe(mut self, max_stale: Duration) -> Self {
        self.fail_safe = Some(max_stale);
        self
    }

    /// How long a stale value served after a failure is served before the computation is
    /// asked again (default [`DEFAULT_FAIL_SAFE_THROTTLE`]).
    pub const fn fail_safe_throttle(mut self, throttle: Duration) -> Self {
        self.throttle = Some(throttle);
        self
    }

    /// Recomputes in the background when a hit finds its entry past this point.
    pub const fn refresh_ahead(mut self, when: RefreshAhead) -> Self {
        self.refresh_ahead = Some(when);
        self
    }

    /// Lengthens each stored lifetime at random, within `jitter`.
    pub const fn jitter(mut self, jitter: Jitter) -> Self {
        self.jitter = Some(jitter);
        self
    }

    /// With a stale value at hand, serves it once the computation has run this long, and
    /// lets the computation finish in the background.
    pub const fn soft_timeout(mut self, after: Duration) -> Self {
        self.soft_timeout = Some(after);
        self
    }

    /// Abandons a computation that runs this long: the stale value of a fail-safe
    /// function, else the timeout error. As an instance default it applies to `async`
    /// functions returning `Result<_, E>` with `E: From<easy_cache::Error>` (others have
    /// no way to say "timed out" and are not interrupted).
    pub const fn hard_timeout(mut self, limit: Duration) -> Self {
        self.hard_timeout = Some(limit);
        self
    }

    /// Turns `option` off: no default turns it back on.
    pub const fn without(mut self, option: ResilienceOption) -> Self {
        self.off |= option as u8;
        match option {
            ResilienceOption::FailSafe => {
                self.fail_safe = None;
                self.throttle = None;
            }
            ResilienceOption::RefreshAhead => self.refresh_ahead = None,
            ResilienceOption::Jitter => self.jitter = None,
            ResilienceOption::SoftTimeout => self.soft_timeout = None,
            ResilienceOption::HardTimeout => self.hard_timeout = None,
        }
        self
    }

    /// The longest a value past its lifetime is served after a failure (`None`: no
    /// fail-safe).
    pub fn fail_safe_max_stale(&self) -> Option<Duration> {
        self.fail_safe
    }

    /// These options, each one not set here taken from `defaults` (unless turned off here).
    pub fn or(&self, defaults: &Resilience) -> Resilience {
        let inherit = |option: ResilienceOption| self.off & option as u8 == 0;
        let fail_safe = inherit(ResilienceOption::FailSafe);
        Resilience {
            fail_safe: self.fail_safe.or(defaults.fail_safe.filter(|_| fail_safe)),
            throttle: self.throttle.or(defaults.throttle.filter(|_| fail_safe)),
            refresh_ahead: self.refresh_ahead.or(defaults
                .refresh_ahead
                .filter(|_| inherit(ResilienceOption::RefreshAhead))),
            jitter: self.jitter.or(defaults
                .jitter
                .filter(|_| inherit(ResilienceOption::Jitter))),
            soft_timeout: self.soft_timeout.or(defaults
                .soft_timeout
                .filter(|_| inherit(ResilienceOption::SoftTimeout))),
            hard_timeout: self.hard_timeout.or(defaults
                .hard_timeout
                .filter(|_| inherit(ResilienceOption::HardTimeout))),
            off: self.off | defaults.off,
        }
    }

    /// Whether this says nothing (no option set or turned off).
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::NONE
    }

    /// Whether entries carry their logical lifetime (format 2).
    pub(crate) const fn needs_times(&self) -> bool {
        self.fail_safe.is_some() || self.refresh_ahead.is_some()
    }

    /// How a value computed at `now` (engine clock) is written, given the function's
    /// `timeout` and the backend's default.
    pub(crate) fn lifetime(
        &self,
        timeout: Timeout,
        backend_default: Option<Duration>,
        now: u64,
    ) -> Lifetime {
        let logical = timeout
            .resolve(backend_default)
            .map(|life| self.jittered(life));
        let fresh_until = logical.map(|life| ms_after(now, life));
        let physical = match logical {
            Some(life) => Timeout::After(life.saturating_add(self.fail_safe.unwrap_or_default())),
            None => timeout,
        };
        if !self.needs_times() {
            return Lifetime {
                physical,
                times: None,
                fresh_until,
            };
        }
        let stale_until = match (fresh_until, self.fail_safe) {
            (Some(until), Some(max_stale)) => ms_after(until, max_stale),
            _ => 0,
        };
        let refresh_at = match (self.refresh_ahead, logical) {
            (Some(RefreshAhead::Fraction(f)), Some(life)) => {
                ms_after(now, life.mul_f64(f.clamp(0.0, 1.0)))
            }
            (Some(RefreshAhead::After(after)), _) => ms_after(now, after),
            _ => 0,
        };
        Lifetime {
            physical,
            times: Some(Times {
                fresh_until: fresh_until.unwrap_or(0),
                stale_until,
                refresh_at,
            }),
            fresh_until,
        }
    }

    /// A stale value served after a failure, written again: fresh for the throttle (never
    /// past its fail-safe end), so the failing computation is not asked at every call.
    pub(crate) fn throttled(&self, stale: Times, now: u64) -> Option<(Timeout, Times)> {
        let throttle = self.throttle.unwrap_or(DEFAULT_FAIL_SAFE_THROTTLE);
        let fresh_until = ms_after(now, throttle).min(stale.stale_until);
        let left = stale.stale_until.checked_sub(now).filter(|&ms| ms > 0)?;
        let times = Times {
            fresh_until,
            stale_until: stale.stale_until,
            refresh_at: 0,
        };
        Some((Timeout::After(Duration::from_millis(left)), times))
    }

    fn jittered(&self, life: Duration) -> Duration {
        let most = match self.jitter {
            None => return life,
            Some(Jitter::Fraction(f)) => life.mul_f64(f.clamp(0.0, 1.0)),
            Some(Jitter::UpTo(most)) => most,
        };
        let most_ms = u64::try_from(most.as_millis()).unwrap_or(u64::MAX);
        if life.is_zero() || most_ms == 0 {
            return life;
        }
        life.saturating_add(Duration::from_millis(fastrand::u64(0..=most_ms)))
    }
}

/// What a stored entry's time says at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    Fresh,
    /// Fresh, and past its refresh point.
    RefreshDue,
    /// Past freshness, usable only as a fail-safe fallback.
    Stale,
    /// Past every use.
    Dead,
}

impl Times {
    /// The age of an entry with these times at `now`.
    pub(crate) fn age(&self, now: u64) -> Age {
        if self.fresh_until == 0 || now < self.fresh_until {
            if self.refresh_at != 0 && now >= self.refresh_at {
                Age::RefreshDue
            } else {
                Age::Fresh
            }
        } else if now < self.stale_until {
            Age::Stale
        } else {
            Age::Dead
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn without_options_an_entry_lives_its_timeout_and_carries_no_times() {
        let life = Resilience::NONE.lifetime(Timeout::After(MIN), None, 1000);
        assert_eq!(life.physical, Timeout::After(MIN));
        assert_eq!(life.times, None);
        assert_eq!(life.fresh_until, Some(61_000));
    }

    #[test]
    fn fail_safe_keeps_the_entry_past_freshness_for_its_window() {
        let options = Resilience {
            fail_safe: Some(Duration::from_secs(600)),
            ..Resilience::NONE
        };
        let life = options.lifetime(Timeout::After(MIN), None, 1000);
        assert_eq!(life.physical, Timeout::After(Duration::from_secs(660)));
        let times = life.times.unwrap();
        assert_eq!((times.fresh_until, times.stale_until), (61_000, 661_000));
        assert_eq!(times.age(60_999), Age::Fresh);
        assert_eq!(times.age(61_000), Age::Stale);
        assert_eq!(times.age(661_000), Age::Dead);
        let (timeout, throttled) = options.throttled(times, 100_000).unwrap();
        assert_eq!(throttled.fresh_until, 130_000);
        assert_eq!(timeout, Timeout::After(Duration::from_millis(561_000)));
        assert_eq!(
            options.throttled(times, 661_000),
            None,
            "nothing left of the window"
        );
    }

    #[test]
    fn refresh_ahead_marks_a_point_inside_the_lifetime() {
        let options = Resilience {
            refresh_ahead: Some(RefreshAhead::Fraction(0.5)),
            ..Resilience::NONE
        };
        let times = options
            .lifetime(Timeout::After(MIN), None, 0)
            .times
            .unwrap();
        assert_eq!(times.refresh_at, 30_000);
        assert_eq!(times.age(29_999), Age::Fresh);
        assert_eq!(times.age(30_000), Age::RefreshDue);
        assert_eq!(times.age(60_000), Age::Dead, "no fail-safe: dead at expiry");
    }

    #[test]
    fn jitter_lengthens_lifetimes_within_its_bound() {
        let options = Resilience {
            jitter: Some(Jitter::Fraction(0.5)),
            ..Resilience::NONE
        };
        let lives: Vec<Duration> = (0..200)
            .map(
                |_| match options.lifetime(Timeout::After(MIN), None, 0).physical {
                    Timeout::After(life) => life,
                    other => panic!("{other:?}"),
                },
            )
            .collect();
        assert!(lives.iter().all(|l| *l >= MIN && *l <= MIN + MIN / 2));
        assert!(lives.iter().any(|l| *l != lives[0]), "randomized");
        let never = options.lifetime(Timeout::Never, None, 0);
        assert_eq!(never.physical, Timeout::Never);
    }

    #[test]
    fn the_backend_default_is_the_lifetime_of_a_default_timeout() {
        let options = Resilience {
            fail_safe: Some(MIN),
            ..Resilience::NONE
        };
        let life = options.lifetime(Timeout::Default, Some(MIN), 0);
        assert_eq!(life.physical, Timeout::After(MIN * 2));
        let unknown = options.lifetime(Timeout::Default, None, 0);
        assert_eq!(unknown.physical, Timeout::Default);
        assert_eq!(unknown.times.unwrap().age(u64::MAX - 1), Age::Fresh);
    }
}
