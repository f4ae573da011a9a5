//! Notes and letters. A note held until `deliver_at` is visible to its author only — in lists,
//! by id and in the timeline — until the scheduler releases it with a `note.delivered` event.

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{guard_writable_space, lock_space_row, require_current_member};
use crate::rows::{stored_time, utc};
use crate::schema::{notes, spaces};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::note::{NoteKind, NoteText, check_reply};
use kept_core::space::SpaceState;
use kept_core::{DomainError, Invalid, NoteId, SpaceId, UserId};
use serde::Serialize;

/// Notes released per scheduler round (the rest wait for the next round).
const RELEASE_BATCH: i64 = 500;

#[derive(Debug, Clone)]
pub struct NewNote {
    pub kind: NoteKind,
    pub text: NoteText,
    /// `None`: delivered at once.
    pub deliver_at: Option<DateTime<Utc>>,
    pub in_reply_to: Option<NoteId>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Note))]
pub struct NoteView {
    pub id: NoteId,
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub kind: NoteKind,
    pub text: String,
    pub in_reply_to: Option<NoteId>,
    pub deliver_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// Deleted by its author: the text is gone, the fact remains.
    pub redacted: bool,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = notes)]
struct NoteRow {
    id: NoteId,
    space_id: SpaceId,
    author_id: UserId,
    kind: NoteKind,
    text: String,
    in_reply_to: Option<NoteId>,
    deliver_at: Option<NaiveDateTime>,
    delivered_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    redacted_at: Option<NaiveDateTime>,
}

impl TryFrom<NoteRow> for NoteView {
    type Error = StoreError;
    fn try_from(row: NoteRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            space_id: row.space_id,
            author_id: row.author_id,
            kind: row.kind,
            text: row.text,
            in_reply_to: row.in_reply_to,
            deliver_at: row.deliver_at.map(utc),
            delivered_at: row.delivered_at.map(utc),
            created_at: utc(row.created_at),
            redacted: row.redacted_at.is_some(),
        })
    }
}

impl Store {
    pub fn create_note(
        &self,
        author: UserId,
        space: SpaceId,
        new: NewNote,
    ) -> StoreResult<NoteView> {
        let now = self.now();
        let id = NoteId::new_at(now);
        self.write(|conn| {
            guard_writable_space(conn, author, space)?;
            if let Some(answered) = new.in_reply_to {
                let answered =
                    visible(conn, author, space, answered).map_err(|error| match error {
                        StoreError::NotFound => DomainError::from(Invalid::field(
                            "in_reply_to",
                            "no such letter in this space",
                        ))
                        .into(),
                        other => other,
                    })?;
                check_reply(new.kind, answered.kind).map_err(DomainError::from)?;
            }
            let delivered_at = new.deliver_at.is_none().then_some(now);
            diesel::insert_into(notes::table)
                .values((
                    notes::id.eq(id),
                    notes::space_id.eq(space),
                    notes::author_id.eq(author),
                    notes::kind.eq(new.kind),
                    notes::text.eq(new.text.as_str()),
                    notes::in_reply_to.eq(new.in_reply_to),
                    notes::deliver_at.eq(new.deliver_at.map(stored_time)),
                    notes::delivered_at.eq(delivered_at.map(stored_time)),
                    notes::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            let text = new.text.into_string();
            let (event, audience) = match new.deliver_at {
                None => (
                    SpaceEvent::NoteDelivered {
                        note_id: id,
                        kind: new.kind,
                        author_id: author,
                        text,
                        in_reply_to: new.in_reply_to,
                    },
                    Audience::Members,
                ),
                Some(deliver_at) => (
                    SpaceEvent::NoteScheduled {
                        note_id: id,
                        kind: new.kind,
                        text,
                        deliver_at,
                        in_reply_to: new.in_reply_to,
                    },
                    Audience::Only(author),
                ),
            };
            append_event(conn, space, author, audience, &event, now)?;
            visible(conn, author, space, id)
        })
    }

    /// The notes `viewer` may see, newest first: every delivered one, and their own waiting ones.
    pub fn notes(
        &self,
        viewer: UserId,
        space: SpaceId,
        kind: Option<NoteKind>,
    ) -> StoreResult<Vec<NoteView>> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let mut query = notes::table
                .filter(notes::space_id.eq(space))
                .filter(
                    notes::delivered_at
                        .is_not_null()
                        .or(notes::author_id.eq(viewer)),
                )
                .order(notes::id.desc())
                .select(NoteRow::as_select())
                .into_boxed();
            if let Some(kind) = kind {
                query = query.filter(notes::kind.eq(kind));
            }
            query
                .load::<NoteRow>(conn)?
                .into_iter()
                .map(NoteView::try_from)
                .collect()
        })
    }

    pub fn note(&self, viewer: UserId, space: SpaceId, id: NoteId) -> StoreResult<NoteView> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            visible(conn, viewer, space, id)
        })
    }

    /// The author deletes the text of their note. A held letter deleted so is never delivered.
    pub fn redact_note(&self, caller: UserId, space: SpaceId, id: NoteId) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, caller, space)?;
            lock_space_row(conn, space)?;
            let found = visible(conn, caller, space, id)?;
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
            diesel::update(notes::table.find(id))
                .set((notes::text.eq(""), notes::redacted_at.eq(stored_time(now))))
                .execute(conn)?;
            crate::events::scrub_payloads(conn, space, "note_id", &id.to_string())?;
            // A note the partner never saw is deleted without telling them it existed.
            let audience = if found.delivered_at.is_some() {
                Audience::Members
            } else {
                Audience::Only(caller)
            };
            append_event(
                conn,
                space,
                caller,
                audience,
                &SpaceEvent::NoteRedacted { note_id: id },
                now,
            )?;
            Ok(())
        })
    }

    /// Releases notes whose `deliver_at` has come; returns how many. Idempotent; a closed
    /// space releases nothing.
    pub fn deliver_due_notes(&self) -> StoreResult<usize> {
        let now = self.now();
        // Closed spaces release nothing, and are left out so they never crowd out the rest.
        let waiting: Vec<(NoteId, SpaceId)> = self.read(|conn| {
            Ok(notes::table
                .inner_join(spaces::table)
                .filter(spaces::state.ne(SpaceState::Closed))
                .filter(notes::delivered_at.is_null())
                .filter(notes::redacted_at.is_null())
                .filter(notes::deliver_at.le(stored_time(now)))
                .order(notes::deliver_at.asc())
                .limit(RELEASE_BATCH)
                .select((notes::id, notes::space_id))
                .load(conn)?)
        })?;
        let mut delivered = 0;
        for (id, space) in waiting {
            delivered += usize::from(self.write(|conn| release(conn, space, id, now))?);
        }
        Ok(delivered)
    }
}

fn release(
    conn: &mut DbConnection,
    space: SpaceId,
    id: NoteId,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if lock_space_row(conn, space)? == SpaceState::Closed {
        return Ok(false);
    }
    let changed = diesel::update(notes::table.find(id))
        .filter(notes::delivered_at.is_null())
        .set(notes::delivered_at.eq(stored_time(now)))
        .execute(conn)?;
    if changed == 0 {
        return Ok(false);
    }
    let note: NoteView = notes::table
        .find(id)
        .select(NoteRow::as_select())
        .first::<NoteRow>(conn)?
        .try_into()?;
    let event = SpaceEvent::NoteDelivered {
        note_id: id,
        kind: note.kind,
        author_id: note.author_id,
        text: note.text,
        in_reply_to: note.in_reply_to,
    };
    append_event(conn, space, note.author_id, Audience::Members, &event, now)?;
    Ok(true)
}

/// The note, if it is in `space` and `viewer` may see it (delivered, or theirs).
fn visible(
    conn: &mut DbConnection,
    viewer: UserId,
    space: SpaceId,
    id: NoteId,
) -> StoreResult<NoteView> {
    notes::table
        .find(id)
        .filter(notes::space_id.eq(space))
        .filter(
            notes::delivered_at
                .is_not_null()
                .or(notes::author_id.eq(viewer)),
        )
        .select(NoteRow::as_select())
        .first::<NoteRow>(conn)?
        .try_into()
}
