//! A person's sessions as every part of the store sees them: whether one is still active, and
//! ending them all at once (sign out everywhere, the safety exit, a password reset).

use crate::DbConnection;
use crate::error::StoreResult;
use crate::rows::stored_time;
use crate::schema::{memberships, sessions};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kept_core::{SessionId, SpaceId, UserId};

pub(crate) fn session_active(
    conn: &mut DbConnection,
    user: UserId,
    session: SessionId,
) -> StoreResult<bool> {
    let active = sessions::table
        .filter(sessions::id.eq(session))
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .count()
        .get_result::<i64>(conn)?;
    Ok(active == 1)
}

/// Revokes every session of `user`; used by sign-out-everywhere and the safety exit.
pub(crate) fn end_all_sessions(
    conn: &mut DbConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::update(sessions::table)
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
        .set(sessions::revoked_at.eq(stored_time(now)))
        .execute(conn)?;
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
