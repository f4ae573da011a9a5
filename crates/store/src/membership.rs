//! The two checks every command on a space makes first: that the caller is a current member,
//! and the space's row lock, under which the command is decided. Shared by every module that
//! reads or writes a space's items.

use crate::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::schema::{memberships, spaces};
use diesel::prelude::*;
use kept_core::space::SpaceState;
use kept_core::{SpaceId, UserId};

/// `Ok` if `user` is a current member of `space`; otherwise `NotFound`, whether or not the space
/// exists, so that another space's ids reveal nothing.
pub(crate) fn require_current_member(
    conn: &mut DbConnection,
    user: UserId,
    space: SpaceId,
) -> StoreResult<()> {
    let member = memberships::table
        .filter(memberships::space_id.eq(space))
        .filter(memberships::user_id.eq(user))
        .filter(memberships::left_at.is_null())
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

/// Locks the space for a command that adds content; a closed space is read-only.
pub(crate) fn lock_writable_space(conn: &mut DbConnection, space: SpaceId) -> StoreResult<()> {
    lock_space_row(conn, space)?.ensure_writable()?;
    Ok(())
}
