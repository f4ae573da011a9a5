//! When weekly check-in rounds open: on a day and at a local time the partners agreed on
//! (Sunday 18:00 unless they agree otherwise), read in each partner's own time zone. A week's
//! round opens for the space at the earlier of the two partners' local openings; each partner is
//! told at their own, so nobody is asked at three in the morning because the other lives
//! elsewhere.
//!
//! Weeks are ISO weeks of the calendar date: the partners' two openings of one week fall on the
//! same local date, each in their own zone, whatever the clocks did in between.

use crate::schedule::local_instant;
use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// The agreed day and local time of the weekly round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySchedule {
    pub weekday: Weekday,
    pub at: NaiveTime,
}

impl Default for WeeklySchedule {
    fn default() -> Self {
        WeeklySchedule {
            weekday: Weekday::Sun,
            at: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN),
        }
    }
}

/// One week's opening: when the round opens, and when each partner is told (in the order their
/// zones were given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub round_opens_at: DateTime<Utc>,
    pub partners: [DateTime<Utc>; 2],
}

impl WeeklySchedule {
    /// The first week's opening whose round opens strictly after `after`.
    pub fn next_opening(&self, zones: [Tz; 2], after: DateTime<Utc>) -> Opening {
        let date = after.date_naive();
        let this_monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        // Local dates run up to a day either side of UTC, so the week before `after`'s can still
        // open after it; three weeks always hold the next opening.
        (-1..=2)
            .map(|week| self.opening_in_week(zones, this_monday + Duration::weeks(week)))
            .find(|opening| opening.round_opens_at > after)
            .unwrap_or_else(|| self.opening_in_week(zones, this_monday + Duration::weeks(3)))
    }

    /// When partner `partner` (0 or 1, in the order of `zones`) is next told of an opening,
    /// strictly after `after`: their own local day and time.
    pub fn next_told(&self, zones: [Tz; 2], partner: usize, after: DateTime<Utc>) -> DateTime<Utc> {
        let date = after.date_naive();
        let this_monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        let told = |week: i64| {
            let opening = self.opening_in_week(zones, this_monday + Duration::weeks(week));
            opening.partners[partner.min(1)]
        };
        (-1..=2)
            .map(told)
            .find(|at| *at > after)
            .unwrap_or_else(|| told(3))
    }

    /// The opening whose partner `partner` was told at `told` (one of [`Self::next_told`]'s
    /// instants); `None` when no week's opening tells them then (the plan or a zone changed).
    pub fn opening_told_at(
        &self,
        zones: [Tz; 2],
        partner: usize,
        told: DateTime<Utc>,
    ) -> Option<Opening> {
        let date = told.date_naive();
        let this_monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        (-1..=1)
            .map(|week| self.opening_in_week(zones, this_monday + Duration::weeks(week)))
            .find(|opening| opening.partners[partner.min(1)] == told)
    }

    /// The opening of the week that starts (locally) on `monday`.
    fn opening_in_week(&self, zones: [Tz; 2], monday: chrono::NaiveDate) -> Opening {
        let day = monday + Duration::days(i64::from(self.weekday.num_days_from_monday()));
        let partners = zones.map(|zone| local_instant(zone, day, self.at));
        Opening {
            round_opens_at: partners[0].min(partners[1]),
            partners,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn tz(name: &str) -> Tz {
        name.parse().unwrap_or(Tz::UTC)
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap_or_default()
    }

    fn local(instant: DateTime<Utc>, zone: &str) -> String {
        instant
            .with_timezone(&tz(zone))
            .format("%a %Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn each_partner_is_asked_at_their_own_sunday_evening() {
        let zones = [tz("Europe/Berlin"), tz("America/New_York")];
        let opening = WeeklySchedule::default().next_opening(zones, utc(2026, 11, 29, 9, 0));
        assert_eq!(
            local(opening.partners[0], "Europe/Berlin"),
            "Sun 2026-11-29 18:00"
        );
        assert_eq!(
            local(opening.partners[1], "America/New_York"),
            "Sun 2026-11-29 18:00"
        );
        assert_eq!(opening.round_opens_at, utc(2026, 11, 29, 17, 0));
        assert_eq!(opening.partners[1], utc(2026, 11, 29, 23, 0));
    }

    #[test]
    fn each_partner_is_told_once_a_week_at_their_own_time() {
        let zones = [tz("Europe/Berlin"), tz("America/New_York")];
        let schedule = WeeklySchedule::default();
        // Between the two openings of one Sunday, the later partner is still to be told.
        let between = utc(2026, 11, 29, 20, 0);
        assert_eq!(
            schedule.next_told(zones, 1, between),
            utc(2026, 11, 29, 23, 0)
        );
        assert_eq!(
            schedule.next_told(zones, 0, between),
            utc(2026, 12, 6, 17, 0)
        );
        // Each told instant names its week's opening, which opens at the earlier of the two.
        let bens = schedule.next_told(zones, 1, between);
        let opening = schedule.opening_told_at(zones, 1, bens);
        assert_eq!(
            opening.map(|o| o.round_opens_at),
            Some(utc(2026, 11, 29, 17, 0))
        );
        assert_eq!(schedule.opening_told_at(zones, 1, between), None);
        // Across New York's autumn change, its partner hears at 18:00 local both weeks.
        let mut after = utc(2026, 10, 20, 0, 0);
        for _ in 0..3 {
            let at = schedule.next_told(zones, 1, after);
            assert!(local(at, "America/New_York").starts_with("Sun"));
            assert!(local(at, "America/New_York").ends_with("18:00"));
            after = at;
        }
    }

    #[test]
    fn the_local_time_holds_across_daylight_saving_in_both_zones() {
        let zones = [tz("Europe/Berlin"), tz("America/New_York")];
        let schedule = WeeklySchedule::default();
        // Europe moves its clocks on 29 March 2026, New York on 8 March and 1 November.
        let mut after = utc(2026, 2, 20, 0, 0);
        for _ in 0..45 {
            let opening = schedule.next_opening(zones, after);
            assert!(local(opening.partners[0], "Europe/Berlin").ends_with("18:00"));
            assert!(local(opening.partners[1], "America/New_York").ends_with("18:00"));
            assert!(local(opening.partners[0], "Europe/Berlin").starts_with("Sun"));
            assert!(opening.round_opens_at > after);
            // A week, give or take the hour the clocks moved.
            assert!(opening.round_opens_at - after <= Duration::days(7) + Duration::hours(1));
            after = opening.round_opens_at;
        }
        let spring = schedule.next_opening(zones, utc(2026, 3, 29, 0, 0));
        assert_eq!(spring.partners[0], utc(2026, 3, 29, 16, 0));
        let autumn = schedule.next_opening(zones, utc(2026, 11, 1, 0, 0));
        assert_eq!(autumn.partners[1], utc(2026, 11, 1, 23, 0));
        let before_autumn = schedule.next_opening(zones, utc(2026, 10, 25, 0, 0));
        assert_eq!(before_autumn.partners[1], utc(2026, 10, 25, 22, 0));
    }

    #[test]
    fn partners_a_day_apart_share_the_week_of_their_own_calendars() {
        // Sunday 18:00 in Auckland is Sunday 05:00 UTC; in Los Angeles, Monday 02:00 UTC.
        let zones = [tz("Pacific/Auckland"), tz("America/Los_Angeles")];
        let opening = WeeklySchedule::default().next_opening(zones, utc(2026, 11, 29, 6, 0));
        assert_eq!(
            local(opening.partners[0], "Pacific/Auckland"),
            "Sun 2026-12-06 18:00"
        );
        assert_eq!(
            local(opening.partners[1], "America/Los_Angeles"),
            "Sun 2026-12-06 18:00"
        );
        assert_eq!(opening.round_opens_at, opening.partners[0]);
        // Between the two of one week, the next round is the following week's.
        let just_before = WeeklySchedule::default().next_opening(zones, utc(2026, 11, 29, 4, 0));
        assert_eq!(
            local(just_before.partners[0], "Pacific/Auckland"),
            "Sun 2026-11-29 18:00"
        );
    }

    #[test]
    fn a_time_the_clocks_skip_opens_as_far_after_the_gap() {
        let schedule = WeeklySchedule {
            weekday: Weekday::Sun,
            at: NaiveTime::from_hms_opt(2, 30, 0).unwrap_or(NaiveTime::MIN),
        };
        let zones = [tz("Europe/Berlin"), tz("Europe/Berlin")];
        let opening = schedule.next_opening(zones, utc(2026, 3, 28, 12, 0));
        assert_eq!(
            local(opening.partners[0], "Europe/Berlin"),
            "Sun 2026-03-29 03:30"
        );
        // An opening is strictly after `after`: at the opening itself, the next is a week on.
        let next = schedule.next_opening(zones, opening.round_opens_at);
        assert_eq!(
            next.round_opens_at - opening.round_opens_at,
            Duration::hours(167)
        );
    }
}
