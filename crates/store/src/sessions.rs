//! Ending all of a person's sessions at once (sign out everywhere, the safety exit, a password
//! reset); their devices stop receiving pushes with them. Whether one is still active is
//! `scope::session_active`.

use crate::DbConnection;
use crate::error::StoreResult;
use crate::rows::stored_time;
use crate::schema::{memberships, sessions};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kept_core::{SpaceId, UserId};

/// Revokes every session of `user`; used by sign-out-everywhere and the safety exit.
pub(crate) fn end_all_sessions(
    conn: &mut DbConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    // The caller's own session is confirmed before any is ended (it is one of these).
    crate::scope::confirm_pending_session(conn)?;
    diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .set(sessions::revoked_at.eq(stored_time(now)))
        .execute(conn)?;
    // Nothing more is pushed to any of their devices.
    crate::push::remove_all_of(conn, user)?;
    // Their open live streams end now, on every instance.
    let spaces: Vec<SpaceId> = memberships::table
        .filter(memberships::user_id.eq(user))
        .select(memberships::space_id)
        .load(conn)?;
    for space in spaces {
        crate::events::ring_without_event(conn, space)?;
    }
    Ok(())
}
