//! When reminders fire. Each reminder is one scheduled item (a talk and a lead time, a
//! commitment, a person's check-in times, a weekly summary); these rules give its next firing
//! after a moment, in the owner's time zone, with [`crate::schedule`]'s DST handling: a 20:00
//! check-in stays at local 20:00 across a DST change, a time in the spring gap moves forward,
//! a time in the autumn overlap fires once. The scheduler only finds what is due.

use crate::check_in::CheckInTimes;
use crate::schedule::{Recurrence, Schedule};
use crate::talk::{Cadence, starts};
use chrono::{DateTime, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// What a reminder is about; stored by name.
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// Both partners, `lead` before each start of an accepted talk.
    Talk,
    /// The committer, `lead` before each due time.
    Commitment,
    /// A person, at each of their check-in times.
    CheckIn,
    /// A person who asked for it, Mondays at 08:00.
    WeeklySummary,
    /// A partner, when the weekly check-in opens at the agreed day and time in their own zone;
    /// the first of the two firings opens the space's round.
    WeeklyOpening,
    /// Whoever has not submitted, once, `lead` before a round closes.
    WeeklyClosing,
}

crate::names::named_by_serde!(ReminderKind);

/// A firing: when it happens, and the occurrence it is about (a talk's start, a commitment's
/// due time; for check-ins and summaries, the firing time itself). The pair is the reminder's
/// idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Firing {
    pub at: DateTime<Utc>,
    pub occurrence: DateTime<Utc>,
}

/// How late a firing may still go out: a reminder of something already past, or a check-in
/// nudge hours late (the server was down), helps no one.
pub const CHECK_IN_STALE_AFTER: Duration = Duration::hours(2);

impl Firing {
    /// Whether the firing is still worth sending at `now`.
    pub fn is_timely(&self, kind: ReminderKind, now: DateTime<Utc>) -> bool {
        match kind {
            ReminderKind::Talk | ReminderKind::Commitment => self.occurrence > now,
            ReminderKind::CheckIn => now - self.at <= CHECK_IN_STALE_AFTER,
            ReminderKind::WeeklySummary | ReminderKind::WeeklyOpening => {
                now - self.at <= Duration::days(1)
            }
            ReminderKind::WeeklyClosing => self.occurrence > now,
        }
    }
}

/// The next check-in reminder strictly after `after`: the earliest of the person's local times.
pub fn next_check_in(times: &CheckInTimes, zone: Tz, after: DateTime<Utc>) -> Option<Firing> {
    times
        .times()
        .iter()
        .filter_map(|at| {
            Schedule {
                recurrence: Recurrence::Daily { at: *at },
                zone,
            }
            .next_after(after)
        })
        .min()
        .map(|at| Firing { at, occurrence: at })
}

/// The next reminder `lead` before a start of a talk first held at `first`, strictly after
/// `after`.
pub fn next_talk(
    first: DateTime<Utc>,
    cadence: Cadence,
    zone: Tz,
    lead: Duration,
    after: DateTime<Utc>,
) -> Option<Firing> {
    // Any start within 400 days; `starts` walks the cadence in local time.
    starts(
        first,
        cadence,
        zone,
        after + lead,
        after + lead + Duration::days(400),
    )
    .into_iter()
    .find(|start| *start - lead > after)
    .map(|start| Firing {
        at: start - lead,
        occurrence: start,
    })
}

/// The next reminder `lead` before a due time of `schedule`, strictly after `after`.
pub fn next_commitment(
    schedule: &Schedule,
    lead: Duration,
    after: DateTime<Utc>,
) -> Option<Firing> {
    schedule.next_after(after + lead).map(|due| Firing {
        at: due - lead,
        occurrence: due,
    })
}

/// How long before a round closes the one nudge comes: a day, or half the round when it is
/// open for less than two days.
pub fn weekly_closing_lead(open_for: Duration) -> Duration {
    Duration::days(1).min(open_for / 2)
}

/// The next weekly summary: Monday 08:00 local, strictly after `after`.
pub fn next_weekly_summary(zone: Tz, after: DateTime<Utc>) -> Option<Firing> {
    Schedule {
        recurrence: Recurrence::Weekly {
            days: vec![Weekday::Mon],
            at: NaiveTime::from_hms_opt(8, 0, 0)?,
        },
        zone,
    }
    .next_after(after)
    .map(|at| Firing { at, occurrence: at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap_or_default()
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    fn times(list: &[(u32, u32)]) -> CheckInTimes {
        CheckInTimes::parse(list.iter().map(|(h, m)| hm(*h, *m)).collect()).unwrap_or_default()
    }

    /// Every firing of a check-in reminder from `from`, for `days` days.
    fn check_ins(
        list: &[(u32, u32)],
        zone: Tz,
        from: DateTime<Utc>,
        days: i64,
    ) -> Vec<DateTime<Utc>> {
        let times = times(list);
        let mut out = Vec::new();
        let mut after = from;
        while let Some(firing) = next_check_in(&times, zone, after) {
            if firing.at > from + Duration::days(days) {
                break;
            }
            out.push(firing.at);
            after = firing.at;
        }
        out
    }

    #[test]
    fn a_check_in_stays_at_local_time_across_dst_in_berlin_and_new_york() {
        // Berlin springs forward on 29 March 2026: 20:00 is 19:00 UTC before, 18:00 after.
        let berlin = chrono_tz::Europe::Berlin;
        let fired = check_ins(&[(20, 0)], berlin, utc(2026, 3, 28, 12, 0), 2);
        assert_eq!(
            fired,
            vec![utc(2026, 3, 28, 19, 0), utc(2026, 3, 29, 18, 0)]
        );
        // New York falls back on 1 November 2026: 08:00 is 12:00 UTC before, 13:00 after.
        let new_york = chrono_tz::America::New_York;
        let fired = check_ins(&[(8, 0)], new_york, utc(2026, 10, 31, 0, 0), 2);
        assert_eq!(
            fired,
            vec![utc(2026, 10, 31, 12, 0), utc(2026, 11, 1, 13, 0)]
        );
    }

    #[test]
    fn a_check_in_in_the_spring_gap_moves_forward_and_one_in_the_overlap_fires_once() {
        // Sydney: clocks go 02:00 → 03:00 on 4 October 2026; 02:30 that day happens at 03:30
        // AEDT (16:30 UTC on the 3rd).
        let sydney = chrono_tz::Australia::Sydney;
        let fired = check_ins(&[(2, 30)], sydney, utc(2026, 10, 2, 12, 0), 2);
        assert_eq!(
            fired,
            vec![utc(2026, 10, 2, 16, 30), utc(2026, 10, 3, 16, 30)]
        );
        // Sydney: clocks go 03:00 → 02:00 on 5 April 2026; 02:30 exists twice and fires once,
        // at its first (AEDT, 15:30 UTC on the 4th).
        let fired = check_ins(&[(2, 30)], sydney, utc(2026, 4, 4, 0, 0), 1);
        assert_eq!(fired, vec![utc(2026, 4, 4, 15, 30)]);
        // New York, 8 March 2026: 02:30 does not exist; it fires at 03:30 EDT (07:30 UTC).
        let new_york = chrono_tz::America::New_York;
        let fired = check_ins(&[(2, 30)], new_york, utc(2026, 3, 7, 12, 0), 1);
        assert_eq!(fired, vec![utc(2026, 3, 8, 7, 30)]);
    }

    #[test]
    fn several_check_in_times_fire_in_order_in_kolkata() {
        // UTC+05:30, no DST: 09:00 and 21:00 are 03:30 and 15:30 UTC.
        let kolkata = chrono_tz::Asia::Kolkata;
        let fired = check_ins(&[(21, 0), (9, 0)], kolkata, utc(2026, 6, 1, 0, 0), 1);
        assert_eq!(fired, vec![utc(2026, 6, 1, 3, 30), utc(2026, 6, 1, 15, 30)]);
    }

    #[test]
    fn talk_reminders_come_lead_before_each_local_start() {
        // A weekly talk on Sundays at 18:00 Berlin, first on 22 March 2026 (17:00 UTC); the
        // next Sunday is after the DST change (16:00 UTC).
        let berlin = chrono_tz::Europe::Berlin;
        let first = utc(2026, 3, 22, 17, 0);
        let day = Duration::hours(24);
        let a = next_talk(first, Cadence::Weekly, berlin, day, utc(2026, 3, 20, 0, 0));
        assert_eq!(
            a,
            Some(Firing {
                at: utc(2026, 3, 21, 17, 0),
                occurrence: first
            })
        );
        let b = next_talk(first, Cadence::Weekly, berlin, day, utc(2026, 3, 21, 17, 0));
        assert_eq!(b.map(|f| f.occurrence), Some(utc(2026, 3, 29, 16, 0)));
        assert_eq!(b.map(|f| f.at), Some(utc(2026, 3, 28, 16, 0)));
        // A one-off talk has no reminder once it is past.
        assert_eq!(
            next_talk(first, Cadence::Once, berlin, day, utc(2026, 3, 21, 17, 0)),
            None
        );
    }

    #[test]
    fn commitment_reminders_come_lead_before_each_due_time_on_weekly_days() {
        // Mondays and Thursdays at 21:00 in New York, an hour ahead.
        let schedule = Schedule {
            recurrence: Recurrence::Weekly {
                days: vec![Weekday::Mon, Weekday::Thu],
                at: hm(21, 0),
            },
            zone: chrono_tz::America::New_York,
        };
        let hour = Duration::hours(1);
        let mut after = utc(2026, 3, 5, 0, 0); // Thursday 5 March
        let mut fired = Vec::new();
        for _ in 0..3 {
            let firing = next_commitment(&schedule, hour, after).unwrap_or(Firing {
                at: after,
                occurrence: after,
            });
            fired.push((firing.at, firing.occurrence));
            after = firing.at;
        }
        assert_eq!(
            fired,
            vec![
                (utc(2026, 3, 6, 1, 0), utc(2026, 3, 6, 2, 0)), // Thu 21:00 EST
                (utc(2026, 3, 10, 0, 0), utc(2026, 3, 10, 1, 0)), // Mon 21:00 EDT
                (utc(2026, 3, 13, 0, 0), utc(2026, 3, 13, 1, 0)), // Thu 21:00 EDT
            ]
        );
    }

    #[test]
    fn weekly_summaries_and_staleness() {
        let kolkata = chrono_tz::Asia::Kolkata;
        let monday = next_weekly_summary(kolkata, utc(2026, 11, 26, 0, 0));
        assert_eq!(monday.map(|f| f.at), Some(utc(2026, 11, 30, 2, 30)));
        let firing = Firing {
            at: utc(2026, 3, 1, 10, 0),
            occurrence: utc(2026, 3, 1, 11, 0),
        };
        assert!(firing.is_timely(ReminderKind::Talk, utc(2026, 3, 1, 10, 59)));
        assert!(!firing.is_timely(ReminderKind::Talk, utc(2026, 3, 1, 11, 0)));
        assert!(firing.is_timely(ReminderKind::CheckIn, utc(2026, 3, 1, 12, 0)));
        assert!(!firing.is_timely(ReminderKind::CheckIn, utc(2026, 3, 1, 12, 1)));
        // A nudge is worth sending only while the round is still open.
        assert!(firing.is_timely(ReminderKind::WeeklyClosing, utc(2026, 3, 1, 10, 59)));
        assert!(!firing.is_timely(ReminderKind::WeeklyClosing, utc(2026, 3, 1, 11, 0)));
        assert_eq!(weekly_closing_lead(Duration::days(3)), Duration::days(1));
        assert_eq!(weekly_closing_lead(Duration::days(1)), Duration::hours(12));
    }
}
