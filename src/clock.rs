//! Time as the core sees it: injectable, so tests of windows and durations never sleep.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Notified each time the clock is moved by hand. Only a manual clock moves so: code that
    /// sleeps until a time (the digest scheduler) also wakes on it, so a test's jump is seen at
    /// once. The wall clock returns None.
    fn moved(&self) -> Option<&tokio::sync::Notify> {
        None
    }
}

/// The wall clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
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
