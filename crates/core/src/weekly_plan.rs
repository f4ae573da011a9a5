//! The weekly check-in's plan: the day and local time rounds open, how many days each stays
//! open, and the prompts it asks. One partner proposes a plan and the other accepts it (as with
//! a talk); until then the plan last agreed on holds, or the defaults when there is none.

use crate::error::{DomainError, Invalid};
use crate::ids::UserId;
use crate::weekly::{DEFAULT_OPEN_DAYS, DEFAULT_PROMPTS, Prompt, parse_prompts};
use crate::weekly_schedule::WeeklySchedule;
use chrono::{Duration, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

/// A round stays open at least a day and closes before the next week's opens.
pub const MAX_OPEN_DAYS: i64 = 6;

/// When rounds open, for how long, and what they ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyPlan {
    /// The day the round opens, in each partner's own time zone.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::DayName))]
    pub weekday: Weekday,
    /// The local time it opens, in each partner's own time zone.
    #[cfg_attr(feature = "openapi", schema(value_type = crate::openapi::LocalTime))]
    pub at: NaiveTime,
    /// Days a round stays open, 1 to 6.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 6))]
    pub open_days: i64,
    /// What each round asks, 1 to 8 prompts.
    pub prompts: Vec<String>,
}

impl Default for WeeklyPlan {
    fn default() -> Self {
        let schedule = WeeklySchedule::default();
        WeeklyPlan {
            weekday: schedule.weekday,
            at: schedule.at,
            open_days: DEFAULT_OPEN_DAYS,
            prompts: DEFAULT_PROMPTS.iter().map(|p| (*p).to_owned()).collect(),
        }
    }
}

impl WeeklyPlan {
    /// A plan as a partner proposed it: the day and time as given, `open_days` from 1 to 6,
    /// prompts as [`parse_prompts`] accepts them (trimmed).
    pub fn parse(
        weekday: Weekday,
        at: NaiveTime,
        open_days: i64,
        prompts: &[String],
    ) -> Result<Self, Invalid> {
        let mut invalid = Invalid(Vec::new());
        let open_days = invalid.check(
            "open_days",
            Some(open_days)
                .filter(|days| (1..=MAX_OPEN_DAYS).contains(days))
                .ok_or_else(|| format!("must be from 1 to {MAX_OPEN_DAYS} days")),
        );
        let prompts = match parse_prompts(prompts) {
            Ok(prompts) => Some(prompts),
            Err(Invalid(fields)) => {
                invalid.0.extend(fields);
                None
            }
        };
        invalid.into_result()?;
        Ok(WeeklyPlan {
            weekday,
            // Minutes are what a person sets; seconds would only make two plans differ unseen.
            at: NaiveTime::from_hms_opt(
                chrono::Timelike::hour(&at),
                chrono::Timelike::minute(&at),
                0,
            )
            .unwrap_or(at),
            open_days: open_days.unwrap_or(DEFAULT_OPEN_DAYS),
            prompts: prompts
                .unwrap_or_default()
                .into_iter()
                .map(Prompt::into_string)
                .collect(),
        })
    }

    pub fn schedule(&self) -> WeeklySchedule {
        WeeklySchedule {
            weekday: self.weekday,
            at: self.at,
        }
    }

    /// How long a round stays open.
    pub fn open_for(&self) -> Duration {
        Duration::days(self.open_days.clamp(1, MAX_OPEN_DAYS))
    }
}

/// What the rules need to know of a pending proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanFacts {
    /// Who proposed the pending plan; `None` when nothing is pending.
    pub proposed_by: Option<UserId>,
}

const NOTHING_PENDING: DomainError = DomainError::Conflict {
    code: "no_proposal",
    message: "no weekly plan is waiting for an answer",
};

impl PlanFacts {
    /// Only the other partner accepts (or declines) a proposal.
    pub fn accept(self, by: UserId) -> Result<(), DomainError> {
        match self.proposed_by {
            None => Err(NOTHING_PENDING),
            Some(proposer) if proposer == by => Err(DomainError::Forbidden {
                code: "own_proposal",
                message: "your partner accepts the plan you proposed",
            }),
            Some(_) => Ok(()),
        }
    }

    /// Either partner may drop a pending proposal: the proposer withdraws it, the other
    /// declines it.
    pub fn withdraw(self) -> Result<(), DomainError> {
        self.proposed_by.map(|_| ()).ok_or(NOTHING_PENDING)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
    }

    #[test]
    fn a_plan_takes_one_to_six_days_and_valid_prompts() {
        let prompts = vec!["How was the week?".to_owned()];
        let plan = WeeklyPlan::parse(Weekday::Fri, hm(19, 30), 2, &prompts);
        assert_eq!(plan.map(|p| p.open_days), Ok(2));
        for days in [0, 7, -1] {
            let refused = WeeklyPlan::parse(Weekday::Fri, hm(19, 30), days, &prompts);
            assert!(refused.is_err_and(|Invalid(f)| f[0].field == "open_days"));
        }
        // Every problem at once: the days and the prompt.
        let both = WeeklyPlan::parse(Weekday::Fri, hm(19, 30), 9, &[" ".to_owned()]);
        assert!(both.is_err_and(|Invalid(f)| f.len() == 2));
        let seconds = NaiveTime::from_hms_opt(19, 30, 41).unwrap_or_default();
        let plan = WeeklyPlan::parse(Weekday::Fri, seconds, 2, &prompts);
        assert_eq!(plan.map(|p| p.at), Ok(hm(19, 30)));
    }

    #[test]
    fn only_the_other_partner_accepts_and_either_may_withdraw() {
        let (ada, bo) = (UserId::new_at(Utc::now()), UserId::new_at(Utc::now()));
        let pending = PlanFacts {
            proposed_by: Some(ada),
        };
        assert!(pending.accept(bo).is_ok());
        assert!(matches!(
            pending.accept(ada),
            Err(DomainError::Forbidden {
                code: "own_proposal",
                ..
            })
        ));
        assert!(pending.withdraw().is_ok());
        let none = PlanFacts { proposed_by: None };
        assert_eq!(none.accept(bo), Err(NOTHING_PENDING));
        assert_eq!(none.withdraw(), Err(NOTHING_PENDING));
    }
}
