//! The append-only event log. `seq` is allocated from `spaces.last_seq` inside the writing
//! transaction (the space guard reserves the first), so it is gapless per space: a rolled-back
//! command leaves no hole.

use crate::error::{StoreError, StoreResult};
use crate::membership::require_current_member;
use crate::rows::{page, stored_time, utc};
use crate::schema::{events, spaces};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::{EventId, SpaceId, UserId};
use serde::Serialize;

/// The PostgreSQL NOTIFY channel on which instances ring each other's doorbells after a commit
/// (`<space>:<seq>`; see kept-notify's `pg_listener`).
pub const EVENTS_CHANNEL: &str = "kept_events";

/// One timeline entry as a viewer receives it (HTTP list, live stream, export).
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub seq: i64,
    pub id: EventId,
    pub space_id: SpaceId,
    pub kind: String,
    pub actor_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub payload: serde_json::Value,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = events)]
struct EventRow {
    space_id: SpaceId,
    seq: i64,
    id: EventId,
    kind: String,
    actor_id: Option<UserId>,
    audience: Option<UserId>,
    payload: String,
    created_at: NaiveDateTime,
}

impl TryFrom<EventRow> for EventView {
    type Error = StoreError;
    fn try_from(row: EventRow) -> StoreResult<Self> {
        Ok(Self {
            seq: row.seq,
            id: row.id,
            space_id: row.space_id,
            kind: row.kind,
            actor_id: row.actor_id,
            created_at: utc(row.created_at),
            payload: serde_json::from_str(&row.payload)
                .map_err(|e| StoreError::Corrupt(format!("event payload is not JSON: {e}")))?,
        })
    }
}

/// A page of the timeline; `next` is the `after` to ask for the following page.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventPage {
    pub items: Vec<EventView>,
    pub next: Option<i64>,
}

/// Appends `event` to the space's log with the next `seq`. Call inside the command's transaction.
pub(crate) fn append_event(
    conn: &mut DbConnection,
    space: SpaceId,
    actor: UserId,
    audience: Audience,
    event: &SpaceEvent,
    now: DateTime<Utc>,
) -> StoreResult<i64> {
    let seq: i64 = match crate::scope::take_reserved_seq(space) {
        Some(reserved) => reserved,
        None => diesel::update(spaces::table.find(space))
            .set(spaces::last_seq.eq(spaces::last_seq + 1))
            .returning(spaces::last_seq)
            .get_result(conn)?,
    };
    let (kind, payload) = event.to_parts();
    let audience_column = match audience {
        Audience::Members => None,
        Audience::Only(user) => Some(user.to_string()),
    };
    diesel::insert_into(events::table)
        .values((
            events::space_id.eq(space),
            events::seq.eq(seq),
            events::id.eq(EventId::new_at(now)),
            events::kind.eq(kind),
            events::actor_id.eq(event.shows_actor().then_some(actor)),
            events::audience.eq(audience_column),
            events::payload.eq(payload),
            events::created_at.eq(stored_time(event.recorded_at(now))),
        ))
        .execute(conn)?;
    crate::outbox::mail_about_event(conn, space, actor, audience, event, seq, now)?;
    announce(space, seq);
    Ok(seq)
}

/// Has `space`'s doorbell rung on every instance once the transaction commits (the commit hook
/// rings it; nothing is rung for a transaction that rolls back).
fn announce(space: SpaceId, seq: i64) {
    crate::published::record(space, seq);
}

/// Wakes the live sessions of `space` with no new event: each re-reads the log, which re-checks
/// its session and membership, so a signed-out session is closed at once (not at its next
/// heartbeat).
pub(crate) fn ring_without_event(conn: &mut DbConnection, space: SpaceId) -> StoreResult<()> {
    let seq: i64 = spaces::table
        .find(space)
        .select(spaces::last_seq)
        .first(conn)?;
    announce(space, seq);
    Ok(())
}

/// The kinds whose payload carries text its author may delete, with the field naming the item.
/// Once deleted, such a payload is only `{<id field>: <id>, "redacted": true}`.
pub const REDACTABLE: &[(&str, &str)] = &[
    ("check_in.created", "check_in_id"),
    ("note.scheduled", "note_id"),
    ("note.delivered", "note_id"),
];

/// Removes a redacted item's content from the events that carried it (the [`REDACTABLE`] kinds
/// naming it by `id_field`); kind, seq, actor and time remain.
pub(crate) fn scrub_payloads(
    conn: &mut DbConnection,
    space: SpaceId,
    id_field: &str,
    id: &str,
) -> StoreResult<()> {
    let kinds: Vec<&str> = REDACTABLE
        .iter()
        .filter(|(_, field)| *field == id_field)
        .map(|(kind, _)| *kind)
        .collect();
    let needle = format!("%\"{id_field}\":\"{id}\"%");
    let scrubbed = serde_json::json!({ id_field: id, "redacted": true }).to_string();
    diesel::update(events::table)
        .filter(events::space_id.eq(space))
        .filter(events::kind.eq_any(kinds))
        .filter(events::payload.like(needle))
        .set(events::payload.eq(scrubbed))
        .execute(conn)?;
    Ok(())
}

impl Store {
    /// The events of `space` after `after` that `viewer` may see, oldest first.
    pub fn events(
        &self,
        viewer: UserId,
        space: SpaceId,
        after: i64,
        limit: i64,
    ) -> StoreResult<EventPage> {
        self.read(|conn| visible_events(conn, viewer, space, after, limit))
    }
}

/// One page of what `viewer` may see of the log: members only, and of those events only the
/// ones meant for everyone or for the viewer.
pub(crate) fn visible_events(
    conn: &mut DbConnection,
    viewer: UserId,
    space: SpaceId,
    after: i64,
    limit: i64,
) -> StoreResult<EventPage> {
    require_current_member(conn, viewer, space)?;
    // Who may see an event is decided here, not in SQL: with `audience IS NULL OR audience = ?`
    // in the query, PostgreSQL's guess for a never-analysed table (a fresh database) is a few
    // rows, and it reads and sorts the whole space instead of walking `(space_id, seq)`.
    // Events meant for one member are rare, so one batch nearly always fills the page.
    let wanted = usize::try_from(limit + 1).unwrap_or(usize::MAX);
    let mut visible = Vec::new();
    let mut from = after;
    loop {
        let batch = events::table
            .filter(events::space_id.eq(space))
            .filter(events::seq.gt(from))
            .order(events::seq.asc())
            .limit(limit + 1)
            .select(EventRow::as_select())
            .load::<EventRow>(conn)?;
        let exhausted = i64::try_from(batch.len()).unwrap_or(i64::MAX) <= limit;
        from = batch.last().map_or(from, |row| row.seq);
        for row in batch {
            if visible.len() < wanted && row.audience.is_none_or(|only| only == viewer) {
                visible.push(EventView::try_from(row)?);
            }
        }
        if exhausted || visible.len() >= wanted {
            break;
        }
    }
    let items = visible;
    let (items, next) = page(items, limit, |e| e.seq);
    Ok(EventPage { items, next })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::account_tokens::LinkSecret;
    use crate::test_db::{Flavor, TestDb};
    use crate::{PoolOptions, accounts::NewAccount};
    use kept_core::ManualClock;
    use kept_core::account::{DisplayName, Email, TimeZone};
    use kept_core::space::SpaceName;
    use std::sync::Arc;

    fn person(store: &Store, email: &str) -> UserId {
        let account = NewAccount {
            email: Email::parse(email).unwrap(),
            password_hash: "unused".into(),
            display_name: DisplayName::parse("P").unwrap(),
            time_zone: TimeZone::parse("UTC").unwrap(),
            verification: LinkSecret::from_plain(format!("verify-{email}")),
            policy: Default::default(),
            invite: None,
        };
        store.register(account).unwrap().user.id
    }

    /// A fresh database of `flavor` and a store on it (`None`: PostgreSQL not configured).
    fn open(flavor: Flavor) -> Option<(TestDb, Store)> {
        let db = TestDb::new(flavor)?;
        let options = PoolOptions {
            max_size: 2,
            connect_timeout: std::time::Duration::from_secs(5),
        };
        let clock = Arc::new(ManualClock::new(Utc::now()));
        let store = Store::open(&db.database_url(), &options, clock).unwrap();
        Some((db, store))
    }

    /// An event meant for one member (a letter not yet delivered, a private rating) is in that
    /// member's timeline and live reads only; the partner's `seq`s skip it, and miss nothing else.
    fn private_events_reach_only_their_audience(flavor: Flavor) {
        let Some((_db, store)) = open(flavor) else {
            return;
        };
        let (ada, ben) = (
            person(&store, "ada@example.org"),
            person(&store, "ben@example.org"),
        );
        let space = store
            .create_space(ada, SpaceName::parse("us").unwrap())
            .unwrap()
            .id;
        let code = LinkSecret::from_plain("code");
        store.create_invite(ada, space, &code, None).unwrap();
        store.accept_invite(ben, &code.digest).unwrap();
        let now = store.now();
        store
            .write(|conn| {
                let private = SpaceEvent::SpaceCreated {
                    name: "for Ada only".into(),
                };
                append_event(conn, space, ada, Audience::Only(ada), &private, now)?;
                append_event(
                    conn,
                    space,
                    ada,
                    Audience::Members,
                    &SpaceEvent::SpaceCreated {
                        name: "for both".into(),
                    },
                    now,
                )
            })
            .unwrap();
        let seqs = |viewer| -> Vec<i64> {
            store
                .events(viewer, space, 0, 100)
                .unwrap()
                .items
                .iter()
                .map(|e| e.seq)
                .collect()
        };
        assert_eq!(seqs(ada), [1, 2, 3, 4, 5]);
        assert_eq!(seqs(ben), [1, 2, 3, 5]);
        let page = store.events(ben, space, 3, 1).unwrap();
        assert_eq!(
            (page.items[0].seq, page.next),
            (5, None),
            "paging skips what is not the viewer's"
        );
    }

    #[test]
    fn private_events_reach_only_their_audience_sqlite() {
        private_events_reach_only_their_audience(Flavor::Sqlite);
    }

    #[test]
    fn private_events_reach_only_their_audience_postgres() {
        private_events_reach_only_their_audience(Flavor::Postgres);
    }

    /// The space guard reserves the next `seq`; a command that then appends nothing gives it
    /// back, so the log stays gapless. The guard refuses a non-member with `NotFound`.
    fn the_guard_leaves_no_gap_and_refuses_outsiders(flavor: Flavor) {
        let Some((_db, store)) = open(flavor) else {
            return;
        };
        let (ada, eve) = (
            person(&store, "ada@example.org"),
            person(&store, "eve@example.org"),
        );
        let space = store
            .create_space(ada, SpaceName::parse("us").unwrap())
            .unwrap()
            .id;
        let now = store.now();
        store
            .write(|conn| crate::membership::guard_writable_space(conn, ada, space))
            .unwrap();
        let refused = store.write(|conn| crate::membership::guard_writable_space(conn, eve, space));
        assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");
        store
            .write(|conn| {
                crate::membership::guard_writable_space(conn, ada, space)?;
                let event = SpaceEvent::SpaceCreated {
                    name: "after a guard that appended nothing".into(),
                };
                append_event(conn, space, ada, Audience::Members, &event, now)
            })
            .unwrap();
        let seqs: Vec<i64> = store
            .events(ada, space, 0, 100)
            .unwrap()
            .items
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, [1, 2]);
    }

    #[test]
    fn the_guard_leaves_no_gap_and_refuses_outsiders_sqlite() {
        the_guard_leaves_no_gap_and_refuses_outsiders(Flavor::Sqlite);
    }

    #[test]
    fn the_guard_leaves_no_gap_and_refuses_outsiders_postgres() {
        the_guard_leaves_no_gap_and_refuses_outsiders(Flavor::Postgres);
    }
}
