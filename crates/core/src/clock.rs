//! The one place time comes from. Nothing in Kept reads the system clock directly: production
//! passes [`SystemClock`], tests pass a [`ManualClock`] they move, so days of expiry and
//! scheduling run in milliseconds.

use crate::error::Invalid;
use chrono::{DateTime, Duration, Utc};
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};

pub trait Clock: Send + Sync + Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// Refuses a time that is not ahead of `now` (due times, deliveries, talk starts).
pub fn ensure_future(
    field: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
    message: &str,
) -> Result<(), Invalid> {
    if at > now {
        Ok(())
    } else {
        Err(Invalid::field(field, message))
    }
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_moves_only_when_told_and_clones_share_time() {
        let start = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single();
        let clock = ManualClock::new(start.unwrap_or_default());
        let twin = clock.clone();
        assert_eq!(clock.now(), twin.now());
        twin.advance(Duration::days(7));
        assert_eq!(clock.now(), start.unwrap_or_default() + Duration::days(7));
    }
}
