//! How long a space outlives its partners. A space both partners have left is deleted, with
//! everything in it, once the last of them has been gone for the configured days (the
//! scheduler asks); the one partner still in a space the other left may delete it at once.

use crate::error::StoreResult;
use crate::rows::stored_time;
use crate::schema::{deliveries, memberships, spaces};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::space::SpaceState;
use kept_core::{DomainError, SpaceId, UserId};

/// Spaces deleted per scheduler round at most; more wait a round.
const PURGE_BATCH: i64 = 100;

impl Store {
    /// Deletes `space` and everything in it, for its last member: the partner has left (or
    /// never joined). Otherwise `not_last_member`; someone not in it gets `NotFound`.
    pub fn delete_space(&self, member: UserId, space: SpaceId) -> StoreResult<()> {
        self.write(|conn| {
            crate::membership::require_current_member(conn, member, space)?;
            crate::membership::lock_space_row(conn, space)?;
            let others = memberships::table
                .filter(memberships::space_id.eq(space))
                .filter(memberships::user_id.ne(member))
                .filter(memberships::left_at.is_null())
                .count()
                .get_result::<i64>(conn)?;
            if others > 0 {
                return Err(DomainError::Conflict {
                    code: "not_last_member",
                    message: "your partner is still in this space; leave it instead",
                }
                .into());
            }
            delete(conn, space)
        })
    }

    /// Deletes the spaces whose partners have all been gone since before `gone_before`; returns
    /// how many.
    pub fn purge_abandoned_spaces(&self, gone_before: DateTime<Utc>) -> StoreResult<usize> {
        self.write(|conn| {
            let closed: Vec<SpaceId> = spaces::table
                .filter(spaces::state.eq(SpaceState::Closed))
                .filter(spaces::closed_at.lt(stored_time(gone_before)))
                .order(spaces::closed_at.asc())
                .limit(PURGE_BATCH)
                .select(spaces::id)
                .load(conn)?;
            let mut purged = 0;
            for space in closed {
                let left: Vec<Option<NaiveDateTime>> = memberships::table
                    .filter(memberships::space_id.eq(space))
                    .select(memberships::left_at)
                    .load(conn)?;
                let last_gone = left
                    .iter()
                    .copied()
                    .try_fold(None, |latest, at| at.map(|at| latest.max(Some(at))));
                // Someone still in it (`None` in the fold), or gone too recently: it stays.
                if last_gone
                    .flatten()
                    .is_some_and(|at| at < stored_time(gone_before))
                {
                    delete(conn, space)?;
                    purged += 1;
                }
            }
            Ok(purged)
        })
    }
}

/// Deletes the space; its rows go with it (`ON DELETE CASCADE`), and the mail written about its
/// events keeps no data. Live sessions on it are rung so that they find it gone and close.
fn delete(conn: &mut DbConnection, space: SpaceId) -> StoreResult<()> {
    crate::events::ring_without_event(conn, space)?;
    // Mail about the space's events may quote its words; it is named by the event it was for.
    // Pushes about it carry no words, only a link that now leads nowhere: they are not sent.
    let about_space = format!("event:{space}:%");
    diesel::update(deliveries::table)
        .filter(deliveries::dedupe_key.like(&about_space))
        .filter(deliveries::push_subscription_id.is_null())
        .set(deliveries::data.eq("{}"))
        .execute(conn)?;
    diesel::delete(deliveries::table)
        .filter(deliveries::dedupe_key.like(&about_space))
        .filter(deliveries::push_subscription_id.is_not_null())
        .execute(conn)?;
    diesel::delete(spaces::table.find(space)).execute(conn)?;
    Ok(())
}
