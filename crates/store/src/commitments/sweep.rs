//! The time-driven work on commitments: overdue occurrences become missed, and active
//! commitments get occurrences up to the horizon.

use super::rows::{HORIZON, SWEEP_BATCH, extend};
use super::views::SweepReport;
use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::rows::{stored_time, utc};
use crate::schema::{commitment_occurrences as occ, commitments, spaces};
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::commitment::CommitmentState;
use kept_core::commitment::OccurrenceState;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::space::SpaceState;
use kept_core::{CommitmentId, OccurrenceId, SpaceId, UserId};

impl Store {
    /// One round of the time-driven work: overdue occurrences become missed (logged once each),
    /// and active commitments get occurrences up to the horizon. Idempotent.
    pub fn sweep_commitments(&self) -> StoreResult<SweepReport> {
        let now = self.now();
        // Closed spaces are left alone, and left out: otherwise their rows would come back every
        // round and crowd out the spaces that still need the work.
        let overdue: Vec<(OccurrenceId, SpaceId)> = self.read(|conn| {
            Ok(occ::table
                .inner_join(spaces::table)
                .filter(spaces::state.ne(SpaceState::Closed))
                .filter(occ::state.eq(OccurrenceState::Due))
                .filter(occ::deadline_at.lt(stored_time(now)))
                .order(occ::deadline_at.asc())
                .limit(SWEEP_BATCH)
                .select((occ::id, occ::space_id))
                .load(conn)?)
        })?;
        let mut report = SweepReport::default();
        for (occurrence, space) in overdue {
            report.missed +=
                usize::from(self.write(|conn| mark_missed(conn, space, occurrence, now))?);
        }
        let stale: Vec<(CommitmentId, SpaceId)> = self.read(|conn| {
            Ok(commitments::table
                .inner_join(spaces::table)
                .filter(spaces::state.ne(SpaceState::Closed))
                .filter(commitments::state.eq(CommitmentState::Active))
                .filter(
                    commitments::scheduled_until.lt(stored_time(now + HORIZON - Duration::days(1))),
                )
                .select((commitments::id, commitments::space_id))
                .load(conn)?)
        })?;
        for (commitment, space) in stale {
            let extended =
                self.write(
                    |conn| match crate::membership::lock_space_row(conn, space)? {
                        SpaceState::Closed => Ok(0),
                        _ => extend(conn, commitment, now),
                    },
                );
            match extended {
                Ok(extended) => report.extended += extended,
                // A commitment whose schedule cannot be read gets no new occurrences; it is
                // logged each round, and the others go on.
                Err(StoreError::Corrupt(cause)) => {
                    tracing::error!(%commitment, %cause, "a commitment's stored data is corrupt");
                    report.corrupt += 1;
                }
                Err(other) => return Err(other),
            }
        }
        Ok(report)
    }
}

/// Turns one occurrence missed if it still is due (another instance may have been first).
fn mark_missed(
    conn: &mut DbConnection,
    space: SpaceId,
    occurrence: OccurrenceId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    // A closed space is still: nobody is held to anything there any more.
    if crate::membership::lock_space_row(conn, space)? == SpaceState::Closed {
        return Ok(false);
    }
    let changed = diesel::update(occ::table.find(occurrence))
        .filter(occ::state.eq(OccurrenceState::Due))
        .filter(occ::deadline_at.lt(stored_time(now)))
        .set(occ::state.eq(OccurrenceState::Missed))
        .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    let (commitment, due_at, committer): (CommitmentId, NaiveDateTime, UserId) = occ::table
        .inner_join(commitments::table)
        .filter(occ::id.eq(occurrence))
        .select((occ::commitment_id, occ::due_at, commitments::committer_id))
        .first(conn)?;
    let event = SpaceEvent::OccurrenceMissed {
        commitment_id: commitment,
        occurrence_id: occurrence,
        due_at: utc(due_at),
    };
    append_event(conn, space, committer, Audience::Members, &event, now)?;
    Ok(true)
}
