//! Stats: the store gathers the facts of a space from its rows; core computes the numbers.

use crate::error::{StoreError, StoreResult};
use crate::membership::require_current_member;
use crate::rows::{stored_time, stored_zone, utc};
use crate::schema::{
    commitment_occurrences as occ, commitments, requests, talk_occurrences, talks, trust_ratings,
    users, weekly_answers, weekly_rounds,
};
use crate::spaces::load_space;
use crate::{DbConnection, Store};
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, Utc};
use diesel::prelude::*;
use kept_core::commitment::OccurrenceState;
use kept_core::request::RequestState;
use kept_core::schedule::local_instant;
use kept_core::stats::{
    OccurrenceFact, RatingFact, RequestFact, Stats, StatsInput, TalkStartFact, WeeklyRoundFact,
    compute,
};
use kept_core::talk::TalkState;
use kept_core::talk::{Cadence, Outcome, starts};
use kept_core::weekly::RoundState;
use kept_core::{SpaceId, UserId};
use kept_core::{TalkId, WeeklyRoundId};

impl Store {
    /// The last `weeks` ISO weeks (in the viewer's time zone) of the space, computed now.
    pub fn stats(&self, viewer: UserId, space: SpaceId, weeks: u32) -> StoreResult<Stats> {
        let now = self.now();
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            gather(conn, viewer, space, weeks, now)
        })
    }
}

/// The stats of `space` as `viewer` sees them at `now`: the facts read off the rows, the numbers
/// computed by core. The one computation behind the stats screen and the weekly summary.
pub(crate) fn gather(
    conn: &mut DbConnection,
    viewer: UserId,
    space: SpaceId,
    weeks: u32,
    now: DateTime<Utc>,
) -> StoreResult<Stats> {
    let zone: String = users::table
        .find(viewer)
        .select(users::time_zone)
        .first(conn)?;
    let zone = stored_zone(&zone)?;
    let today = now.with_timezone(&zone).date_naive();
    let first_monday = today
        - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        - Duration::weeks(i64::from(weeks.saturating_sub(1)));
    let window_start = local_instant(zone, first_monday, NaiveTime::MIN);

    // The partners in the order the space lists its members.
    let partners: Vec<UserId> = load_space(conn, space)?
        .members
        .iter()
        .map(|m| m.user_id)
        .collect();

    // Runs reach back to the first occurrence, so every decided one is read: those due
    // by now, and those already marked ahead of their due time.
    let occurrences = occ::table
        .inner_join(commitments::table)
        .filter(occ::space_id.eq(space))
        .filter(
            occ::due_at
                .le(stored_time(now))
                .or(occ::state.ne(OccurrenceState::Due)),
        )
        .select((commitments::committer_id, occ::due_at, occ::state))
        .load::<(UserId, NaiveDateTime, OccurrenceState)>(conn)?
        .into_iter()
        .map(|(committer, due_at, state)| {
            Ok(OccurrenceFact {
                committer,
                due_at: utc(due_at),
                state,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    let mut talk_starts = Vec::new();
    let accepted = talks::table
        .filter(talks::space_id.eq(space))
        .filter(talks::state.eq(TalkState::Accepted))
        .select((
            talks::id,
            talks::starts_at,
            talks::cadence,
            talks::time_zone,
        ))
        .load::<(TalkId, NaiveDateTime, Cadence, String)>(conn)?;
    for (id, first, cadence, talk_zone) in accepted {
        let talk_zone = stored_zone(&talk_zone)?;
        let marked = talk_occurrences::table
            .filter(talk_occurrences::talk_id.eq(id))
            .select((talk_occurrences::starts_at, talk_occurrences::outcome))
            .load::<(NaiveDateTime, Outcome)>(conn)?
            .into_iter()
            .map(|(at, outcome)| (utc(at), outcome))
            .collect::<Vec<_>>();
        for start in starts(utc(first), cadence, talk_zone, window_start, now) {
            let outcome = marked
                .iter()
                .find(|(at, _)| *at == start)
                .map(|(_, outcome)| *outcome);
            talk_starts.push(TalkStartFact {
                starts_at: start,
                outcome,
            });
        }
    }

    let requests = requests::table
        .filter(requests::space_id.eq(space))
        .select((
            requests::author_id,
            requests::created_at,
            requests::acknowledged_at,
            requests::state,
        ))
        .load::<(UserId, NaiveDateTime, Option<NaiveDateTime>, RequestState)>(conn)?
        .into_iter()
        .map(|(author, created_at, acknowledged_at, state)| {
            Ok(RequestFact {
                author,
                created_at: utc(created_at),
                acknowledged_at: acknowledged_at.map(utc),
                state,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    let ratings = trust_ratings::table
        .filter(trust_ratings::space_id.eq(space))
        .filter(trust_ratings::shared.eq(true))
        .select((
            trust_ratings::author_id,
            trust_ratings::local_day,
            trust_ratings::score,
        ))
        .load::<(UserId, String, i32)>(conn)?
        .into_iter()
        .map(|(author, day, score)| {
            Ok(RatingFact {
                author,
                local_day: day
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("stored day {day:?}")))?,
                score,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;

    let weekly_rounds = weekly_round_facts(conn, space, &partners, window_start)?;

    Ok(compute(&StatsInput {
        partners,
        zone,
        now,
        weeks,
        occurrences,
        talk_starts,
        requests,
        ratings,
        weekly_rounds,
    }))
}

/// The space's weekly rounds opened since `since`, with both partners' ratings of the revealed
/// ones (an unrevealed round's ratings are its authors' alone and are not read).
fn weekly_round_facts(
    conn: &mut DbConnection,
    space: SpaceId,
    partners: &[UserId],
    since: DateTime<Utc>,
) -> StoreResult<Vec<WeeklyRoundFact>> {
    let rounds = weekly_rounds::table
        .filter(weekly_rounds::space_id.eq(space))
        .filter(weekly_rounds::opened_at.ge(stored_time(since)))
        .select((
            weekly_rounds::id,
            weekly_rounds::opened_at,
            weekly_rounds::state,
        ))
        .load::<(WeeklyRoundId, NaiveDateTime, RoundState)>(conn)?;
    rounds
        .into_iter()
        .map(|(round, opened_at, state)| {
            let revealed = state == RoundState::Revealed;
            let ratings = if revealed {
                let given: Vec<(UserId, Option<i64>)> = weekly_answers::table
                    .filter(weekly_answers::round_id.eq(round))
                    .select((weekly_answers::author_id, weekly_answers::rating))
                    .load(conn)?;
                partners
                    .iter()
                    .map(|partner| {
                        given
                            .iter()
                            .find(|(author, _)| author == partner)
                            .and_then(|(_, rating)| *rating)
                            .and_then(|r| u8::try_from(r).ok())
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Ok(WeeklyRoundFact {
                opened_at: utc(opened_at),
                revealed,
                ratings,
            })
        })
        .collect()
}
