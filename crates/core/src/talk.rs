//! Talks: the conversations partners promised to have. One proposes (title, agenda, mode, a
//! start and a duration, once or recurring); the other accepts, declines, or moves it to another
//! time — which makes the mover the proposer, so the other decides again. Each occurrence of an
//! accepted talk is marked held or skipped, with notes.

use crate::error::{DomainError, Invalid};
use crate::ids::UserId;
use crate::schedule::local_instant;
use crate::text::{Text, Title};
use chrono::{DateTime, Datelike, Duration, Months, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub type TalkTitle = Title;
pub type AgendaItem = Text<500>;
pub type TalkNotes = Text<20_000>;

/// What Kept offers to start an agenda with.
pub const AGENDA_TEMPLATE: [&str; 4] = ["Appreciations", "What went well", "One issue", "Needs"];
pub const MAX_AGENDA_ITEMS: usize = 30;

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TalkMode {
    InPerson,
    Call,
    /// For partners who find talking hard: the talk happens in letters.
    Letters,
}

crate::names::named_by_serde!(TalkMode);

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cadence {
    Once,
    Weekly,
    Fortnightly,
    Monthly,
}

crate::names::named_by_serde!(Cadence);

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TalkState {
    Proposed,
    Accepted,
    Declined,
}

crate::names::named_by_serde!(TalkState);

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    Held,
    Skipped,
}

crate::names::named_by_serde!(Outcome);

/// A duration of 10 minutes to 8 hours.
pub fn check_duration(minutes: i64) -> Result<i64, String> {
    if (10..=480).contains(&minutes) {
        Ok(minutes)
    } else {
        Err("must be between 10 and 480 minutes".into())
    }
}

/// A start must lie ahead.
pub fn check_start(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), Invalid> {
    crate::clock::ensure_future("starts_at", starts_at, now, "must be in the future")
}

/// The starts of a talk from `first`, at the same local time in `zone`, within `[from, until]`.
pub fn starts(
    first: DateTime<Utc>,
    cadence: Cadence,
    zone: Tz,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<DateTime<Utc>> {
    let local = first.with_timezone(&zone);
    let (day, time) = (local.date_naive(), local.time());
    let nth = |n: u32| -> Option<DateTime<Utc>> {
        let date = match cadence {
            Cadence::Once => (n == 0).then_some(day)?,
            Cadence::Weekly => day + Duration::weeks(i64::from(n)),
            Cadence::Fortnightly => day + Duration::weeks(2 * i64::from(n)),
            // The same day of the month, or the month's last day when it is shorter.
            Cadence::Monthly => day.checked_add_months(Months::new(n)).or_else(|| {
                let next = day.with_day(1)?.checked_add_months(Months::new(n + 1))?;
                next.pred_opt()
            })?,
        };
        Some(local_instant(zone, date, time))
    };
    (0..)
        .map_while(nth)
        .take_while(|start| *start <= until)
        .filter(|start| *start >= from)
        .take(200)
        .collect()
}

/// What the rules need to know of a talk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TalkFacts {
    pub proposer: UserId,
    pub state: TalkState,
}

impl TalkFacts {
    pub fn accept(self, by: UserId) -> Result<TalkState, DomainError> {
        self.answer(by).map(|()| TalkState::Accepted)
    }

    pub fn decline(self, by: UserId) -> Result<TalkState, DomainError> {
        self.answer(by).map(|()| TalkState::Declined)
    }

    /// Either partner proposes another time; the mover becomes the proposer.
    pub fn move_to(self) -> Result<TalkState, DomainError> {
        match self.state {
            TalkState::Proposed | TalkState::Accepted => Ok(TalkState::Proposed),
            TalkState::Declined => Err(DomainError::Conflict {
                code: "talk_declined",
                message: "this talk was declined; propose a new one",
            }),
        }
    }

    /// Held or skipped: for accepted talks, once the occurrence has started.
    pub fn mark(self, start: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.state != TalkState::Accepted {
            return Err(DomainError::Conflict {
                code: "talk_not_accepted",
                message: "only an accepted talk is held or skipped",
            });
        }
        if now < start {
            return Err(DomainError::Conflict {
                code: "talk_not_started",
                message: "this occurrence has not started yet",
            });
        }
        Ok(())
    }

    fn answer(self, by: UserId) -> Result<(), DomainError> {
        if by == self.proposer {
            return Err(DomainError::Forbidden {
                code: "not_the_partner",
                message: "the partner answers a proposal, not its proposer",
            });
        }
        match self.state {
            TalkState::Proposed => Ok(()),
            _ => Err(DomainError::Conflict {
                code: "talk_not_proposed",
                message: "this talk is not waiting for an answer",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn a_weekly_talk_keeps_its_local_time_across_dst() {
        let zone: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
        // Sundays 19:00 Berlin, starting 2026-03-22 (CET): the 29th is CEST.
        let got = starts(
            utc(2026, 3, 22, 18),
            Cadence::Weekly,
            zone,
            utc(2026, 3, 1, 0),
            utc(2026, 4, 6, 0),
        );
        assert_eq!(
            got,
            [
                utc(2026, 3, 22, 18),
                utc(2026, 3, 29, 17),
                utc(2026, 4, 5, 17)
            ]
        );
        let fortnightly = starts(
            utc(2026, 3, 22, 18),
            Cadence::Fortnightly,
            zone,
            utc(2026, 3, 1, 0),
            utc(2026, 4, 6, 0),
        );
        assert_eq!(fortnightly.len(), 2);
        assert_eq!(
            starts(
                utc(2026, 3, 22, 18),
                Cadence::Once,
                zone,
                utc(2026, 3, 1, 0),
                utc(2027, 1, 1, 0)
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_monthly_talk_on_the_31st_falls_on_the_last_day_of_shorter_months() {
        let got = starts(
            utc(2026, 1, 31, 18),
            Cadence::Monthly,
            Tz::UTC,
            utc(2026, 1, 1, 0),
            utc(2026, 5, 1, 0),
        );
        assert_eq!(
            got,
            [
                utc(2026, 1, 31, 18),
                utc(2026, 2, 28, 18),
                utc(2026, 3, 31, 18),
                utc(2026, 4, 30, 18)
            ]
        );
    }

    #[test]
    fn the_partner_answers_and_moving_hands_the_decision_back() {
        let (ada, ben) = (
            UserId::new_at(utc(2026, 1, 1, 0)),
            UserId::new_at(utc(2026, 1, 1, 1)),
        );
        let proposed = TalkFacts {
            proposer: ada,
            state: TalkState::Proposed,
        };
        assert_eq!(proposed.accept(ben), Ok(TalkState::Accepted));
        assert_eq!(proposed.decline(ben), Ok(TalkState::Declined));
        assert!(matches!(
            proposed.accept(ada),
            Err(DomainError::Forbidden {
                code: "not_the_partner",
                ..
            })
        ));
        let accepted = TalkFacts {
            state: TalkState::Accepted,
            ..proposed
        };
        assert!(matches!(
            accepted.accept(ben),
            Err(DomainError::Conflict {
                code: "talk_not_proposed",
                ..
            })
        ));
        assert_eq!(accepted.move_to(), Ok(TalkState::Proposed));
        let declined = TalkFacts {
            state: TalkState::Declined,
            ..proposed
        };
        assert!(declined.move_to().is_err());
        assert!(
            accepted
                .mark(utc(2026, 1, 5, 18), utc(2026, 1, 5, 19))
                .is_ok()
        );
        assert!(matches!(
            accepted.mark(utc(2026, 1, 5, 18), utc(2026, 1, 5, 17)),
            Err(DomainError::Conflict {
                code: "talk_not_started",
                ..
            })
        ));
        assert!(matches!(
            proposed.mark(utc(2026, 1, 5, 18), utc(2026, 1, 5, 19)),
            Err(DomainError::Conflict {
                code: "talk_not_accepted",
                ..
            })
        ));
        assert!(
            check_duration(9).is_err()
                && check_duration(60).is_ok()
                && check_duration(481).is_err()
        );
    }
}
