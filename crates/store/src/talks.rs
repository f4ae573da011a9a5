//! Talks: proposed, answered by the partner, moved, given agenda items, and — once accepted —
//! marked held or skipped occurrence by occurrence.

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{guard_writable_space, require_current_member};
use crate::rows::{stored_time, utc};
use crate::schema::{talk_occurrences as occ, talks, users};
use crate::{DbConnection, Store};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::account::TimeZone;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::talk::{
    AgendaItem, Cadence, MAX_AGENDA_ITEMS, Outcome, TalkFacts, TalkMode, TalkNotes, TalkState,
    TalkTitle, starts,
};
use kept_core::{DomainError, Invalid, SpaceId, TalkId, UserId};
use serde::Serialize;

/// How many upcoming starts a talk lists.
const UPCOMING: usize = 8;

#[derive(Debug, Clone)]
pub struct NewTalk {
    pub title: TalkTitle,
    pub mode: TalkMode,
    pub cadence: Cadence,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
    pub agenda: Vec<AgendaItem>,
}

#[derive(Debug, Clone)]
pub enum TalkChange {
    Accept,
    Decline,
    Move {
        starts_at: DateTime<Utc>,
    },
    AddAgenda {
        item: AgendaItem,
    },
    Mark {
        starts_at: DateTime<Utc>,
        outcome: Outcome,
        notes: Option<TalkNotes>,
    },
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Talk))]
pub struct TalkView {
    pub id: TalkId,
    pub space_id: SpaceId,
    pub proposer_id: UserId,
    pub title: String,
    pub mode: TalkMode,
    pub cadence: Cadence,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i64,
    /// The proposer's zone: recurring talks keep its local time.
    pub time_zone: TimeZone,
    pub agenda: Vec<String>,
    pub state: TalkState,
    pub created_at: DateTime<Utc>,
}

/// One coming start, in UTC and in the viewer's own time zone.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpcomingStart {
    pub starts_at: DateTime<Utc>,
    pub starts_at_local: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TalkOccurrence))]
pub struct TalkOccurrenceView {
    pub starts_at: DateTime<Utc>,
    pub outcome: Outcome,
    pub notes: Option<String>,
    pub marked_by: Option<UserId>,
    pub marked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TalkDetail {
    #[serde(flatten)]
    pub talk: TalkView,
    pub upcoming: Vec<UpcomingStart>,
    pub occurrences: Vec<TalkOccurrenceView>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = talks)]
struct TalkRow {
    id: TalkId,
    space_id: SpaceId,
    proposer_id: UserId,
    title: String,
    mode: TalkMode,
    cadence: Cadence,
    starts_at: NaiveDateTime,
    duration_minutes: i64,
    time_zone: String,
    agenda: String,
    state: TalkState,
    created_at: NaiveDateTime,
}

impl TryFrom<TalkRow> for TalkView {
    type Error = StoreError;
    fn try_from(row: TalkRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            space_id: row.space_id,
            proposer_id: row.proposer_id,
            title: row.title,
            mode: row.mode,
            cadence: row.cadence,
            starts_at: utc(row.starts_at),
            duration_minutes: row.duration_minutes,
            time_zone: TimeZone::parse(&row.time_zone).map_err(StoreError::Corrupt)?,
            agenda: serde_json::from_str(&row.agenda)
                .map_err(|e| StoreError::Corrupt(format!("stored agenda: {e}")))?,
            state: row.state,
            created_at: utc(row.created_at),
        })
    }
}

impl Store {
    pub fn propose_talk(
        &self,
        proposer: UserId,
        space: SpaceId,
        new: NewTalk,
    ) -> StoreResult<TalkView> {
        let now = self.now();
        let id = TalkId::new_at(now);
        self.write(|conn| {
            guard_writable_space(conn, proposer, space)?;
            let zone: String = users::table
                .find(proposer)
                .select(users::time_zone)
                .first(conn)?;
            let agenda: Vec<String> = new
                .agenda
                .into_iter()
                .map(AgendaItem::into_string)
                .collect();
            diesel::insert_into(talks::table)
                .values((
                    talks::id.eq(id),
                    talks::space_id.eq(space),
                    talks::proposer_id.eq(proposer),
                    talks::title.eq(new.title.as_str()),
                    talks::mode.eq(new.mode),
                    talks::cadence.eq(new.cadence),
                    talks::starts_at.eq(stored_time(new.starts_at)),
                    talks::duration_minutes.eq(new.duration_minutes),
                    talks::time_zone.eq(zone),
                    talks::agenda.eq(agenda_json(&agenda)?),
                    talks::state.eq(TalkState::Proposed),
                    talks::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            let event = SpaceEvent::TalkProposed {
                talk_id: id,
                title: new.title.into_string(),
                mode: new.mode,
                cadence: new.cadence,
                starts_at: new.starts_at,
                duration_minutes: new.duration_minutes,
                agenda,
            };
            append_event(conn, space, proposer, Audience::Members, &event, now)?;
            load(conn, space, id)
        })
    }

    pub fn talks(&self, viewer: UserId, space: SpaceId) -> StoreResult<Vec<TalkView>> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            talks::table
                .filter(talks::space_id.eq(space))
                .order(talks::id.desc())
                .select(TalkRow::as_select())
                .load::<TalkRow>(conn)?
                .into_iter()
                .map(TalkView::try_from)
                .collect()
        })
    }

    /// The talk, its next starts in the viewer's time zone, and the occurrences marked so far.
    pub fn talk(&self, viewer: UserId, space: SpaceId, id: TalkId) -> StoreResult<TalkDetail> {
        let now = self.now();
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            let talk = load(conn, space, id)?;
            let viewer_zone: String = users::table
                .find(viewer)
                .select(users::time_zone)
                .first(conn)?;
            let viewer_zone = TimeZone::parse(&viewer_zone).map_err(StoreError::Corrupt)?;
            let upcoming = if talk.state == TalkState::Declined {
                Vec::new()
            } else {
                let horizon = now + chrono::Duration::days(400);
                starts(
                    talk.starts_at,
                    talk.cadence,
                    talk.time_zone.tz(),
                    now,
                    horizon,
                )
                .into_iter()
                .take(UPCOMING)
                .map(|start| UpcomingStart {
                    starts_at: start,
                    starts_at_local: start.with_timezone(&viewer_zone.tz()).fixed_offset(),
                })
                .collect()
            };
            let occurrences = occ::table
                .filter(occ::talk_id.eq(id))
                .order(occ::starts_at.asc())
                .select((
                    occ::starts_at,
                    occ::outcome,
                    occ::notes,
                    occ::marked_by,
                    occ::marked_at,
                ))
                .load::<(
                    NaiveDateTime,
                    Outcome,
                    Option<String>,
                    Option<UserId>,
                    NaiveDateTime,
                )>(conn)?
                .into_iter()
                .map(|(starts_at, outcome, notes, marked_by, marked_at)| {
                    Ok(TalkOccurrenceView {
                        starts_at: utc(starts_at),
                        outcome,
                        notes,
                        marked_by,
                        marked_at: utc(marked_at),
                    })
                })
                .collect::<StoreResult<Vec<_>>>()?;
            Ok(TalkDetail {
                talk,
                upcoming,
                occurrences,
            })
        })
    }

    pub fn change_talk(
        &self,
        caller: UserId,
        space: SpaceId,
        id: TalkId,
        change: TalkChange,
    ) -> StoreResult<TalkView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, caller, space)?;
            let talk = load(conn, space, id)?;
            let facts = TalkFacts {
                proposer: talk.proposer_id,
                state: talk.state,
            };
            let target = talks::table.find(id);
            let event = match change {
                TalkChange::Accept => {
                    diesel::update(target)
                        .set(talks::state.eq(facts.accept(caller)?))
                        .execute(conn)?;
                    SpaceEvent::TalkAccepted { talk_id: id }
                }
                TalkChange::Decline => {
                    diesel::update(target)
                        .set(talks::state.eq(facts.decline(caller)?))
                        .execute(conn)?;
                    SpaceEvent::TalkDeclined { talk_id: id }
                }
                TalkChange::Move { starts_at } => {
                    let next = facts.move_to()?;
                    diesel::update(target)
                        .set((
                            talks::state.eq(next),
                            talks::starts_at.eq(stored_time(starts_at)),
                            talks::proposer_id.eq(caller),
                        ))
                        .execute(conn)?;
                    SpaceEvent::TalkMoved {
                        talk_id: id,
                        starts_at,
                    }
                }
                TalkChange::AddAgenda { item } => {
                    if talk.agenda.len() >= MAX_AGENDA_ITEMS {
                        return Err(DomainError::Conflict {
                            code: "agenda_full",
                            message: "this agenda has as many items as a talk can hold",
                        }
                        .into());
                    }
                    let mut agenda = talk.agenda;
                    agenda.push(item.into_string());
                    diesel::update(target)
                        .set(talks::agenda.eq(agenda_json(&agenda)?))
                        .execute(conn)?;
                    SpaceEvent::TalkAgendaAdded {
                        talk_id: id,
                        item: agenda.last().cloned().unwrap_or_default(),
                    }
                }
                TalkChange::Mark {
                    starts_at,
                    outcome,
                    notes,
                } => {
                    facts.mark(starts_at, now)?;
                    let valid = starts(
                        talk.starts_at,
                        talk.cadence,
                        talk.time_zone.tz(),
                        starts_at,
                        starts_at,
                    )
                    .contains(&starts_at);
                    if !valid {
                        return Err(DomainError::from(Invalid::field(
                            "starts_at",
                            "is not a start of this talk",
                        ))
                        .into());
                    }
                    let notes = notes.map(TalkNotes::into_string);
                    let already = occ::table
                        .filter(occ::talk_id.eq(id))
                        .filter(occ::starts_at.eq(stored_time(starts_at)))
                        .count()
                        .get_result::<i64>(conn)?;
                    if already > 0 {
                        return Err(DomainError::Conflict {
                            code: "talk_already_marked",
                            message: "this occurrence is already marked",
                        }
                        .into());
                    }
                    diesel::insert_into(occ::table)
                        .values((
                            occ::id.eq(kept_core::ids::TalkOccurrenceId::new_at(now)),
                            occ::talk_id.eq(id),
                            occ::space_id.eq(space),
                            occ::starts_at.eq(stored_time(starts_at)),
                            occ::outcome.eq(outcome),
                            occ::notes.eq(&notes),
                            occ::marked_by.eq(caller),
                            occ::marked_at.eq(stored_time(now)),
                        ))
                        .execute(conn)?;
                    SpaceEvent::TalkMarked {
                        talk_id: id,
                        starts_at,
                        outcome,
                        notes,
                    }
                }
            };
            crate::reminders::schedule::sync_talk(conn, &self.reminder_settings, id, now)?;
            append_event(conn, space, caller, Audience::Members, &event, now)?;
            load(conn, space, id)
        })
    }
}

fn load(conn: &mut DbConnection, space: SpaceId, id: TalkId) -> StoreResult<TalkView> {
    talks::table
        .find(id)
        .filter(talks::space_id.eq(space))
        .select(TalkRow::as_select())
        .first::<TalkRow>(conn)?
        .try_into()
}

fn agenda_json(agenda: &[String]) -> StoreResult<String> {
    serde_json::to_string(agenda).map_err(|e| StoreError::Internal(e.to_string()))
}
