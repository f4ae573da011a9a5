//! Check-ins: written by one partner, seen by both, logged as `check_in.created`.

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{guard_writable_space, require_current_member};
use crate::rows::{page, stored_time, utc};
use crate::schema::check_ins;
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::check_in::{Mood, NewCheckIn};
use kept_core::event::{Audience, SpaceEvent};
use kept_core::{CheckInId, DomainError, SpaceId, UserId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CheckIn))]
pub struct CheckInView {
    pub id: CheckInId,
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub text: String,
    pub mood: Option<Mood>,
    pub created_at: DateTime<Utc>,
    /// Deleted by its author: the text is gone, the fact remains.
    pub redacted: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = check_ins)]
struct CheckInRow {
    id: CheckInId,
    space_id: SpaceId,
    author_id: UserId,
    text: String,
    mood: Option<Mood>,
    created_at: NaiveDateTime,
    redacted_at: Option<NaiveDateTime>,
}

impl TryFrom<CheckInRow> for CheckInView {
    type Error = StoreError;
    fn try_from(row: CheckInRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            space_id: row.space_id,
            author_id: row.author_id,
            text: row.text,
            mood: row.mood,
            created_at: utc(row.created_at),
            redacted: row.redacted_at.is_some(),
        })
    }
}

/// A page of check-ins, newest first; `next` is the `before` id for the following page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckInPage {
    pub items: Vec<CheckInView>,
    pub next: Option<CheckInId>,
}

impl Store {
    pub fn create_check_in(
        &self,
        author: UserId,
        space: SpaceId,
        check_in: NewCheckIn,
    ) -> StoreResult<CheckInView> {
        let now = self.now();
        let id = CheckInId::new_at(now);
        self.write(|conn| {
            guard_writable_space(conn, author, space)?;
            diesel::insert_into(check_ins::table)
                .values((
                    check_ins::id.eq(id),
                    check_ins::space_id.eq(space),
                    check_ins::author_id.eq(author),
                    check_ins::text.eq(check_in.text.as_str()),
                    check_ins::mood.eq(check_in.mood),
                    check_ins::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            let event = SpaceEvent::CheckInCreated {
                check_in_id: id,
                text: check_in.text.as_str().to_owned(),
                mood: check_in.mood,
            };
            append_event(conn, space, author, Audience::Members, &event, now)?;
            // What was just written, as written (no second read).
            Ok(CheckInView {
                id,
                space_id: space,
                author_id: author,
                text: check_in.text.as_str().to_owned(),
                mood: check_in.mood,
                created_at: utc(stored_time(now)),
                redacted: false,
            })
        })
    }

    /// Check-ins of the space, newest first, before the id `before` (ids sort by time).
    pub fn check_ins(
        &self,
        viewer: UserId,
        space: SpaceId,
        before: Option<CheckInId>,
        limit: i64,
    ) -> StoreResult<CheckInPage> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let mut query = check_ins::table
                .filter(check_ins::space_id.eq(space))
                .select(CheckInRow::as_select())
                .order(check_ins::id.desc())
                .limit(limit + 1)
                .into_boxed();
            if let Some(before) = before {
                query = query.filter(check_ins::id.lt(before));
            }
            let items = query
                .load::<CheckInRow>(conn)?
                .into_iter()
                .map(CheckInView::try_from)
                .collect::<StoreResult<Vec<_>>>()?;
            let (items, next) = page(items, limit, |c| c.id);
            Ok(CheckInPage { items, next })
        })
    }

    /// The author deletes the text of their check-in. Deleting twice is harmless.
    pub fn redact_check_in(
        &self,
        caller: UserId,
        space: SpaceId,
        id: CheckInId,
    ) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, caller, space)?;
            crate::membership::lock_space_row(conn, space)?;
            let found = load(conn, id)?;
            if found.space_id != space {
                return Err(StoreError::NotFound);
            }
            if found.author_id != caller {
                return Err(DomainError::Forbidden {
                    code: "not_the_author",
                    message: "only its author deletes a text",
                }
                .into());
            }
            if found.redacted {
                return Ok(());
            }
            diesel::update(check_ins::table.find(id))
                .set((
                    check_ins::text.eq(""),
                    check_ins::mood.eq(None::<String>),
                    check_ins::redacted_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            crate::events::scrub_payloads(conn, space, "check_in_id", &id.to_string())?;
            append_event(
                conn,
                space,
                caller,
                Audience::Members,
                &SpaceEvent::CheckInRedacted { check_in_id: id },
                now,
            )?;
            Ok(())
        })
    }

    pub fn check_in(
        &self,
        viewer: UserId,
        space: SpaceId,
        id: CheckInId,
    ) -> StoreResult<CheckInView> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let found = load(conn, id)?;
            if found.space_id == space {
                Ok(found)
            } else {
                Err(StoreError::NotFound)
            }
        })
    }
}

fn load(conn: &mut DbConnection, id: CheckInId) -> StoreResult<CheckInView> {
    check_ins::table
        .find(id)
        .select(CheckInRow::as_select())
        .first::<CheckInRow>(conn)?
        .try_into()
}
