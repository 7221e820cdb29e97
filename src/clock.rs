//! Time as the core sees it: injectable, so tests of windows and durations never sleep.

use chrono::{DateTime, Utc};
use std::sync::{Mutex, OnceLock};

/// How every timestamp is stored and sent: RFC 3339 in UTC with microseconds, sortable as text.
pub fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A timestamp read back: any RFC 3339 offset, surrounding spaces ignored, in UTC.
pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Notified each time the clock is moved by hand. Only a manual clock moves so: code that
    /// sleeps until a time (the digest scheduler) also wakes on it, so a test's jump is seen at
    /// once. The wall clock returns None.
    fn moved(&self) -> Option<&tokio::sync::Notify> {
        None
    }
}

/// The wall clock, moved by `STEWARD_CLOCK_OFFSET` when it is set (`365d`, `-2h`): the check
/// that the suite and the demo pass a year from now runs them with the clock set ahead.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + wall_offset()
    }
}

/// The offset `STEWARD_CLOCK_OFFSET` asks for, read once. A value that does not parse is
/// reported once on stderr and ignored.
fn wall_offset() -> chrono::Duration {
    static OFFSET: OnceLock<chrono::Duration> = OnceLock::new();
    *OFFSET.get_or_init(|| {
        let Ok(raw) = std::env::var("STEWARD_CLOCK_OFFSET") else {
            return chrono::Duration::zero();
        };
        match parse_offset(&raw) {
            Some(d) => d,
            None => {
                eprintln!(
                    "steward: STEWARD_CLOCK_OFFSET={raw:.40} is not a duration such as 365d or -2h; ignored"
                );
                chrono::Duration::zero()
            }
        }
    })
}

/// `365d`, `+365d`, `-2h` → a signed duration.
fn parse_offset(raw: &str) -> Option<chrono::Duration> {
    let raw = raw.trim();
    let (sign, rest) = match raw.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, raw.strip_prefix('+').unwrap_or(raw)),
    };
    let d = chrono::Duration::from_std(crate::config::parse_duration(rest)?).ok()?;
    Some(d * sign)
}

/// A clock that starts at a chosen instant and runs at the wall clock's pace from there, and
/// that a story can move ahead by hand (`advance`). The demo and the tests that replay the demo
/// project's recorded runs live on it, so what they show never depends on today's date.
pub struct StoryClock {
    start: DateTime<Utc>,
    since: std::time::Instant,
    jumped: Mutex<chrono::Duration>,
    moved: tokio::sync::Notify,
}

impl StoryClock {
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        StoryClock {
            start,
            since: std::time::Instant::now(),
            jumped: Mutex::new(chrono::Duration::zero()),
            moved: tokio::sync::Notify::new(),
        }
    }

    /// Moves the story ahead by `d` (time passing between two scenes).
    pub fn advance(&self, d: chrono::Duration) {
        *self.jumped.lock().expect("clock lock") += d;
        self.moved.notify_waiters();
    }
}

impl Clock for StoryClock {
    fn now(&self) -> DateTime<Utc> {
        let ran = chrono::Duration::from_std(self.since.elapsed()).unwrap_or_default();
        self.start + ran + *self.jumped.lock().expect("clock lock")
    }

    fn moved(&self) -> Option<&tokio::sync::Notify> {
        Some(&self.moved)
    }
}

/// A clock that only moves when told to.
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
    moved: tokio::sync::Notify,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock {
            now: Mutex::new(start),
            moved: tokio::sync::Notify::new(),
        }
    }

    pub fn set(&self, t: DateTime<Utc>) {
        *self.now.lock().expect("clock lock") = t;
        self.moved.notify_waiters();
    }

    pub fn advance(&self, d: chrono::Duration) {
        *self.now.lock().expect("clock lock") += d;
        self.moved.notify_waiters();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock lock")
    }

    fn moved(&self) -> Option<&tokio::sync::Notify> {
        Some(&self.moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_with_a_sign() {
        assert_eq!(parse_offset("365d"), Some(chrono::Duration::days(365)));
        assert_eq!(parse_offset("+2h"), Some(chrono::Duration::hours(2)));
        assert_eq!(parse_offset("-30m"), Some(chrono::Duration::minutes(-30)));
        assert_eq!(parse_offset("soon"), None);
        assert_eq!(parse_offset(""), None);
    }

    #[test]
    fn a_story_clock_starts_where_told_runs_and_jumps() {
        let start = DateTime::parse_from_rfc3339("2026-11-25T02:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = StoryClock::starting_at(start);
        let first = clock.now();
        assert!(first >= start && first - start < chrono::Duration::seconds(5));
        clock.advance(chrono::Duration::minutes(20));
        let later = clock.now();
        assert!(later - first >= chrono::Duration::minutes(20));
        assert!(clock.now() >= later, "never runs backwards");
    }
}
