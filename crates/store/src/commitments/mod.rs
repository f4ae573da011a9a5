//! Commitments and their occurrences. Occurrences are written ahead of time up to a horizon
//! (`scheduled_until`), so that each can be marked, confirmed or disputed by id; the sweep keeps
//! the horizon ahead of the clock and turns overdue occurrences `missed`.
//!
//! The sweep is safe with several instances: each occurrence is turned missed by a conditional
//! update under its space's lock, so exactly one instance logs each `occurrence.missed`.

mod rows;
mod sweep;
mod views;

pub use rows::HORIZON;
pub use views::{
    CommitmentTerms, CommitmentView, NewCommitment, OccurrenceChange, OccurrenceView, SweepReport,
};

use crate::Store;
use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{guard_writable_space, require_current_member};
use crate::rows::{stored_time, utc};
use crate::schema::{commitment_occurrences as occ, commitments, requests, users};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kept_core::commitment::CommitmentState;
use kept_core::commitment::{
    CommitmentText, Grace, OccurrenceFacts, OccurrenceNote, renegotiated_from,
};
use kept_core::event::{Audience, SpaceEvent};
use kept_core::{CommitmentId, DomainError, Invalid, OccurrenceId, SpaceId, UserId};
use rows::{
    CommitmentRow, OccurrenceRow, drop_future, extend, load, load_active_as_committer, partner_of,
    schedule_json,
};

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
            guard_writable_space(conn, committer, space)?;
            let partner = partner_of(conn, space, committer)?;
            if let Some(request) = new.request {
                let in_space = requests::table
                    .find(request)
                    .filter(requests::space_id.eq(space))
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
                .find(committer)
                .select(users::time_zone)
                .first(conn)?;
            diesel::insert_into(commitments::table)
                .values((
                    commitments::id.eq(id),
                    commitments::space_id.eq(space),
                    commitments::committer_id.eq(committer),
                    commitments::partner_id.eq(partner),
                    commitments::request_id.eq(new.request),
                    commitments::text.eq(new.text.as_str()),
                    commitments::schedule.eq(schedule_json(&new.recurrence)?),
                    commitments::time_zone.eq(&zone),
                    commitments::grace_minutes.eq(new.grace.as_minutes()),
                    commitments::state.eq(CommitmentState::Active),
                    commitments::version.eq(1),
                    commitments::scheduled_until.eq(stored_time(now)),
                    commitments::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            extend(conn, id, now)?;
            crate::reminders::schedule::sync_commitment(conn, &self.reminder_settings, id, now)?;
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
                .filter(commitments::space_id.eq(space))
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
                .filter(occ::commitment_id.eq(id))
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
            guard_writable_space(conn, caller, space)?;
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
                .filter(occ::commitment_id.eq(id))
                .select(diesel::dsl::max(occ::due_at))
                .first(conn)?;
            let zone = row.schedule()?.zone;
            let new_terms_from = renegotiated_from(now, last_marked.map(utc), zone);
            diesel::update(commitments::table.find(id))
                .set((
                    commitments::text.eq(&text),
                    commitments::schedule.eq(schedule_json(&recurrence)?),
                    commitments::grace_minutes.eq(grace),
                    commitments::version.eq(row.version + 1),
                    commitments::scheduled_until.eq(stored_time(new_terms_from)),
                ))
                .execute(conn)?;
            extend(conn, id, now)?;
            crate::reminders::schedule::sync_commitment(conn, &self.reminder_settings, id, now)?;
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
            guard_writable_space(conn, caller, space)?;
            load_active_as_committer(conn, space, id, caller)?;
            drop_future(conn, id, now)?;
            diesel::update(commitments::table.find(id))
                .set((
                    commitments::state.eq(CommitmentState::Retired),
                    commitments::retired_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            crate::reminders::schedule::sync_commitment(conn, &self.reminder_settings, id, now)?;
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
            guard_writable_space(conn, caller, space)?;
            let parent = load(conn, space, commitment)?;
            let current: OccurrenceView = occ::table
                .find(occurrence)
                .filter(occ::commitment_id.eq(commitment))
                .select(OccurrenceRow::as_select())
                .first::<OccurrenceRow>(conn)?
                .try_into()?;
            let facts = OccurrenceFacts {
                committer: parent.committer_id,
                state: current.state,
                opens_at: current.opens_at,
                due_at: current.due_at,
                grace: Grace::minutes(parent.grace_minutes).map_err(StoreError::Corrupt)?,
            };
            let target = occ::table.find(occurrence);
            let event = match change {
                OccurrenceChange::Kept { note } => {
                    let next = facts.mark_kept(caller, now)?;
                    let note = note.map(OccurrenceNote::into_string);
                    diesel::update(target)
                        .set((
                            occ::state.eq(next),
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
                        .set((occ::state.eq(next), occ::reviewed_at.eq(stored_time(now))))
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
                            occ::state.eq(next),
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
                .find(occurrence)
                .select(OccurrenceRow::as_select())
                .first::<OccurrenceRow>(conn)?
                .try_into()
        })
    }
}
