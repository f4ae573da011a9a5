//! Live streams: the single-use tickets that open a websocket, and the read a live session
//! makes each time its space's doorbell rings.

use crate::error::{StoreError, StoreResult};
use crate::events::EventPage;
use crate::membership::require_current_member;
use crate::rows::stored_time;
use crate::schema::live_tickets;
use crate::scope::session_active;
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use kept_core::{SessionId, SpaceId, UserId};

/// Tickets older than this are deleted whenever a new one is issued.
const TICKET_RETENTION: Duration = Duration::hours(1);

impl Store {
    /// Records a ticket (by its digest) that lets `user`'s `session` open the live stream of
    /// `space` once, until the returned expiry.
    pub fn issue_live_ticket(
        &self,
        user: UserId,
        session: SessionId,
        space: SpaceId,
        ticket_digest: &str,
        ttl: Duration,
    ) -> StoreResult<DateTime<Utc>> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, user, space)?;
            diesel::delete(live_tickets::table)
                .filter(live_tickets::expires_at.lt(stored_time(now - TICKET_RETENTION)))
                .execute(conn)?;
            diesel::insert_into(live_tickets::table)
                .values((
                    live_tickets::ticket_hash.eq(ticket_digest),
                    live_tickets::user_id.eq(user),
                    live_tickets::session_id.eq(session),
                    live_tickets::space_id.eq(space),
                    live_tickets::expires_at.eq(stored_time(now + ttl)),
                ))
                .execute(conn)?;
            Ok(now + ttl)
        })
    }

    /// Spends a ticket for `space`. Unknown, used, expired or for another space:
    /// `Unauthenticated`. The caller no longer a member: `NotFound`.
    pub fn redeem_live_ticket(
        &self,
        ticket_digest: &str,
        space: SpaceId,
    ) -> StoreResult<(UserId, SessionId)> {
        let now = self.now();
        self.write(|conn| {
            let spent = diesel::update(live_tickets::table)
                .filter(live_tickets::ticket_hash.eq(ticket_digest))
                .filter(live_tickets::space_id.eq(space))
                .filter(live_tickets::used_at.is_null())
                .filter(live_tickets::expires_at.gt(stored_time(now)))
                .set(live_tickets::used_at.eq(stored_time(now)))
                .returning((live_tickets::user_id, live_tickets::session_id))
                .get_result::<(UserId, SessionId)>(conn)
                .optional()?;
            let Some((user, session)) = spent else {
                return Err(StoreError::Unauthenticated);
            };
            ensure_session_active(conn, user, session)?;
            require_current_member(conn, user, space)?;
            Ok((user, session))
        })
    }

    /// What a live session sends next: the viewer's events after `after`, provided the session
    /// is still signed in (`Unauthenticated`) and the viewer still a member (`NotFound`).
    pub fn live_events(
        &self,
        viewer: UserId,
        session: SessionId,
        space: SpaceId,
        after: i64,
        limit: i64,
    ) -> StoreResult<EventPage> {
        self.read(|conn| {
            ensure_session_active(conn, viewer, session)?;
            crate::events::visible_events(conn, viewer, space, after, limit)
        })
    }
}

fn ensure_session_active(
    conn: &mut DbConnection,
    user: UserId,
    session: SessionId,
) -> StoreResult<()> {
    if session_active(conn, user, session)? {
        Ok(())
    } else {
        Err(StoreError::Unauthenticated)
    }
}
