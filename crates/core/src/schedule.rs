//! Schedules in a person's own time zone: once at an instant, or daily / on weekdays / weekly on
//! chosen days at a local time. A 09:00 item stays at local 09:00 across DST changes; a local
//! time that does not exist that day (the spring-forward gap) moves forward by the gap; one that
//! exists twice (the autumn overlap) happens once, at its first occurrence.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Recurrence {
    /// One occurrence, due at this instant.
    Once { due: DateTime<Utc> },
    Daily {
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::LocalTime))]
        at: NaiveTime,
    },
    /// Monday to Friday.
    Weekdays {
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::LocalTime))]
        at: NaiveTime,
    },
    Weekly {
        /// Day names: "Mon", "Tue", … (full English names are accepted too).
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::openapi::DayName>, min_items = 1))]
        days: Vec<Weekday>,
        #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::LocalTime))]
        at: NaiveTime,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    pub recurrence: Recurrence,
    pub zone: Tz,
}

impl Schedule {
    /// The first occurrence strictly after `after`, if any.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let (at, days) = match &self.recurrence {
            Recurrence::Once { due } => return (*due > after).then_some(*due),
            Recurrence::Daily { at } => (*at, None),
            Recurrence::Weekdays { at } => (*at, Some(weekdays())),
            Recurrence::Weekly { days, at } if !days.is_empty() => (*at, Some(days.clone())),
            Recurrence::Weekly { .. } => return None,
        };
        // Start a day early: a local day can begin before `after` in UTC terms.
        let first_day = after.with_timezone(&self.zone).date_naive() - Duration::days(1);
        (0..=8)
            .map(|offset| first_day + Duration::days(offset))
            .filter(|day| {
                days.as_ref()
                    .is_none_or(|days| days.contains(&day.weekday()))
            })
            .map(|day| local_instant(self.zone, day, at))
            .find(|instant| *instant > after)
    }

    /// Every occurrence in `(after, until]`, in order.
    pub fn occurrences(&self, after: DateTime<Utc>, until: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        std::iter::successors(self.next_after(after), |last| self.next_after(*last))
            .take_while(|due| *due <= until)
            .collect()
    }
}

fn weekdays() -> Vec<Weekday> {
    vec![
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
}

/// The instant of local `time` on local `day` in `zone`, resolving DST gaps and overlaps.
pub fn local_instant(zone: Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = NaiveDateTime::new(day, time);
    match zone.from_local_datetime(&local) {
        LocalResult::Single(instant) => instant.with_timezone(&Utc),
        // Autumn: the wall clock shows this time twice; the first is the one that counts.
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        // Spring: this time is skipped. Read it with the offset in force just before the gap,
        // which lands as far after the gap as the time was into it (02:30 → 03:30).
        // (The wall clock three hours earlier is before the gap; read as local time, not as
        // UTC, which for zones far east of UTC would land after it.)
        LocalResult::None => {
            let offset = zone
                .offset_from_local_datetime(&(local - Duration::hours(3)))
                .earliest()
                .map(|offset| chrono::Offset::fix(&offset))
                .unwrap_or_else(|| chrono::Offset::fix(zone.from_utc_datetime(&local).offset()));
            DateTime::from_naive_utc_and_offset(local - offset, Utc)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn tz(name: &str) -> Tz {
        name.parse().unwrap_or(Tz::UTC)
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .unwrap_or_default()
    }

    fn time(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    fn local(zone: Tz, instants: &[DateTime<Utc>]) -> Vec<String> {
        instants
            .iter()
            .map(|i| {
                i.with_timezone(&zone)
                    .format("%a %m-%d %H:%M %Z")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn a_daily_time_stays_at_local_time_across_dst_in_berlin() {
        let zone = tz("Europe/Berlin");
        let daily = Schedule {
            recurrence: Recurrence::Daily { at: time(9, 0) },
            zone,
        };
        // Summer time starts on Sunday 2026-03-29.
        let got = daily.occurrences(utc(2026, 3, 27, 12, 0), utc(2026, 3, 31, 12, 0));
        assert_eq!(
            local(zone, &got),
            [
                "Sat 03-28 09:00 CET",
                "Sun 03-29 09:00 CEST",
                "Mon 03-30 09:00 CEST",
                "Tue 03-31 09:00 CEST"
            ]
        );
        assert_eq!(got[0], utc(2026, 3, 28, 8, 0));
        assert_eq!(got[1], utc(2026, 3, 29, 7, 0));
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_forward_by_the_gap() {
        // New York springs forward at 02:00 on 2026-03-08: 02:30 does not exist that day.
        let zone = tz("America/New_York");
        let daily = Schedule {
            recurrence: Recurrence::Daily { at: time(2, 30) },
            zone,
        };
        let got = daily.occurrences(utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 23, 0));
        assert_eq!(
            local(zone, &got),
            [
                "Sat 03-07 02:30 EST",
                "Sun 03-08 03:30 EDT",
                "Mon 03-09 02:30 EDT"
            ]
        );
        // Berlin, 2026-03-29: 02:15 becomes 03:15.
        let berlin = tz("Europe/Berlin");
        assert_eq!(
            local_instant(
                berlin,
                NaiveDate::from_ymd_opt(2026, 3, 29).unwrap_or_default(),
                time(2, 15)
            ),
            utc(2026, 3, 29, 1, 15)
        );
    }

    #[test]
    fn a_time_in_the_autumn_overlap_happens_once() {
        // Sydney falls back at 03:00 on 2026-04-05: 02:30 happens twice; it fires once, first.
        let zone = tz("Australia/Sydney");
        let daily = Schedule {
            recurrence: Recurrence::Daily { at: time(2, 30) },
            zone,
        };
        let got = daily.occurrences(utc(2026, 4, 3, 0, 0), utc(2026, 4, 6, 0, 0));
        assert_eq!(
            local(zone, &got),
            [
                "Sat 04-04 02:30 AEDT",
                "Sun 04-05 02:30 AEDT",
                "Mon 04-06 02:30 AEST"
            ]
        );
        assert_eq!(got[1], utc(2026, 4, 4, 15, 30));
    }

    #[test]
    fn weekdays_and_weekly_days_are_local_days() {
        // Kolkata is UTC+05:30 with no DST: 06:00 local Monday is Sunday 00:30 UTC.
        let zone = tz("Asia/Kolkata");
        let weekdays = Schedule {
            recurrence: Recurrence::Weekdays { at: time(6, 0) },
            zone,
        };
        let got = weekdays.occurrences(utc(2026, 3, 1, 0, 0), utc(2026, 3, 8, 0, 0));
        assert_eq!(
            local(zone, &got),
            [
                "Mon 03-02 06:00 IST",
                "Tue 03-03 06:00 IST",
                "Wed 03-04 06:00 IST",
                "Thu 03-05 06:00 IST",
                "Fri 03-06 06:00 IST"
            ]
        );
        assert_eq!(got[0], utc(2026, 3, 2, 0, 30));

        let zone = tz("America/New_York");
        let days = vec![Weekday::Tue, Weekday::Sat];
        let weekly = Schedule {
            recurrence: Recurrence::Weekly {
                days,
                at: time(20, 0),
            },
            zone,
        };
        let got = weekly.occurrences(utc(2026, 3, 2, 0, 0), utc(2026, 3, 15, 0, 0));
        assert_eq!(
            local(zone, &got),
            [
                "Tue 03-03 20:00 EST",
                "Sat 03-07 20:00 EST",
                "Tue 03-10 20:00 EDT",
                "Sat 03-14 20:00 EDT"
            ]
        );
    }

    #[test]
    fn once_is_once_and_an_empty_week_is_never() {
        let due = utc(2026, 5, 1, 18, 0);
        let once = Schedule {
            recurrence: Recurrence::Once { due },
            zone: Tz::UTC,
        };
        assert_eq!(once.next_after(utc(2026, 5, 1, 0, 0)), Some(due));
        assert_eq!(once.next_after(due), None);
        let never = Schedule {
            recurrence: Recurrence::Weekly {
                days: Vec::new(),
                at: time(9, 0),
            },
            zone: Tz::UTC,
        };
        assert_eq!(never.next_after(due), None);
    }

    #[test]
    fn every_day_of_a_year_has_exactly_one_occurrence_in_every_zone() {
        for name in [
            "Europe/Berlin",
            "America/New_York",
            "Australia/Sydney",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
        ] {
            let zone = tz(name);
            for at in [time(0, 0), time(2, 30), time(9, 0), time(23, 59)] {
                let daily = Schedule {
                    recurrence: Recurrence::Daily { at },
                    zone,
                };
                let got = daily.occurrences(utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0));
                let days: BTreeSet<NaiveDate> = got
                    .iter()
                    .map(|i| i.with_timezone(&zone).date_naive())
                    .collect();
                assert_eq!(got.len(), days.len(), "{name} {at}: one per local day");
                assert!(
                    (364..=366).contains(&got.len()),
                    "{name} {at}: {}",
                    got.len()
                );
                assert!(
                    got.windows(2).all(|w| w[0] < w[1]),
                    "{name} {at}: strictly increasing"
                );
            }
        }
    }
}
