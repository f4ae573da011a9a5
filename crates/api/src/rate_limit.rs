//! Rate limits on the doors an attacker would knock on (register, log in, accept an invite):
//! a fixed one-minute window per client address and door, in memory. Several instances each
//! count on their own, which only makes the limit per instance; that is acceptable for a
//! brake on guessing.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use kept_core::Clock;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Door {
    Register,
    Login,
    AcceptInvite,
}

/// Past this many tracked windows, expired ones are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    clock: Arc<dyn Clock>,
    windows: Mutex<HashMap<(Door, IpAddr), (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt; refuses with 429 and `Retry-After` past `per_minute`.
    pub fn check(&self, door: Door, client: IpAddr, per_minute: u32) -> Result<(), ApiError> {
        let now: DateTime<Utc> = self.clock.now();
        let minute = now.timestamp().div_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.len() > SWEEP_AT {
            windows.retain(|_, (window, _)| *window == minute);
        }
        let entry = windows.entry((door, client)).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1 >= per_minute {
            let retry_after = 60 - now.timestamp().rem_euclid(60);
            return Err(ApiError::too_many_requests(
                u64::try_from(retry_after).unwrap_or(60),
            ));
        }
        entry.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use kept_core::ManualClock;

    #[test]
    fn a_door_closes_after_the_limit_and_reopens_next_minute() {
        let start = Utc
            .with_ymd_and_hms(2026, 1, 1, 12, 0, 10)
            .single()
            .unwrap_or_default();
        let clock = ManualClock::new(start);
        let limiter = RateLimiter::new(Arc::new(clock.clone()));
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert!(limiter.check(Door::Login, ip, 2).is_ok());
        assert!(limiter.check(Door::Login, ip, 2).is_ok());
        assert_eq!(
            limiter.check(Door::Login, ip, 2).map_err(|e| e.code()),
            Err("rate_limited")
        );
        assert!(
            limiter.check(Door::Register, ip, 2).is_ok(),
            "doors count separately"
        );
        assert!(
            limiter.check(Door::Login, [10, 0, 0, 1].into(), 2).is_ok(),
            "addresses count separately"
        );
        clock.advance(chrono::Duration::seconds(50));
        assert!(limiter.check(Door::Login, ip, 2).is_ok());
    }
}
