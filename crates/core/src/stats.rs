//! Stats: whether the new behaviour holds, week by week. Computed from facts read off the rows,
//! never stored. All weeks are ISO weeks in the viewer's time zone, so that both partners'
//! columns line up in one calendar.
//!
//! - A commitment occurrence counts in the week of its due time, once decided: marked (kept,
//!   then maybe confirmed or disputed) or missed; one still open is `pending`. On-time ratio:
//!   kept ÷ (kept + missed).
//! - A run is consecutive decided occurrences kept and not disputed; a missed or disputed one
//!   ends it. The current run is the one still going.
//! - Talks: starts of accepted talks up to now are planned; each is held, skipped or unmarked.
//! - Requests: created per week by their author; acknowledged ones with the median time to
//!   acknowledge, in hours; open ones now.
//! - Trust: the author's shared ratings per week, and their average.
//! - Weekly check-ins: rounds opened per week and of those the ones revealed; the two ratings of
//!   the week's last revealed round, only when both partners rated it (both then see both).

use crate::commitment::OccurrenceState;
use crate::ids::UserId;
use crate::request::RequestState;
use crate::talk::Outcome;
use chrono::{DateTime, Datelike, Duration, IsoWeek, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct OccurrenceFact {
    pub committer: UserId,
    pub due_at: DateTime<Utc>,
    pub state: OccurrenceState,
}

#[derive(Debug, Clone)]
pub struct TalkStartFact {
    pub starts_at: DateTime<Utc>,
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone)]
pub struct RequestFact {
    pub author: UserId,
    pub created_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub state: RequestState,
}

#[derive(Debug, Clone)]
pub struct RatingFact {
    pub author: UserId,
    pub local_day: NaiveDate,
    pub score: i32,
}

#[derive(Debug, Clone)]
pub struct StatsInput {
    pub partners: Vec<UserId>,
    pub zone: Tz,
    pub now: DateTime<Utc>,
    pub weeks: u32,
    pub occurrences: Vec<OccurrenceFact>,
    pub talk_starts: Vec<TalkStartFact>,
    pub requests: Vec<RequestFact>,
    /// Shared ratings only.
    pub ratings: Vec<RatingFact>,
    pub weekly_rounds: Vec<WeeklyRoundFact>,
}

/// A weekly check-in round: when it opened, and once revealed, each partner's rating (in the
/// order of `StatsInput::partners`; only ratings both may see, so none before the reveal).
#[derive(Debug, Clone)]
pub struct WeeklyRoundFact {
    pub opened_at: DateTime<Utc>,
    pub revealed: bool,
    pub ratings: Vec<Option<u8>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WeeklyCheckInWeek {
    pub week: String,
    /// Rounds opened this week.
    pub held: u32,
    /// Of those, the ones both partners answered.
    pub revealed: u32,
    /// Each partner's rating of the week's last revealed round, in the order of `partners`;
    /// none unless both rated it.
    pub ratings: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentWeek {
    pub kept: u32,
    pub confirmed: u32,
    pub disputed: u32,
    pub missed: u32,
    pub pending: u32,
    pub on_time_ratio: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestWeek {
    pub created: u32,
    pub acknowledged: u32,
    pub median_hours_to_acknowledge: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrustWeek {
    pub shared_ratings: u32,
    pub average: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerWeek {
    pub week: String,
    pub commitments: CommitmentWeek,
    pub requests: RequestWeek,
    pub trust: TrustWeek,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerStats {
    pub user_id: UserId,
    pub current_run: u32,
    pub longest_run: u32,
    pub open_requests: u32,
    pub weeks: Vec<PartnerWeek>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TalkWeek {
    pub week: String,
    pub planned: u32,
    pub held: u32,
    pub skipped: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Stats {
    pub weeks: Vec<String>,
    pub partners: Vec<PartnerStats>,
    pub talks: Vec<TalkWeek>,
    pub weekly_check_ins: Vec<WeeklyCheckInWeek>,
}

fn label(week: IsoWeek) -> String {
    format!("{}-W{:02}", week.year(), week.week())
}

/// The Monday that starts the ISO week `weeks_back` weeks before the one holding `day`.
fn monday(day: NaiveDate, weeks_back: u32) -> NaiveDate {
    let this_monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    this_monday - Duration::weeks(i64::from(weeks_back))
}

pub fn compute(input: &StatsInput) -> Stats {
    let today = input.now.with_timezone(&input.zone).date_naive();
    let weeks: Vec<IsoWeek> = (0..input.weeks)
        .rev()
        .map(|back| monday(today, back).iso_week())
        .collect();
    let labels: Vec<String> = weeks.iter().copied().map(label).collect();
    let week_of = |at: DateTime<Utc>| at.with_timezone(&input.zone).date_naive().iso_week();
    let index_of = |week: IsoWeek| weeks.iter().position(|w| *w == week);

    let partners = input
        .partners
        .iter()
        .map(|&partner| {
            let mut rows: Vec<PartnerWeek> = labels
                .iter()
                .map(|week| PartnerWeek {
                    week: week.clone(),
                    commitments: CommitmentWeek::default(),
                    requests: RequestWeek::default(),
                    trust: TrustWeek::default(),
                })
                .collect();
            let mut theirs: Vec<&OccurrenceFact> = input
                .occurrences
                .iter()
                // A decided occurrence counts at once (in its due week), even if marked early.
                .filter(|o| {
                    o.committer == partner
                        && (o.due_at <= input.now || o.state != OccurrenceState::Due)
                })
                .collect();
            theirs.sort_by_key(|o| o.due_at);
            for occurrence in &theirs {
                if let Some(i) = index_of(week_of(occurrence.due_at)) {
                    let week = &mut rows[i].commitments;
                    match occurrence.state {
                        OccurrenceState::Due => week.pending += 1,
                        OccurrenceState::Kept => week.kept += 1,
                        OccurrenceState::Confirmed => {
                            week.kept += 1;
                            week.confirmed += 1;
                        }
                        OccurrenceState::Disputed => {
                            week.kept += 1;
                            week.disputed += 1;
                        }
                        OccurrenceState::Missed => week.missed += 1,
                    }
                }
            }
            for row in &mut rows {
                let c = &mut row.commitments;
                c.on_time_ratio = ratio(c.kept, c.kept + c.missed);
            }
            let (current_run, longest_run) = runs(theirs.iter().map(|o| o.state));

            let mut hours: Vec<Vec<f64>> = vec![Vec::new(); rows.len()];
            for request in input.requests.iter().filter(|r| r.author == partner) {
                if let Some(i) = index_of(week_of(request.created_at)) {
                    rows[i].requests.created += 1;
                }
                if let Some(acknowledged) = request.acknowledged_at
                    && let Some(i) = index_of(week_of(acknowledged))
                {
                    rows[i].requests.acknowledged += 1;
                    hours[i].push((acknowledged - request.created_at).num_minutes() as f64 / 60.0);
                }
            }
            for (row, hours) in rows.iter_mut().zip(hours) {
                row.requests.median_hours_to_acknowledge = median(hours);
            }
            let open_requests = input
                .requests
                .iter()
                .filter(|r| {
                    r.author == partner
                        && matches!(r.state, RequestState::Open | RequestState::Acknowledged)
                })
                .count();

            let mut scores: Vec<Vec<i32>> = vec![Vec::new(); rows.len()];
            for rating in input.ratings.iter().filter(|r| r.author == partner) {
                if let Some(i) = index_of(rating.local_day.iso_week()) {
                    scores[i].push(rating.score);
                }
            }
            for (row, scores) in rows.iter_mut().zip(scores) {
                row.trust.shared_ratings = u32::try_from(scores.len()).unwrap_or(u32::MAX);
                row.trust.average = (!scores.is_empty())
                    .then(|| f64::from(scores.iter().sum::<i32>()) / scores.len() as f64);
            }
            PartnerStats {
                user_id: partner,
                current_run,
                longest_run,
                open_requests: u32::try_from(open_requests).unwrap_or(u32::MAX),
                weeks: rows,
            }
        })
        .collect();

    let mut talks: Vec<TalkWeek> = labels
        .iter()
        .map(|week| TalkWeek {
            week: week.clone(),
            ..TalkWeek::default()
        })
        .collect();
    for start in input
        .talk_starts
        .iter()
        .filter(|s| s.starts_at <= input.now)
    {
        if let Some(i) = index_of(week_of(start.starts_at)) {
            talks[i].planned += 1;
            match start.outcome {
                Some(Outcome::Held) => talks[i].held += 1,
                Some(Outcome::Skipped) => talks[i].skipped += 1,
                None => {}
            }
        }
    }
    let mut weekly_check_ins: Vec<WeeklyCheckInWeek> = labels
        .iter()
        .map(|week| WeeklyCheckInWeek {
            week: week.clone(),
            ..WeeklyCheckInWeek::default()
        })
        .collect();
    let mut rounds: Vec<&WeeklyRoundFact> = input.weekly_rounds.iter().collect();
    rounds.sort_by_key(|r| r.opened_at);
    for round in rounds {
        if let Some(i) = index_of(week_of(round.opened_at)) {
            let week = &mut weekly_check_ins[i];
            week.held += 1;
            if round.revealed {
                week.revealed += 1;
                let both: Option<Vec<u8>> = round.ratings.iter().copied().collect();
                if let Some(both) = both.filter(|r| r.len() == 2) {
                    week.ratings = Some(both);
                }
            }
        }
    }
    Stats {
        weeks: labels,
        partners,
        talks,
        weekly_check_ins,
    }
}

/// (current, longest) runs of kept-and-not-disputed over decided occurrences in due order.
fn runs(states: impl Iterator<Item = OccurrenceState>) -> (u32, u32) {
    let (mut current, mut longest) = (0, 0);
    for state in states {
        match state {
            OccurrenceState::Kept | OccurrenceState::Confirmed => {
                current += 1;
                longest = longest.max(current);
            }
            OccurrenceState::Missed | OccurrenceState::Disputed => current = 0,
            OccurrenceState::Due => {}
        }
    }
    (current, longest)
}

fn ratio(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    })
}

#[cfg(test)]
mod tests;
