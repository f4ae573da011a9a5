//! How a weekly round is read, for anyone: the rows, and [`round_view`], which shows a reader
//! their own answers and, only when core's `visible_to` allows it, the partner's.

use crate::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::rows::utc;
use crate::schema::{weekly_answers as answers, weekly_rounds as rounds};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::weekly::{Answer, RoundFacts, RoundState, visible_to};
use kept_core::{SpaceId, UserId, WeeklyRoundId};
use serde::{Deserialize, Serialize};

/// One answer as a reader sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WeeklyAnswer))]
pub struct AnswerView {
    /// The prompt's place in the round's list (from 0).
    pub prompt: usize,
    pub text: String,
    /// Only ever shown to its author.
    pub private: bool,
}

/// A partner's answers as a reader may see them.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WeeklyAnswers))]
pub struct WeeklyAnswersView {
    pub answers: Vec<AnswerView>,
    /// How the week felt, 1 to 10, if they rated it.
    pub rating: Option<u8>,
}

/// One round's prompts and one person's own answers to it (private ones included): their part
/// of a round, for their personal export.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = MyWeeklyAnswers))]
pub struct OwnAnswersView {
    pub round_id: WeeklyRoundId,
    pub opened_at: DateTime<Utc>,
    pub prompts: Vec<String>,
    pub answers: WeeklyAnswersView,
    pub submitted: bool,
}

/// A round as one partner sees it: the prompts, their own answers, whether the partner is ready,
/// and the partner's shared answers once they may be seen (after the reveal, or when shared
/// after an unrevealed close); never earlier, and never a private one.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WeeklyRound))]
pub struct RoundView {
    pub id: WeeklyRoundId,
    pub space_id: SpaceId,
    pub prompts: Vec<String>,
    pub state: RoundState,
    pub opened_at: DateTime<Utc>,
    /// When it stops taking answers.
    pub closes_at: DateTime<Utc>,
    /// When it was revealed or closed.
    pub ended_at: Option<DateTime<Utc>>,
    pub mine: WeeklyAnswersView,
    pub submitted: bool,
    /// Whether I showed my answers after the round closed unrevealed.
    pub shared: bool,
    /// That the partner submitted; never what.
    pub partner_ready: bool,
    pub partner: Option<WeeklyAnswersView>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = rounds)]
pub(super) struct RoundRow {
    pub(super) id: WeeklyRoundId,
    pub(super) space_id: SpaceId,
    pub(super) prompts: String,
    pub(super) state: RoundState,
    pub(super) opened_at: NaiveDateTime,
    pub(super) closes_at: NaiveDateTime,
    pub(super) ended_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = answers)]
pub(super) struct AnswersRow {
    pub(super) answers: String,
    pub(super) rating: Option<i64>,
    pub(super) submitted_at: Option<NaiveDateTime>,
    pub(super) shared_at: Option<NaiveDateTime>,
}

pub(super) fn load_round(
    conn: &mut DbConnection,
    space: SpaceId,
    round: WeeklyRoundId,
) -> StoreResult<(RoundRow, Vec<String>)> {
    let row: RoundRow = rounds::table
        .filter(rounds::space_id.eq(space))
        .filter(rounds::id.eq(round))
        .select(RoundRow::as_select())
        .first(conn)?;
    let prompts: Vec<String> = serde_json::from_str(&row.prompts)
        .map_err(|e| StoreError::Corrupt(format!("stored weekly prompts: {e}")))?;
    Ok((row, prompts))
}

pub(super) fn answers_of(
    conn: &mut DbConnection,
    round: WeeklyRoundId,
    author: UserId,
) -> StoreResult<Option<AnswersRow>> {
    Ok(answers::table
        .find((round, author))
        .select(AnswersRow::as_select())
        .first(conn)
        .optional()?)
}

pub(super) fn partner_answers(
    conn: &mut DbConnection,
    round: WeeklyRoundId,
    reader: UserId,
) -> StoreResult<Option<AnswersRow>> {
    Ok(answers::table
        .filter(answers::round_id.eq(round))
        .filter(answers::author_id.ne(reader))
        .select(AnswersRow::as_select())
        .first(conn)
        .optional()?)
}

pub(super) fn facts(
    row: &RoundRow,
    mine: Option<&AnswersRow>,
    partner: Option<&AnswersRow>,
) -> RoundFacts {
    RoundFacts {
        state: row.state,
        closes_at: utc(row.closes_at),
        i_submitted: mine.is_some_and(|m| m.submitted_at.is_some()),
        partner_submitted: partner.is_some_and(|p| p.submitted_at.is_some()),
    }
}

/// The round as `reader` may see it; the one place a round is read for anyone.
pub(super) fn round_view(
    conn: &mut DbConnection,
    reader: UserId,
    space: SpaceId,
    round: WeeklyRoundId,
) -> StoreResult<RoundView> {
    let (row, prompts) = load_round(conn, space, round)?;
    let mine = answers_of(conn, round, reader)?;
    let partner = partner_answers(conn, round, reader)?;
    let partner_view = match &partner {
        // Shown only when core says a shared answer of theirs may be seen now.
        Some(theirs) if visible_to(false, row.state, theirs.shared_at.is_some(), false) => {
            Some(seen(theirs, false, row.state)?)
        }
        _ => None,
    };
    let mine_view = match &mine {
        Some(m) => seen(m, true, row.state)?,
        None => WeeklyAnswersView {
            answers: Vec::new(),
            rating: None,
        },
    };
    Ok(RoundView {
        id: row.id,
        space_id: row.space_id,
        prompts,
        state: row.state,
        opened_at: utc(row.opened_at),
        closes_at: utc(row.closes_at),
        ended_at: row.ended_at.map(utc),
        submitted: mine.as_ref().is_some_and(|m| m.submitted_at.is_some()),
        shared: mine.as_ref().is_some_and(|m| m.shared_at.is_some()),
        mine: mine_view,
        partner_ready: partner.as_ref().is_some_and(|p| p.submitted_at.is_some()),
        partner: partner_view,
    })
}

/// The answers of `row` that a reader sees: core's `visible_to`, answer by answer.
fn seen(
    row: &AnswersRow,
    reader_is_author: bool,
    state: RoundState,
) -> StoreResult<WeeklyAnswersView> {
    let shared = row.shared_at.is_some();
    let all: Vec<AnswerView> = serde_json::from_str(&row.answers)
        .map_err(|e| StoreError::Corrupt(format!("stored weekly answers: {e}")))?;
    let answers = all
        .into_iter()
        .filter(|a| visible_to(reader_is_author, state, shared, a.private))
        .collect();
    let rating = row.rating.and_then(|r| u8::try_from(r).ok());
    Ok(WeeklyAnswersView { answers, rating })
}

/// Whether `row` holds an answer or a rating to submit (they were checked when saved).
pub(super) fn has_answers(row: &AnswersRow, state: RoundState) -> StoreResult<bool> {
    let mine = seen(row, true, state)?;
    Ok(!mine.answers.is_empty() || mine.rating.is_some())
}

pub(super) fn answer_view(answer: &Answer) -> AnswerView {
    AnswerView {
        prompt: answer.prompt,
        text: answer.text.as_str().to_owned(),
        private: answer.private,
    }
}
