//! Requests: each transition checks membership, asks core whether this person may move the
//! request from its current state, writes the new state and logs the event — in one transaction.

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{guard_writable_space, require_current_member};
use crate::rows::{stored_time, utc};
use crate::schema::requests;
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::request::{RequestFacts, RequestState, RequestText};
use kept_core::{RequestId, SpaceId, UserId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Request))]
pub struct RequestView {
    pub id: RequestId,
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub text: String,
    pub state: RequestState,
    /// The partner's acknowledgement, in their own words.
    pub reply: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub felt_heard: Option<bool>,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = requests)]
struct RequestRow {
    id: RequestId,
    space_id: SpaceId,
    author_id: UserId,
    text: String,
    state: RequestState,
    reply: Option<String>,
    acknowledged_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    felt_heard: Option<bool>,
    created_at: NaiveDateTime,
}

impl TryFrom<RequestRow> for RequestView {
    type Error = StoreError;
    fn try_from(row: RequestRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            space_id: row.space_id,
            author_id: row.author_id,
            state: row.state,
            text: row.text,
            reply: row.reply,
            acknowledged_at: row.acknowledged_at.map(utc),
            closed_at: row.closed_at.map(utc),
            felt_heard: row.felt_heard,
            created_at: utc(row.created_at),
        })
    }
}

/// A transition of a request, as the caller asked for it.
#[derive(Debug, Clone)]
pub enum RequestChange {
    Acknowledge { reply: RequestText },
    Resolve { felt_heard: Option<bool> },
    Withdraw,
}

impl Store {
    pub fn create_request(
        &self,
        author: UserId,
        space: SpaceId,
        text: RequestText,
    ) -> StoreResult<RequestView> {
        let now = self.now();
        let id = RequestId::new_at(now);
        self.write(|conn| {
            guard_writable_space(conn, author, space)?;
            diesel::insert_into(requests::table)
                .values((
                    requests::id.eq(id),
                    requests::space_id.eq(space),
                    requests::author_id.eq(author),
                    requests::text.eq(text.as_str()),
                    requests::state.eq(RequestState::Open),
                    requests::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            let event = SpaceEvent::RequestCreated {
                request_id: id,
                text: text.into_string(),
            };
            append_event(conn, space, author, Audience::Members, &event, now)?;
            load(conn, space, id)
        })
    }

    pub fn change_request(
        &self,
        caller: UserId,
        space: SpaceId,
        id: RequestId,
        change: RequestChange,
    ) -> StoreResult<RequestView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, caller, space)?;
            let current = load(conn, space, id)?;
            let facts = RequestFacts {
                author: current.author_id,
                state: current.state,
            };
            let target = requests::table.find(id);
            let event = match change {
                RequestChange::Acknowledge { reply } => {
                    let next = facts.acknowledge(caller)?;
                    diesel::update(target)
                        .set((
                            requests::state.eq(next),
                            requests::reply.eq(reply.as_str()),
                            requests::acknowledged_at.eq(stored_time(now)),
                        ))
                        .execute(conn)?;
                    SpaceEvent::RequestAcknowledged {
                        request_id: id,
                        reply: reply.into_string(),
                    }
                }
                RequestChange::Resolve { felt_heard } => {
                    let next = facts.resolve(caller)?;
                    diesel::update(target)
                        .set((
                            requests::state.eq(next),
                            requests::felt_heard.eq(felt_heard),
                            requests::closed_at.eq(stored_time(now)),
                        ))
                        .execute(conn)?;
                    SpaceEvent::RequestResolved {
                        request_id: id,
                        felt_heard,
                    }
                }
                RequestChange::Withdraw => {
                    let next = facts.withdraw(caller)?;
                    diesel::update(target)
                        .set((
                            requests::state.eq(next),
                            requests::closed_at.eq(stored_time(now)),
                        ))
                        .execute(conn)?;
                    SpaceEvent::RequestWithdrawn { request_id: id }
                }
            };
            append_event(conn, space, caller, Audience::Members, &event, now)?;
            load(conn, space, id)
        })
    }

    /// The space's requests, newest first, optionally only those in `state`.
    pub fn requests(
        &self,
        viewer: UserId,
        space: SpaceId,
        state: Option<RequestState>,
    ) -> StoreResult<Vec<RequestView>> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let mut query = requests::table
                .filter(requests::space_id.eq(space))
                .select(RequestRow::as_select())
                .order(requests::id.desc())
                .into_boxed();
            if let Some(state) = state {
                query = query.filter(requests::state.eq(state));
            }
            query
                .load::<RequestRow>(conn)?
                .into_iter()
                .map(RequestView::try_from)
                .collect()
        })
    }

    pub fn request(
        &self,
        viewer: UserId,
        space: SpaceId,
        id: RequestId,
    ) -> StoreResult<RequestView> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            load(conn, space, id)
        })
    }
}

/// The request, if it belongs to `space` (else `NotFound`, like any id from elsewhere).
fn load(conn: &mut DbConnection, space: SpaceId, id: RequestId) -> StoreResult<RequestView> {
    requests::table
        .find(id)
        .filter(requests::space_id.eq(space))
        .select(RequestRow::as_select())
        .first::<RequestRow>(conn)?
        .try_into()
}
