//! The checks every command on a space makes first: that the caller is a current member, and
//! the space's row lock, under which the command is decided. Shared by every module that reads
//! or writes a space's items. A command that adds to a space does it all in one statement
//! ([`guard_writable_space`]).

use crate::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::schema::{memberships, spaces};
use crate::scope;
use diesel::prelude::*;
use kept_core::space::SpaceState;
use kept_core::{DomainError, SpaceId, UserId};

/// The row that makes `user` a current member of `space` (none once they left).
#[diesel::dsl::auto_type]
fn current_membership(user: UserId, space: SpaceId) -> _ {
    memberships::table
        .filter(memberships::space_id.eq(space))
        .filter(memberships::user_id.eq(user))
        .filter(memberships::left_at.is_null())
}

/// `Ok` if `user` is a current member of `space`; otherwise `NotFound`, whether or not the space
/// exists, so that another space's ids reveal nothing.
pub(crate) fn require_current_member(
    conn: &mut DbConnection,
    user: UserId,
    space: SpaceId,
) -> StoreResult<()> {
    let member = current_membership(user, space)
        .count()
        .get_result::<i64>(conn)?;
    if member == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// Takes the space's row lock (PostgreSQL; SQLite's `BEGIN IMMEDIATE` already serialises
/// writers) and says what state the space is in under the lock.
pub(crate) fn lock_space_row(conn: &mut DbConnection, space: SpaceId) -> StoreResult<SpaceState> {
    Ok(diesel::update(spaces::table.find(space))
        .set(spaces::last_seq.eq(spaces::last_seq))
        .returning(spaces::state)
        .get_result(conn)?)
}

/// Opens a command that adds to `space`, in one statement: the caller's session (if the
/// transaction has one to confirm) is active, `user` is a current member, the space is not
/// closed; then the space's row is locked and the next `seq` reserved for the command's first
/// event. Only when that finds nothing does a slower path say which check failed.
pub(crate) fn guard_writable_space(
    conn: &mut DbConnection,
    user: UserId,
    space: SpaceId,
) -> StoreResult<()> {
    let session = scope::take_session();
    let guarded = diesel::update(spaces::table.find(space))
        .filter(diesel::dsl::exists(current_membership(user, space)))
        .filter(spaces::state.ne(SpaceState::Closed))
        .set(spaces::last_seq.eq(spaces::last_seq + 1));
    let reserved = match session {
        Some(confirm) => guarded
            .filter(diesel::dsl::exists(scope::active_session(
                confirm.user,
                confirm.session,
            )))
            .returning(spaces::last_seq)
            .get_result::<i64>(conn)
            .optional()?,
        None => guarded
            .returning(spaces::last_seq)
            .get_result::<i64>(conn)
            .optional()?,
    };
    if let Some(seq) = reserved {
        scope::reserve_seq(space, seq);
        return Ok(());
    }
    // Which check failed, in the order a caller should hear of them.
    scope::restore_session(session);
    scope::confirm_pending_session(conn)?;
    require_current_member(conn, user, space)?;
    lock_space_row(conn, space)?.ensure_writable()?;
    Err(StoreError::Internal(
        "the space guard found nothing to refuse and nothing to lock".to_owned(),
    ))
}

/// Refuses (409 `not_paired`, saying `why`) unless both partners are in `space`; for commands
/// that need the other partner, run after [`guard_writable_space`] (which holds the row lock).
pub(crate) fn require_paired(
    conn: &mut DbConnection,
    space: SpaceId,
    why: &'static str,
) -> StoreResult<()> {
    let state: SpaceState = spaces::table
        .find(space)
        .select(spaces::state)
        .first(conn)?;
    if state == SpaceState::Paired {
        Ok(())
    } else {
        Err(DomainError::Conflict {
            code: "not_paired",
            message: why,
        }
        .into())
    }
}
