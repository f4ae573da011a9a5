//! The weekly check-in's rounds and answers. Each partner's answers are one row that only its
//! author reads until the round is revealed; every read of a round goes through [`round_view`],
//! which asks core's `visible_to` what the reader may see. Saving a draft writes no event (the
//! partner must not be able to watch the other write); submitting says only that one is ready;
//! the second submission reveals, under the space's row lock, so two at once reveal once.

pub(crate) mod agreed;
mod follow_up;
mod plan;
mod view;

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{
    guard_writable_space, lock_space_row, require_current_member, require_paired,
};
use crate::reminders::weekly_rows::put_weekly_closing;
use crate::rows::{stored_time, utc};
use crate::schema::{memberships, weekly_answers as answers, weekly_rounds as rounds};
use crate::{DbConnection, Store};
use agreed::agreed_plan;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
pub use follow_up::{AnswerRef, FollowUpInto, FollowUpView};
use kept_core::event::{Audience, SpaceEvent};
use kept_core::space::SpaceState;
use kept_core::weekly::{Answers, Prompt, RawAnswer, RoundState, Submitted};
use kept_core::{DomainError, SpaceId, UserId, WeeklyRoundId};
pub use plan::{PlanView, ProposalView};
use serde::Serialize;
pub use view::{AnswerView, OwnAnswersView, RoundView, WeeklyAnswersView};
use view::{answer_view, answers_of, facts, has_answers, load_round, partner_answers, round_view};

const NO_ROUND: StoreError = StoreError::NotFound;
/// Rounds listed at most: about four years of weeks.
const MAX_LISTED: i64 = 200;

impl Store {
    /// Opens a round now, with the agreed prompts unless `prompts` are given; refused while
    /// another is open and in a space without two partners.
    pub fn open_weekly_round(
        &self,
        opener: UserId,
        space: SpaceId,
        prompts: Option<Vec<Prompt>>,
    ) -> StoreResult<RoundView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, opener, space)?;
            require_paired(
                conn,
                space,
                "a weekly check-in needs both partners in the space",
            )?;
            close_overdue(conn, space, now)?;
            if open_round(conn, space)?.is_some() {
                return Err(DomainError::Conflict {
                    code: "round_open",
                    message: "a round is already open; answer it first",
                }
                .into());
            }
            let plan = agreed_plan(conn, space)?;
            let prompts: Vec<String> = match prompts {
                Some(chosen) => chosen.into_iter().map(Prompt::into_string).collect(),
                None => plan.prompts.clone(),
            };
            let closes_at = now + plan.open_for();
            let id = insert_round(conn, opener, space, &prompts, closes_at, false, now)?;
            round_view(conn, opener, space, id)
        })
    }

    /// The space's latest round (open, revealed or closed), as `viewer` may see it.
    pub fn current_weekly_round(&self, viewer: UserId, space: SpaceId) -> StoreResult<RoundView> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let latest: WeeklyRoundId = rounds::table
                .filter(rounds::space_id.eq(space))
                .order((rounds::opened_at.desc(), rounds::id.desc()))
                .select(rounds::id)
                .first(conn)
                .optional()?
                .ok_or(NO_ROUND)?;
            round_view(conn, viewer, space, latest)
        })
    }

    /// Every round of the space, newest first, each as `viewer` may see it.
    pub fn weekly_rounds(&self, viewer: UserId, space: SpaceId) -> StoreResult<Vec<RoundView>> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let ids: Vec<WeeklyRoundId> = rounds::table
                .filter(rounds::space_id.eq(space))
                .order((rounds::opened_at.desc(), rounds::id.desc()))
                .limit(MAX_LISTED)
                .select(rounds::id)
                .load(conn)?;
            ids.into_iter()
                .map(|round| round_view(conn, viewer, space, round))
                .collect()
        })
    }

    pub fn weekly_round(
        &self,
        viewer: UserId,
        space: SpaceId,
        round: WeeklyRoundId,
    ) -> StoreResult<RoundView> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            round_view(conn, viewer, space, round)
        })
    }

    /// Saves `author`'s answers, replacing any saved before; no event, so nobody watches.
    pub fn save_weekly_answers(
        &self,
        author: UserId,
        space: SpaceId,
        round: WeeklyRoundId,
        raw: Vec<RawAnswer>,
        rating: Option<i64>,
    ) -> StoreResult<RoundView> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, author, space)?;
            lock_space_row(conn, space)?.ensure_writable()?;
            let (row, prompts) = load_round(conn, space, round)?;
            let mine = answers_of(conn, round, author)?;
            facts(&row, mine.as_ref(), None).edit(now)?;
            let parsed = Answers::parse(prompts.len(), &raw, rating).map_err(DomainError::from)?;
            let stored = json(&parsed.items.iter().map(answer_view).collect::<Vec<_>>())?;
            let rating = parsed.rating.map(|r| i64::from(r.get()));
            // Under the space's lock, so nothing writes this row in between.
            let updated = diesel::update(answers::table.find((round, author)))
                .set((answers::answers.eq(&stored), answers::rating.eq(rating)))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(answers::table)
                    .values((
                        answers::round_id.eq(round),
                        answers::author_id.eq(author),
                        answers::answers.eq(&stored),
                        answers::rating.eq(rating),
                    ))
                    .execute(conn)?;
            }
            round_view(conn, author, space, round)
        })
    }

    /// Makes `author`'s saved answers final. The partner hears only that they are ready; if the
    /// partner had submitted already, this reveals both sets to both, now.
    pub fn submit_weekly_answers(
        &self,
        author: UserId,
        space: SpaceId,
        round: WeeklyRoundId,
    ) -> StoreResult<RoundView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, author, space)?;
            let (row, _) = load_round(conn, space, round)?;
            let mine = answers_of(conn, round, author)?;
            let partner = partner_answers(conn, round, author)?;
            let answered = match &mine {
                Some(mine) => has_answers(mine, row.state)?,
                None => false,
            };
            let outcome = facts(&row, mine.as_ref(), partner.as_ref()).submit(answered, now)?;
            diesel::update(answers::table.find((round, author)))
                .set(answers::submitted_at.eq(stored_time(now)))
                .execute(conn)?;
            // The second submission is the reveal itself: one event, not "ready" as well.
            if outcome == Submitted::Waiting {
                let ready = SpaceEvent::WeeklyReady { round_id: round };
                append_event(conn, space, author, Audience::Members, &ready, now)?;
            } else {
                diesel::update(rounds::table.find(round))
                    .filter(rounds::state.eq(RoundState::Open))
                    .set((
                        rounds::state.eq(RoundState::Revealed),
                        rounds::ended_at.eq(stored_time(now)),
                    ))
                    .execute(conn)?;
                let revealed = SpaceEvent::WeeklyRevealed { round_id: round };
                append_event(conn, space, author, Audience::Members, &revealed, now)?;
            }
            round_view(conn, author, space, round)
        })
    }

    /// After a round closed unrevealed, its author shows their submitted (non-private) answers.
    pub fn share_weekly_answers(
        &self,
        author: UserId,
        space: SpaceId,
        round: WeeklyRoundId,
    ) -> StoreResult<RoundView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, author, space)?;
            let (row, _) = load_round(conn, space, round)?;
            let mine = answers_of(conn, round, author)?;
            facts(&row, mine.as_ref(), None).share_anyway()?;
            if mine.as_ref().is_some_and(|m| m.shared_at.is_some()) {
                return Err(DomainError::Conflict {
                    code: "already_shared",
                    message: "these answers are shared already",
                }
                .into());
            }
            diesel::update(answers::table.find((round, author)))
                .set(answers::shared_at.eq(stored_time(now)))
                .execute(conn)?;
            let event = SpaceEvent::WeeklyShared { round_id: round };
            append_event(conn, space, author, Audience::Members, &event, now)?;
            round_view(conn, author, space, round)
        })
    }

    /// Every round of `space` that `author` answered, with their own answers (private ones too).
    pub fn own_weekly_answers(
        &self,
        author: UserId,
        space: SpaceId,
    ) -> StoreResult<Vec<OwnAnswersView>> {
        self.read(|conn| {
            require_current_member(conn, author, space)?;
            let answered: Vec<WeeklyRoundId> = answers::table
                .inner_join(rounds::table)
                .filter(rounds::space_id.eq(space))
                .filter(answers::author_id.eq(author))
                .order(rounds::opened_at.asc())
                .select(answers::round_id)
                .load(conn)?;
            answered
                .into_iter()
                .map(|round| {
                    let view = round_view(conn, author, space, round)?;
                    Ok(OwnAnswersView {
                        round_id: view.id,
                        opened_at: view.opened_at,
                        prompts: view.prompts,
                        answers: view.mine,
                        submitted: view.submitted,
                    })
                })
                .collect()
        })
    }

    /// Closes every open round whose time ran out, unrevealed; how many. For the scheduler.
    pub fn close_due_weekly_rounds(&self) -> StoreResult<usize> {
        let now = self.now();
        let due: Vec<(WeeklyRoundId, SpaceId)> = self.read(|conn| {
            Ok(rounds::table
                .filter(rounds::state.eq(RoundState::Open))
                .filter(rounds::closes_at.le(stored_time(now)))
                .select((rounds::id, rounds::space_id))
                .load(conn)?)
        })?;
        let mut closed = 0;
        for (round, space) in due {
            // One round that cannot be closed holds back no other.
            match self.write(|conn| close_round(conn, space, round, now)) {
                Ok(done) => closed += usize::from(done),
                Err(error) => tracing::error!(%round, %error, "a weekly round could not be closed"),
            }
        }
        Ok(closed)
    }
}

/// A round whose time ran out is closed now, not left for the scheduler's next tick.
fn close_overdue(conn: &mut DbConnection, space: SpaceId, now: DateTime<Utc>) -> StoreResult<()> {
    let due: Vec<WeeklyRoundId> = rounds::table
        .filter(rounds::space_id.eq(space))
        .filter(rounds::state.eq(RoundState::Open))
        .filter(rounds::closes_at.le(stored_time(now)))
        .select(rounds::id)
        .load(conn)?;
    for round in due {
        close_round(conn, space, round, now)?;
    }
    Ok(())
}

fn open_round(conn: &mut DbConnection, space: SpaceId) -> StoreResult<Option<WeeklyRoundId>> {
    Ok(rounds::table
        .filter(rounds::space_id.eq(space))
        .filter(rounds::state.eq(RoundState::Open))
        .select(rounds::id)
        .first(conn)
        .optional()?)
}

/// Writes a new open round, its event and the nudge before it closes.
fn insert_round(
    conn: &mut DbConnection,
    opener: UserId,
    space: SpaceId,
    prompts: &[String],
    closes_at: DateTime<Utc>,
    scheduled: bool,
    now: DateTime<Utc>,
) -> StoreResult<WeeklyRoundId> {
    let id = WeeklyRoundId::new_at(now);
    diesel::insert_into(rounds::table)
        .values((
            rounds::id.eq(id),
            rounds::space_id.eq(space),
            rounds::prompts.eq(json(&prompts)?),
            rounds::state.eq(RoundState::Open),
            rounds::opened_at.eq(stored_time(now)),
            rounds::closes_at.eq(stored_time(closes_at)),
        ))
        .execute(conn)?;
    let event = SpaceEvent::WeeklyOpened {
        round_id: id,
        closes_at,
        scheduled,
    };
    append_event(conn, space, opener, Audience::Members, &event, now)?;
    put_weekly_closing(conn, space, id, closes_at, closes_at - now, now)?;
    Ok(id)
}

/// The agreed plan's opening of the week whose round opens at `opens_at` and closes at
/// `closes_at`, told to `partner` now: opens the round unless one is open already (the other
/// partner's opening came first, or one was opened by hand) or this week's was held already.
/// Returns whether there is an open round to tell `partner` of that they have not answered.
pub(crate) fn open_scheduled_round(
    conn: &mut DbConnection,
    space: SpaceId,
    partner: UserId,
    (opens_at, closes_at): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if lock_space_row(conn, space)? != SpaceState::Paired {
        return Ok(false);
    }
    close_overdue(conn, space, now)?;
    if let Some(open) = open_round(conn, space)? {
        let answered = answers::table
            .find((open, partner))
            .filter(answers::submitted_at.is_not_null())
            .count()
            .get_result::<i64>(conn)?;
        return Ok(answered == 0);
    }
    let latest: Option<NaiveDateTime> = rounds::table
        .filter(rounds::space_id.eq(space))
        .select(diesel::dsl::max(rounds::opened_at))
        .first(conn)?;
    if latest.is_some_and(|opened| utc(opened) >= opens_at) || closes_at <= now {
        return Ok(false);
    }
    let plan = agreed_plan(conn, space)?;
    insert_round(conn, partner, space, &plan.prompts, closes_at, true, now)?;
    Ok(true)
}

/// Closes `round` unrevealed if it is still open and due (another instance may have been first).
fn close_round(
    conn: &mut DbConnection,
    space: SpaceId,
    round: WeeklyRoundId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if lock_space_row(conn, space)? == SpaceState::Closed {
        return Ok(false);
    }
    let changed = diesel::update(rounds::table.find(round))
        .filter(rounds::state.eq(RoundState::Open))
        .filter(rounds::closes_at.le(stored_time(now)))
        .set((
            rounds::state.eq(RoundState::Closed),
            rounds::ended_at.eq(stored_time(now)),
        ))
        .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    // The event names no one (see `SpaceEvent::shows_actor`); the log still wants a member.
    let member: UserId = memberships::table
        .filter(memberships::space_id.eq(space))
        .select(memberships::user_id)
        .first(conn)?;
    let event = SpaceEvent::WeeklyClosed { round_id: round };
    append_event(conn, space, member, Audience::Members, &event, now)?;
    Ok(true)
}

/// Closes the space's open round unrevealed, as part of leaving it (the leave is the event).
pub(crate) fn close_open_round_on_leave(
    conn: &mut DbConnection,
    space: SpaceId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(rounds::table)
        .filter(rounds::space_id.eq(space))
        .filter(rounds::state.eq(RoundState::Open))
        .set((
            rounds::state.eq(RoundState::Closed),
            rounds::ended_at.eq(stored_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes everything `person` answered (account deletion): answers are only ever their own.
pub(crate) fn forget_answers_of(conn: &mut DbConnection, person: UserId) -> StoreResult<()> {
    diesel::delete(answers::table.filter(answers::author_id.eq(person))).execute(conn)?;
    Ok(())
}

fn json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Internal(format!("weekly json: {e}")))
}
