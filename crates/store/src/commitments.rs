//! Commitments and their occurrences. Occurrences are written ahead of time up to a horizon
//! (`scheduled_until`), so that each can be marked, confirmed or disputed by id; the sweep keeps
//! the horizon ahead of the clock and turns overdue occurrences `missed`.
//!
//! The sweep is safe with several instances: each occurrence is turned missed by a conditional
//! update under its space's lock, so exactly one instance logs each `occurrence.missed`.

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::rows::{parse_id, stored_time, utc};
use crate::schema::{
    commitment_occurrences as occ, commitments, memberships, requests, spaces, users,
};
use crate::spaces::{lock_writable_space, require_current_member};
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::account::TimeZone;
use kept_core::commitment::{
    CommitmentState, CommitmentText, Grace, OccurrenceFacts, OccurrenceNote, OccurrenceState,
    renegotiated_from,
};
use kept_core::event::{Audience, SpaceEvent};
use kept_core::schedule::{Recurrence, Schedule};
use kept_core::space::SpaceState;
use kept_core::{CommitmentId, DomainError, Invalid, OccurrenceId, RequestId, SpaceId, UserId};
use serde::Serialize;

/// How far ahead occurrences exist.
pub const HORIZON: Duration = Duration::days(14);
/// Occurrences turned missed per sweep round (the rest wait for the next round).
const SWEEP_BATCH: i64 = 500;

#[derive(Debug, Clone)]
pub struct NewCommitment {
    pub text: CommitmentText,
    pub recurrence: Recurrence,
    pub grace: Grace,
    pub request: Option<RequestId>,
}

/// A renegotiation: `None` keeps what was.
#[derive(Debug, Clone, Default)]
pub struct CommitmentTerms {
    pub text: Option<CommitmentText>,
    pub recurrence: Option<Recurrence>,
    pub grace: Option<Grace>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Commitment))]
pub struct CommitmentView {
    pub id: CommitmentId,
    pub space_id: SpaceId,
    pub committer_id: UserId,
    pub partner_id: UserId,
    pub request_id: Option<RequestId>,
    pub text: String,
    pub schedule: Recurrence,
    pub time_zone: TimeZone,
    pub grace_minutes: i64,
    pub state: CommitmentState,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Occurrence))]
pub struct OccurrenceView {
    pub id: OccurrenceId,
    pub commitment_id: CommitmentId,
    pub opens_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub state: OccurrenceState,
    pub note: Option<String>,
    pub kept_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
}

/// What the caller asks of an occurrence.
#[derive(Debug, Clone)]
pub enum OccurrenceChange {
    Kept { note: Option<OccurrenceNote> },
    Confirm,
    Dispute { reason: OccurrenceNote },
}

/// What one sweep round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub missed: usize,
    pub extended: usize,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = commitments)]
struct CommitmentRow {
    id: String,
    space_id: String,
    committer_id: String,
    partner_id: String,
    request_id: Option<String>,
    text: String,
    schedule: String,
    time_zone: String,
    grace_minutes: i64,
    state: String,
    version: i64,
    scheduled_until: NaiveDateTime,
    created_at: NaiveDateTime,
    retired_at: Option<NaiveDateTime>,
}

impl CommitmentRow {
    fn view(&self) -> StoreResult<CommitmentView> {
        Ok(CommitmentView {
            id: parse_id(&self.id)?,
            space_id: parse_id(&self.space_id)?,
            committer_id: parse_id(&self.committer_id)?,
            partner_id: parse_id(&self.partner_id)?,
            request_id: self.request_id.as_deref().map(parse_id).transpose()?,
            text: self.text.clone(),
            schedule: self.recurrence()?,
            time_zone: TimeZone::parse(&self.time_zone).map_err(StoreError::Internal)?,
            grace_minutes: self.grace_minutes,
            state: if self.state == "retired" {
                CommitmentState::Retired
            } else {
                CommitmentState::Active
            },
            version: self.version,
            created_at: utc(self.created_at),
            retired_at: self.retired_at.map(utc),
        })
    }

    fn recurrence(&self) -> StoreResult<Recurrence> {
        serde_json::from_str(&self.schedule)
            .map_err(|e| StoreError::Internal(format!("stored schedule: {e}")))
    }

    fn schedule(&self) -> StoreResult<Schedule> {
        let zone = TimeZone::parse(&self.time_zone).map_err(StoreError::Internal)?;
        Ok(Schedule {
            recurrence: self.recurrence()?,
            zone: zone.tz(),
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = occ)]
struct OccurrenceRow {
    id: String,
    commitment_id: String,
    opens_at: NaiveDateTime,
    due_at: NaiveDateTime,
    deadline_at: NaiveDateTime,
    state: String,
    note: Option<String>,
    kept_at: Option<NaiveDateTime>,
    reviewed_at: Option<NaiveDateTime>,
    dispute_reason: Option<String>,
}

impl TryFrom<OccurrenceRow> for OccurrenceView {
    type Error = StoreError;
    fn try_from(row: OccurrenceRow) -> StoreResult<Self> {
        Ok(Self {
            id: parse_id(&row.id)?,
            commitment_id: parse_id(&row.commitment_id)?,
            opens_at: utc(row.opens_at),
            due_at: utc(row.due_at),
            deadline_at: utc(row.deadline_at),
            state: OccurrenceState::parse(&row.state).ok_or_else(|| {
                StoreError::Internal(format!("unknown occurrence state {:?}", row.state))
            })?,
            note: row.note,
            kept_at: row.kept_at.map(utc),
            reviewed_at: row.reviewed_at.map(utc),
            dispute_reason: row.dispute_reason,
        })
    }
}

impl Store {
    pub fn create_commitment(
        &self,
        committer: UserId,
        space: SpaceId,
        new: NewCommitment,
    ) -> StoreResult<CommitmentView> {
        let now = self.now();
        let id = CommitmentId::new_at(now);
        self.write(|conn| {
            require_current_member(conn, committer, space)?;
            lock_writable_space(conn, space)?;
            let partner = partner_of(conn, space, committer)?;
            if let Some(request) = new.request {
                let in_space = requests::table
                    .find(request.to_string())
                    .filter(requests::space_id.eq(space.to_string()))
                    .count()
                    .get_result::<i64>(conn)?;
                if in_space == 0 {
                    return Err(DomainError::from(Invalid::field(
                        "request_id",
                        "no such request in this space",
                    ))
                    .into());
                }
            }
            let zone: String = users::table
                .find(committer.to_string())
                .select(users::time_zone)
                .first(conn)?;
            diesel::insert_into(commitments::table)
                .values((
                    commitments::id.eq(id.to_string()),
                    commitments::space_id.eq(space.to_string()),
                    commitments::committer_id.eq(committer.to_string()),
                    commitments::partner_id.eq(partner.to_string()),
                    commitments::request_id.eq(new.request.map(|r| r.to_string())),
                    commitments::text.eq(new.text.as_str()),
                    commitments::schedule.eq(schedule_json(&new.recurrence)?),
                    commitments::time_zone.eq(&zone),
                    commitments::grace_minutes.eq(new.grace.as_minutes()),
                    commitments::state.eq("active"),
                    commitments::version.eq(1),
                    commitments::scheduled_until.eq(stored_time(now)),
                    commitments::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            extend(conn, id, now)?;
            crate::reminders::sync_commitment(conn, &self.reminder_settings, &id.to_string(), now)?;
            let event = SpaceEvent::CommitmentCreated {
                commitment_id: id,
                text: new.text.into_string(),
                schedule: new.recurrence,
                grace_minutes: new.grace.as_minutes(),
                request_id: new.request,
            };
            append_event(conn, space, committer, Audience::Members, &event, now)?;
            load(conn, space, id)?.view()
        })
    }

    pub fn commitments(&self, viewer: UserId, space: SpaceId) -> StoreResult<Vec<CommitmentView>> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            commitments::table
                .filter(commitments::space_id.eq(space.to_string()))
                .order(commitments::id.desc())
                .select(CommitmentRow::as_select())
                .load::<CommitmentRow>(conn)?
                .iter()
                .map(CommitmentRow::view)
                .collect()
        })
    }

    /// One commitment with its occurrences, oldest first.
    pub fn commitment(
        &self,
        viewer: UserId,
        space: SpaceId,
        id: CommitmentId,
    ) -> StoreResult<(CommitmentView, Vec<OccurrenceView>)> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let commitment = load(conn, space, id)?.view()?;
            let occurrences = occ::table
                .filter(occ::commitment_id.eq(id.to_string()))
                .order(occ::due_at.asc())
                .select(OccurrenceRow::as_select())
                .load::<OccurrenceRow>(conn)?
                .into_iter()
                .map(OccurrenceView::try_from)
                .collect::<StoreResult<Vec<_>>>()?;
            Ok((commitment, occurrences))
        })
    }

    /// New terms, logged as a new version. Occurrences not yet due follow the new terms.
    pub fn renegotiate_commitment(
        &self,
        caller: UserId,
        space: SpaceId,
        id: CommitmentId,
        terms: CommitmentTerms,
    ) -> StoreResult<CommitmentView> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, caller, space)?;
            lock_writable_space(conn, space)?;
            let row = load_active_as_committer(conn, space, id, caller)?;
            let recurrence = match terms.recurrence {
                Some(recurrence) => recurrence,
                None => row.recurrence()?,
            };
            let text = terms
                .text
                .map_or(row.text.clone(), CommitmentText::into_string);
            let grace = terms.grace.map_or(row.grace_minutes, Grace::as_minutes);
            drop_future(conn, id, now)?;
            // What was marked ahead of its due time stays; core says where the new terms begin.
            let last_marked: Option<NaiveDateTime> = occ::table
                .filter(occ::commitment_id.eq(id.to_string()))
                .select(diesel::dsl::max(occ::due_at))
                .first(conn)?;
            let zone = row.schedule()?.zone;
            let new_terms_from = renegotiated_from(now, last_marked.map(utc), zone);
            diesel::update(commitments::table.find(id.to_string()))
                .set((
                    commitments::text.eq(&text),
                    commitments::schedule.eq(schedule_json(&recurrence)?),
                    commitments::grace_minutes.eq(grace),
                    commitments::version.eq(row.version + 1),
                    commitments::scheduled_until.eq(stored_time(new_terms_from)),
                ))
                .execute(conn)?;
            extend(conn, id, now)?;
            crate::reminders::sync_commitment(conn, &self.reminder_settings, &id.to_string(), now)?;
            let event = SpaceEvent::CommitmentRenegotiated {
                commitment_id: id,
                version: row.version + 1,
                text,
                schedule: recurrence,
                grace_minutes: grace,
            };
            append_event(conn, space, caller, Audience::Members, &event, now)?;
            load(conn, space, id)?.view()
        })
    }

    /// Ends the commitment; occurrences not yet due go with it.
    pub fn retire_commitment(
        &self,
        caller: UserId,
        space: SpaceId,
        id: CommitmentId,
    ) -> StoreResult<CommitmentView> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, caller, space)?;
            lock_writable_space(conn, space)?;
            load_active_as_committer(conn, space, id, caller)?;
            drop_future(conn, id, now)?;
            diesel::update(commitments::table.find(id.to_string()))
                .set((
                    commitments::state.eq("retired"),
                    commitments::retired_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            crate::reminders::sync_commitment(conn, &self.reminder_settings, &id.to_string(), now)?;
            append_event(
                conn,
                space,
                caller,
                Audience::Members,
                &SpaceEvent::CommitmentRetired { commitment_id: id },
                now,
            )?;
            load(conn, space, id)?.view()
        })
    }

    pub fn change_occurrence(
        &self,
        caller: UserId,
        space: SpaceId,
        commitment: CommitmentId,
        occurrence: OccurrenceId,
        change: OccurrenceChange,
    ) -> StoreResult<OccurrenceView> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, caller, space)?;
            lock_writable_space(conn, space)?;
            let parent = load(conn, space, commitment)?;
            let current: OccurrenceView = occ::table
                .find(occurrence.to_string())
                .filter(occ::commitment_id.eq(commitment.to_string()))
                .select(OccurrenceRow::as_select())
                .first::<OccurrenceRow>(conn)?
                .try_into()?;
            let facts = OccurrenceFacts {
                committer: parse_id(&parent.committer_id)?,
                state: current.state,
                opens_at: current.opens_at,
                due_at: current.due_at,
                grace: Grace::minutes(parent.grace_minutes).map_err(StoreError::Internal)?,
            };
            let target = occ::table.find(occurrence.to_string());
            let event = match change {
                OccurrenceChange::Kept { note } => {
                    let next = facts.mark_kept(caller, now)?;
                    let note = note.map(OccurrenceNote::into_string);
                    diesel::update(target)
                        .set((
                            occ::state.eq(next.as_str()),
                            occ::note.eq(&note),
                            occ::kept_at.eq(stored_time(now)),
                        ))
                        .execute(conn)?;
                    SpaceEvent::OccurrenceKept {
                        commitment_id: commitment,
                        occurrence_id: occurrence,
                        due_at: current.due_at,
                        note,
                    }
                }
                OccurrenceChange::Confirm => {
                    let next = facts.confirm(caller)?;
                    diesel::update(target)
                        .set((
                            occ::state.eq(next.as_str()),
                            occ::reviewed_at.eq(stored_time(now)),
                        ))
                        .execute(conn)?;
                    SpaceEvent::OccurrenceConfirmed {
                        commitment_id: commitment,
                        occurrence_id: occurrence,
                    }
                }
                OccurrenceChange::Dispute { reason } => {
                    let next = facts.dispute(caller)?;
                    let reason = reason.into_string();
                    diesel::update(target)
                        .set((
                            occ::state.eq(next.as_str()),
                            occ::reviewed_at.eq(stored_time(now)),
                            occ::dispute_reason.eq(&reason),
                        ))
                        .execute(conn)?;
                    SpaceEvent::OccurrenceDisputed {
                        commitment_id: commitment,
                        occurrence_id: occurrence,
                        reason,
                    }
                }
            };
            append_event(conn, space, caller, Audience::Members, &event, now)?;
            occ::table
                .find(occurrence.to_string())
                .select(OccurrenceRow::as_select())
                .first::<OccurrenceRow>(conn)?
                .try_into()
        })
    }

    /// One round of the time-driven work: overdue occurrences become missed (logged once each),
    /// and active commitments get occurrences up to the horizon. Idempotent.
    pub fn sweep_commitments(&self) -> StoreResult<SweepReport> {
        let now = self.now();
        // Closed spaces are left alone, and left out: otherwise their rows would come back every
        // round and crowd out the spaces that still need the work.
        let overdue: Vec<(String, String)> = self.read(|conn| {
            Ok(occ::table
                .inner_join(spaces::table)
                .filter(spaces::state.ne(SpaceState::Closed.as_str()))
                .filter(occ::state.eq(OccurrenceState::Due.as_str()))
                .filter(occ::deadline_at.lt(stored_time(now)))
                .order(occ::deadline_at.asc())
                .limit(SWEEP_BATCH)
                .select((occ::id, occ::space_id))
                .load(conn)?)
        })?;
        let mut report = SweepReport::default();
        for (occurrence, space) in overdue {
            let space: SpaceId = parse_id(&space)?;
            report.missed +=
                usize::from(self.write(|conn| mark_missed(conn, space, &occurrence, now))?);
        }
        let stale: Vec<(String, String)> = self.read(|conn| {
            Ok(commitments::table
                .inner_join(spaces::table)
                .filter(spaces::state.ne(SpaceState::Closed.as_str()))
                .filter(commitments::state.eq("active"))
                .filter(
                    commitments::scheduled_until.lt(stored_time(now + HORIZON - Duration::days(1))),
                )
                .select((commitments::id, commitments::space_id))
                .load(conn)?)
        })?;
        for (commitment, space) in stale {
            let (commitment, space): (CommitmentId, SpaceId) =
                (parse_id(&commitment)?, parse_id(&space)?);
            report.extended +=
                self.write(|conn| match crate::spaces::lock_space_row(conn, space)? {
                    SpaceState::Closed => Ok(0),
                    _ => extend(conn, commitment, now),
                })?;
        }
        Ok(report)
    }
}

/// Turns one occurrence missed if it still is due (another instance may have been first).
fn mark_missed(
    conn: &mut DbConnection,
    space: SpaceId,
    occurrence: &str,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    // A closed space is still: nobody is held to anything there any more.
    if crate::spaces::lock_space_row(conn, space)? == SpaceState::Closed {
        return Ok(false);
    }
    let changed = diesel::update(occ::table.find(occurrence))
        .filter(occ::state.eq(OccurrenceState::Due.as_str()))
        .filter(occ::deadline_at.lt(stored_time(now)))
        .set(occ::state.eq(OccurrenceState::Missed.as_str()))
        .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    let (commitment, due_at, committer): (String, NaiveDateTime, String) = occ::table
        .inner_join(commitments::table)
        .filter(occ::id.eq(occurrence))
        .select((occ::commitment_id, occ::due_at, commitments::committer_id))
        .first(conn)?;
    let event = SpaceEvent::OccurrenceMissed {
        commitment_id: parse_id(&commitment)?,
        occurrence_id: parse_id(occurrence)?,
        due_at: utc(due_at),
    };
    append_event(
        conn,
        space,
        parse_id(&committer)?,
        Audience::Members,
        &event,
        now,
    )?;
    Ok(true)
}

/// Writes the occurrences from `scheduled_until` up to `now + HORIZON`; returns how many.
fn extend(conn: &mut DbConnection, id: CommitmentId, now: DateTime<Utc>) -> StoreResult<usize> {
    let row: CommitmentRow = commitments::table
        .find(id.to_string())
        .select(CommitmentRow::as_select())
        .first(conn)?;
    let schedule = row.schedule()?;
    let grace = Duration::minutes(row.grace_minutes);
    let last_due: Option<NaiveDateTime> = occ::table
        .filter(occ::commitment_id.eq(id.to_string()))
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
                occ::id.eq(OccurrenceId::new_at(*due).to_string()),
                occ::commitment_id.eq(id.to_string()),
                occ::space_id.eq(&row.space_id),
                occ::opens_at.eq(stored_time(opens_at)),
                occ::due_at.eq(stored_time(*due)),
                occ::deadline_at.eq(stored_time(*due + grace)),
                occ::state.eq(OccurrenceState::Due.as_str()),
            ))
            .execute(conn)?;
        opens_at = *due;
    }
    diesel::update(commitments::table.find(id.to_string()))
        .set(commitments::scheduled_until.eq(stored_time(until)))
        .execute(conn)?;
    Ok(dues.len())
}

/// Deletes occurrences not yet due (renegotiation and retirement do not reach into the past).
fn drop_future(conn: &mut DbConnection, id: CommitmentId, now: DateTime<Utc>) -> StoreResult<()> {
    diesel::delete(occ::table)
        .filter(occ::commitment_id.eq(id.to_string()))
        .filter(occ::state.eq(OccurrenceState::Due.as_str()))
        .filter(occ::due_at.gt(stored_time(now)))
        .execute(conn)?;
    Ok(())
}

fn load(conn: &mut DbConnection, space: SpaceId, id: CommitmentId) -> StoreResult<CommitmentRow> {
    Ok(commitments::table
        .find(id.to_string())
        .filter(commitments::space_id.eq(space.to_string()))
        .select(CommitmentRow::as_select())
        .first(conn)?)
}

fn load_active_as_committer(
    conn: &mut DbConnection,
    space: SpaceId,
    id: CommitmentId,
    caller: UserId,
) -> StoreResult<CommitmentRow> {
    let row = load(conn, space, id)?;
    if row.committer_id != caller.to_string() {
        return Err(DomainError::Forbidden {
            code: "not_the_committer",
            message: "only the one who made the commitment changes it",
        }
        .into());
    }
    if row.state != "active" {
        return Err(DomainError::Conflict {
            code: "commitment_retired",
            message: "this commitment is retired",
        }
        .into());
    }
    Ok(row)
}

/// The other current member: the one the commitment is made to.
fn partner_of(conn: &mut DbConnection, space: SpaceId, member: UserId) -> StoreResult<UserId> {
    let partner: Option<String> = memberships::table
        .filter(memberships::space_id.eq(space.to_string()))
        .filter(memberships::user_id.ne(member.to_string()))
        .filter(memberships::left_at.is_null())
        .select(memberships::user_id)
        .first(conn)
        .optional()?;
    let partner = partner.ok_or(DomainError::Conflict {
        code: "no_partner",
        message: "a commitment is made to a partner: invite them first",
    })?;
    parse_id(&partner)
}

fn schedule_json(recurrence: &Recurrence) -> StoreResult<String> {
    serde_json::to_string(recurrence).map_err(|e| StoreError::Internal(e.to_string()))
}
