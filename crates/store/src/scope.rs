//! What the current transaction carries on its thread besides the connection: the caller's
//! session, still to be confirmed, and the `seq` the space guard reserved for the first event.
//!
//! A transaction runs from begin to commit on one blocking thread (see `published.rs`), so the
//! thread is its scope; commands keep their signatures. Both are folded into the one statement
//! that opens a command on a space (`membership::guard_writable_space`), and are otherwise
//! settled by `Store::write`/`read` before the commit.

use crate::DbConnection;
use crate::error::{StoreError, StoreResult};
use crate::schema::{sessions, spaces};
use diesel::prelude::*;
use kept_core::{SessionId, SpaceId, UserId};
use std::cell::Cell;

/// A caller's session that the transaction must find active, or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionToConfirm {
    pub user: UserId,
    pub session: SessionId,
}

thread_local! {
    static SESSION: Cell<Option<SessionToConfirm>> = const { Cell::new(None) };
    static RESERVED_SEQ: Cell<Option<(SpaceId, i64)>> = const { Cell::new(None) };
}

/// Starts a transaction's scope: nothing reserved, and `session` (if any) to confirm.
pub(crate) fn begin(session: Option<SessionToConfirm>) {
    SESSION.with(|s| s.set(session));
    RESERVED_SEQ.with(|r| r.set(None));
}

/// The session still to confirm, if any; taking it means the taker confirms it.
pub(crate) fn take_session() -> Option<SessionToConfirm> {
    SESSION.with(Cell::take)
}

/// Gives back a session the taker did not confirm after all.
pub(crate) fn restore_session(session: Option<SessionToConfirm>) {
    SESSION.with(|s| s.set(session));
}

pub(crate) fn reserve_seq(space: SpaceId, seq: i64) {
    RESERVED_SEQ.with(|r| r.set(Some((space, seq))));
}

/// The reserved `seq` of `space`, once.
pub(crate) fn take_reserved_seq(space: SpaceId) -> Option<i64> {
    RESERVED_SEQ.with(|r| match r.get() {
        Some((reserved, seq)) if reserved == space => {
            r.set(None);
            Some(seq)
        }
        _ => None,
    })
}

/// A reservation no event used (a command that guarded the space and then appended nothing).
fn take_unused_reservation() -> Option<SpaceId> {
    RESERVED_SEQ.with(Cell::take).map(|(space, _)| space)
}

/// Confirms the session the transaction carries (if it has one not yet confirmed): ended is
/// `SessionEnded`.
pub(crate) fn confirm_pending_session(conn: &mut DbConnection) -> StoreResult<()> {
    match take_session() {
        Some(confirm) if !session_active(conn, confirm.user, confirm.session)? => {
            Err(StoreError::SessionEnded)
        }
        _ => Ok(()),
    }
}

pub(crate) fn session_active(
    conn: &mut DbConnection,
    user: UserId,
    session: SessionId,
) -> StoreResult<bool> {
    let active = active_session(user, session)
        .count()
        .get_result::<i64>(conn)?;
    Ok(active == 1)
}

/// The row of `user`'s `session` while it is signed in.
#[diesel::dsl::auto_type]
pub(crate) fn active_session(user: UserId, session: SessionId) -> _ {
    sessions::table
        .filter(sessions::id.eq(session))
        .filter(sessions::user_id.eq(user))
        .filter(sessions::revoked_at.is_null())
}

/// Confirms the transaction's session if the command did not (a signed-out caller hears that,
/// whatever else the command said), unless the database failed under the command: then the
/// transaction can run nothing more, and the failure is the answer.
pub(crate) fn settle<T>(conn: &mut DbConnection, outcome: StoreResult<T>) -> StoreResult<T> {
    let database_failed = matches!(
        outcome,
        Err(StoreError::Internal(_) | StoreError::Unavailable(_) | StoreError::Corrupt(_))
    );
    if !database_failed {
        confirm_pending_session(conn)?;
    }
    outcome
}

/// Gives back a `seq` the space guard reserved for an event that was never appended, so the
/// log stays gapless.
pub(crate) fn release_unused_reservation(conn: &mut DbConnection) -> StoreResult<()> {
    if let Some(space) = take_unused_reservation() {
        diesel::update(spaces::table.find(space))
            .set(spaces::last_seq.eq(spaces::last_seq - 1))
            .execute(conn)?;
    }
    Ok(())
}
