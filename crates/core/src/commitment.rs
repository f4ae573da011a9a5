//! Commitments: a concrete promise one partner (the committer) makes to the other (the
//! referee), once by a due time or on a recurring schedule in the committer's time zone.
//!
//! Each occurrence: `due → kept` (by the committer, from the moment it opens until due + grace)
//! `→ confirmed | disputed` (by the partner); `due → missed` by itself after due + grace.
//! A commitment can be renegotiated (a new version; occurrences not yet open follow it) or
//! retired.

use crate::error::{DomainError, Invalid};
use crate::ids::UserId;
use crate::schedule::Recurrence;
use crate::text::Text;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// What exactly is promised.
pub type CommitmentText = Text<2000>;
/// A partner's note on keeping, or reason for disputing.
pub type OccurrenceNote = Text<2000>;

/// How long after the due time an occurrence can still be marked kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grace(i64);

impl Grace {
    pub const MAX_MINUTES: i64 = 7 * 24 * 60;

    pub fn minutes(minutes: i64) -> Result<Self, String> {
        if (0..=Self::MAX_MINUTES).contains(&minutes) {
            Ok(Self(minutes))
        } else {
            Err(format!(
                "must be between 0 and {} minutes (7 days)",
                Self::MAX_MINUTES
            ))
        }
    }

    pub fn as_minutes(self) -> i64 {
        self.0
    }

    pub fn duration(self) -> Duration {
        Duration::minutes(self.0)
    }
}

/// A schedule as asked for, checked against the present: a one-off due time must lie ahead.
pub fn check_recurrence(recurrence: &Recurrence, now: DateTime<Utc>) -> Result<(), Invalid> {
    match recurrence {
        Recurrence::Once { due } => {
            crate::clock::ensure_future("schedule.due", *due, now, "must be in the future")
        }
        Recurrence::Weekly { days, .. } if days.is_empty() => {
            Err(Invalid::field("schedule.days", "choose at least one day"))
        }
        _ => Ok(()),
    }
}

/// After which instant renegotiated terms fall due. Occurrences already marked stay as they
/// were; when the latest of them was marked ahead of its due time, the new terms begin after
/// that occurrence's local day, so that a changed time never asks for a second one that day.
pub fn renegotiated_from(
    now: DateTime<Utc>,
    last_marked_due: Option<DateTime<Utc>>,
    zone: chrono_tz::Tz,
) -> DateTime<Utc> {
    match last_marked_due {
        Some(due) if due > now => {
            let next_day = due.with_timezone(&zone).date_naive() + Duration::days(1);
            // `occurrences(after, …)` excludes `after`: a second before local midnight lets an
            // occurrence at 00:00 on the next day count.
            crate::schedule::local_instant(zone, next_day, chrono::NaiveTime::MIN)
                - Duration::seconds(1)
        }
        _ => now,
    }
}

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CommitmentState {
    Active,
    Retired,
}

crate::names::named_by_serde!(CommitmentState);

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceState {
    Due,
    Kept,
    Confirmed,
    Disputed,
    Missed,
}

crate::names::named_by_serde!(OccurrenceState);

/// What the rules need to know of one occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OccurrenceFacts {
    pub committer: UserId,
    pub state: OccurrenceState,
    /// From when it can be marked kept (the previous occurrence's due time, or creation).
    pub opens_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub grace: Grace,
}

impl OccurrenceFacts {
    pub fn deadline(&self) -> DateTime<Utc> {
        self.due_at + self.grace.duration()
    }

    /// The committer says it was done.
    pub fn mark_kept(
        &self,
        by: UserId,
        now: DateTime<Utc>,
    ) -> Result<OccurrenceState, DomainError> {
        if by != self.committer {
            return Err(forbidden(
                "not_the_committer",
                "only the one who made the commitment marks it kept",
            ));
        }
        match self.state {
            OccurrenceState::Due if now < self.opens_at => Err(conflict(
                "occurrence_not_open",
                "this occurrence is not open yet",
            )),
            OccurrenceState::Due if now > self.deadline() => Err(conflict(
                "occurrence_missed",
                "the time to mark this occurrence kept has passed",
            )),
            OccurrenceState::Due => Ok(OccurrenceState::Kept),
            OccurrenceState::Missed => {
                Err(conflict("occurrence_missed", "this occurrence was missed"))
            }
            _ => Err(conflict(
                "occurrence_already_kept",
                "this occurrence is already marked kept",
            )),
        }
    }

    /// The partner, as referee, confirms it was kept.
    pub fn confirm(&self, by: UserId) -> Result<OccurrenceState, DomainError> {
        self.review(by).map(|()| OccurrenceState::Confirmed)
    }

    /// The partner, as referee, disputes that it was kept.
    pub fn dispute(&self, by: UserId) -> Result<OccurrenceState, DomainError> {
        self.review(by).map(|()| OccurrenceState::Disputed)
    }

    fn review(&self, by: UserId) -> Result<(), DomainError> {
        if by == self.committer {
            return Err(forbidden(
                "not_the_partner",
                "the partner confirms or disputes, not the committer",
            ));
        }
        match self.state {
            OccurrenceState::Kept => Ok(()),
            OccurrenceState::Confirmed | OccurrenceState::Disputed => Err(conflict(
                "occurrence_already_reviewed",
                "this occurrence was already confirmed or disputed",
            )),
            _ => Err(conflict(
                "occurrence_not_kept",
                "only an occurrence marked kept can be confirmed or disputed",
            )),
        }
    }

    /// Whether the sweep should turn it `missed` at `now`.
    pub fn is_missed_at(&self, now: DateTime<Utc>) -> bool {
        self.state == OccurrenceState::Due && now > self.deadline()
    }
}

fn forbidden(code: &'static str, message: &'static str) -> DomainError {
    DomainError::Forbidden { code, message }
}

fn conflict(code: &'static str, message: &'static str) -> DomainError {
    DomainError::Conflict { code, message }
}

#[cfg(test)]
mod tests {

    #[test]
    fn renegotiated_terms_begin_after_the_day_of_an_early_kept_occurrence() {
        let berlin = chrono_tz::Europe::Berlin;
        let at = |d, h| {
            Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0)
                .single()
                .unwrap_or_default()
        };
        let now = at(2, 8);
        assert_eq!(renegotiated_from(now, None, berlin), now);
        assert_eq!(
            renegotiated_from(now, Some(at(1, 20)), berlin),
            now,
            "a past one changes nothing"
        );
        // Kept at 08:00 for 21:00 Berlin tonight: the new terms start after Berlin's midnight.
        assert_eq!(
            renegotiated_from(now, Some(at(2, 20)), berlin),
            at(2, 23) - Duration::seconds(1)
        );
    }

    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
            .single()
            .unwrap_or_default()
    }

    fn facts(committer: UserId, state: OccurrenceState) -> OccurrenceFacts {
        OccurrenceFacts {
            committer,
            state,
            opens_at: at(8, 0),
            due_at: at(21, 0),
            grace: Grace(60),
        }
    }

    fn people() -> (UserId, UserId) {
        (UserId::new_at(at(0, 0)), UserId::new_at(at(0, 1)))
    }

    #[test]
    fn the_committer_marks_kept_within_the_window_and_the_partner_referees() {
        let (committer, partner) = people();
        let due = facts(committer, OccurrenceState::Due);
        assert_eq!(
            due.mark_kept(committer, at(20, 0)),
            Ok(OccurrenceState::Kept)
        );
        assert_eq!(
            due.mark_kept(committer, at(22, 0)),
            Ok(OccurrenceState::Kept),
            "within grace"
        );
        assert!(matches!(
            due.mark_kept(committer, at(22, 1)),
            Err(DomainError::Conflict {
                code: "occurrence_missed",
                ..
            })
        ));
        assert!(matches!(
            due.mark_kept(committer, at(7, 59)),
            Err(DomainError::Conflict {
                code: "occurrence_not_open",
                ..
            })
        ));
        assert!(matches!(
            due.mark_kept(partner, at(20, 0)),
            Err(DomainError::Forbidden {
                code: "not_the_committer",
                ..
            })
        ));

        let kept = facts(committer, OccurrenceState::Kept);
        assert_eq!(kept.confirm(partner), Ok(OccurrenceState::Confirmed));
        assert_eq!(kept.dispute(partner), Ok(OccurrenceState::Disputed));
        assert!(matches!(
            kept.confirm(committer),
            Err(DomainError::Forbidden {
                code: "not_the_partner",
                ..
            })
        ));
        assert!(matches!(
            kept.mark_kept(committer, at(20, 0)),
            Err(DomainError::Conflict {
                code: "occurrence_already_kept",
                ..
            })
        ));
        assert!(matches!(
            due.confirm(partner),
            Err(DomainError::Conflict {
                code: "occurrence_not_kept",
                ..
            })
        ));
        let confirmed = facts(committer, OccurrenceState::Confirmed);
        assert!(matches!(
            confirmed.dispute(partner),
            Err(DomainError::Conflict {
                code: "occurrence_already_reviewed",
                ..
            })
        ));
    }

    #[test]
    fn an_unmarked_occurrence_is_missed_only_after_due_plus_grace() {
        let (committer, _) = people();
        let due = facts(committer, OccurrenceState::Due);
        assert!(!due.is_missed_at(at(22, 0)));
        assert!(due.is_missed_at(at(22, 1)));
        assert!(!facts(committer, OccurrenceState::Kept).is_missed_at(at(23, 0)));
        let missed = facts(committer, OccurrenceState::Missed);
        assert!(matches!(
            missed.mark_kept(committer, at(20, 0)),
            Err(DomainError::Conflict {
                code: "occurrence_missed",
                ..
            })
        ));
    }

    #[test]
    fn schedules_and_grace_are_checked() {
        assert!(Grace::minutes(-1).is_err());
        assert!(Grace::minutes(Grace::MAX_MINUTES + 1).is_err());
        assert_eq!(Grace::minutes(90).map(Grace::as_minutes), Ok(90));
        assert!(
            check_recurrence(&Recurrence::Once { due: at(9, 0) }, at(10, 0)).is_err(),
            "a due time in the past"
        );
        assert!(check_recurrence(&Recurrence::Once { due: at(11, 0) }, at(10, 0)).is_ok());
        let empty = Recurrence::Weekly {
            days: Vec::new(),
            at: chrono::NaiveTime::MIN,
        };
        assert!(check_recurrence(&empty, at(10, 0)).is_err());
        for state in [
            OccurrenceState::Due,
            OccurrenceState::Kept,
            OccurrenceState::Confirmed,
            OccurrenceState::Disputed,
            OccurrenceState::Missed,
        ] {
            assert_eq!(
                state.to_string().parse::<OccurrenceState>().ok(),
                Some(state)
            );
        }
    }
}
