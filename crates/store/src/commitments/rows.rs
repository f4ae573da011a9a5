//! The commitment tables as rows, and the building blocks the commands and the sweep share:
//! loading, writing occurrences up to the horizon, and dropping those not yet due.

use super::views::{CommitmentView, OccurrenceView};
use crate::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::rows::{stored_time, utc};
use crate::schema::{commitment_occurrences as occ, commitments, memberships};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::account::TimeZone;
use kept_core::commitment::{CommitmentState, OccurrenceState};
use kept_core::schedule::{Recurrence, Schedule};
use kept_core::{CommitmentId, DomainError, OccurrenceId, RequestId, SpaceId, UserId};

/// How far ahead occurrences exist.
pub const HORIZON: Duration = Duration::days(14);
/// Occurrences turned missed per sweep round (the rest wait for the next round).
pub(super) const SWEEP_BATCH: i64 = 500;

#[derive(Queryable, Selectable)]
#[diesel(table_name = commitments)]
pub(super) struct CommitmentRow {
    pub(super) id: CommitmentId,
    pub(super) space_id: SpaceId,
    pub(super) committer_id: UserId,
    pub(super) partner_id: UserId,
    pub(super) request_id: Option<RequestId>,
    pub(super) text: String,
    pub(super) schedule: String,
    pub(super) time_zone: String,
    pub(super) grace_minutes: i64,
    pub(super) state: CommitmentState,
    pub(super) version: i64,
    pub(super) scheduled_until: NaiveDateTime,
    pub(super) created_at: NaiveDateTime,
    pub(super) retired_at: Option<NaiveDateTime>,
}

impl CommitmentRow {
    pub(super) fn view(&self) -> StoreResult<CommitmentView> {
        Ok(CommitmentView {
            id: self.id,
            space_id: self.space_id,
            committer_id: self.committer_id,
            partner_id: self.partner_id,
            request_id: self.request_id,
            text: self.text.clone(),
            schedule: self.recurrence()?,
            time_zone: TimeZone::parse(&self.time_zone).map_err(StoreError::Corrupt)?,
            grace_minutes: self.grace_minutes,
            state: self.state,
            version: self.version,
            created_at: utc(self.created_at),
            retired_at: self.retired_at.map(utc),
        })
    }

    pub(super) fn recurrence(&self) -> StoreResult<Recurrence> {
        serde_json::from_str(&self.schedule)
            .map_err(|e| StoreError::Corrupt(format!("stored schedule: {e}")))
    }

    pub(super) fn schedule(&self) -> StoreResult<Schedule> {
        let zone = TimeZone::parse(&self.time_zone).map_err(StoreError::Corrupt)?;
        Ok(Schedule {
            recurrence: self.recurrence()?,
            zone: zone.tz(),
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = occ)]
pub(super) struct OccurrenceRow {
    pub(super) id: OccurrenceId,
    pub(super) commitment_id: CommitmentId,
    pub(super) opens_at: NaiveDateTime,
    pub(super) due_at: NaiveDateTime,
    pub(super) deadline_at: NaiveDateTime,
    pub(super) state: OccurrenceState,
    pub(super) note: Option<String>,
    pub(super) kept_at: Option<NaiveDateTime>,
    pub(super) reviewed_at: Option<NaiveDateTime>,
    pub(super) dispute_reason: Option<String>,
}

impl TryFrom<OccurrenceRow> for OccurrenceView {
    type Error = StoreError;
    fn try_from(row: OccurrenceRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            commitment_id: row.commitment_id,
            opens_at: utc(row.opens_at),
            due_at: utc(row.due_at),
            deadline_at: utc(row.deadline_at),
            state: row.state,
            note: row.note,
            kept_at: row.kept_at.map(utc),
            reviewed_at: row.reviewed_at.map(utc),
            dispute_reason: row.dispute_reason,
        })
    }
}

/// Writes the occurrences from `scheduled_until` up to `now + HORIZON`; returns how many.
pub(super) fn extend(
    conn: &mut DbConnection,
    id: CommitmentId,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let row: CommitmentRow = commitments::table
        .find(id)
        .select(CommitmentRow::as_select())
        .first(conn)?;
    let schedule = row.schedule()?;
    let grace = Duration::minutes(row.grace_minutes);
    let last_due: Option<NaiveDateTime> = occ::table
        .filter(occ::commitment_id.eq(id))
        .select(diesel::dsl::max(occ::due_at))
        .first(conn)?;
    let from = utc(row.scheduled_until);
    // Each occurrence opens when the one before it fell due; the first opens now.
    let mut opens_at = last_due.map_or(now, utc);
    let until = now + HORIZON;
    let dues = schedule.occurrences(from, until);
    for due in &dues {
        diesel::insert_into(occ::table)
            .values((
                occ::id.eq(OccurrenceId::new_at(*due)),
                occ::commitment_id.eq(id),
                occ::space_id.eq(&row.space_id),
                occ::opens_at.eq(stored_time(opens_at)),
                occ::due_at.eq(stored_time(*due)),
                occ::deadline_at.eq(stored_time(*due + grace)),
                occ::state.eq(OccurrenceState::Due),
            ))
            .execute(conn)?;
        opens_at = *due;
    }
    diesel::update(commitments::table.find(id))
        .set(commitments::scheduled_until.eq(stored_time(until)))
        .execute(conn)?;
    Ok(dues.len())
}

/// Deletes occurrences not yet due (renegotiation and retirement do not reach into the past).
pub(super) fn drop_future(
    conn: &mut DbConnection,
    id: CommitmentId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::delete(occ::table)
        .filter(occ::commitment_id.eq(id))
        .filter(occ::state.eq(OccurrenceState::Due))
        .filter(occ::due_at.gt(stored_time(now)))
        .execute(conn)?;
    Ok(())
}

pub(super) fn load(
    conn: &mut DbConnection,
    space: SpaceId,
    id: CommitmentId,
) -> StoreResult<CommitmentRow> {
    Ok(commitments::table
        .find(id)
        .filter(commitments::space_id.eq(space))
        .select(CommitmentRow::as_select())
        .first(conn)?)
}

pub(super) fn load_active_as_committer(
    conn: &mut DbConnection,
    space: SpaceId,
    id: CommitmentId,
    caller: UserId,
) -> StoreResult<CommitmentRow> {
    let row = load(conn, space, id)?;
    if row.committer_id != caller {
        return Err(DomainError::Forbidden {
            code: "not_the_committer",
            message: "only the one who made the commitment changes it",
        }
        .into());
    }
    if row.state != CommitmentState::Active {
        return Err(DomainError::Conflict {
            code: "commitment_retired",
            message: "this commitment is retired",
        }
        .into());
    }
    Ok(row)
}

/// The other current member: the one the commitment is made to.
pub(super) fn partner_of(
    conn: &mut DbConnection,
    space: SpaceId,
    member: UserId,
) -> StoreResult<UserId> {
    let partner: Option<UserId> = memberships::table
        .filter(memberships::space_id.eq(space))
        .filter(memberships::user_id.ne(member))
        .filter(memberships::left_at.is_null())
        .select(memberships::user_id)
        .first(conn)
        .optional()?;
    Ok(partner.ok_or(DomainError::Conflict {
        code: "no_partner",
        message: "a commitment is made to a partner: invite them first",
    })?)
}

pub(super) fn schedule_json(recurrence: &Recurrence) -> StoreResult<String> {
    serde_json::to_string(recurrence).map_err(|e| StoreError::Internal(e.to_string()))
}
