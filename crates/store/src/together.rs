//! Trust ratings and activities: the smaller things partners record together.

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{guard_writable_space, require_current_member};
use crate::rows::{stored_time, utc};
use crate::schema::{activities, trust_ratings, users};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::account::TimeZone;
use kept_core::activity::{ActivityTitle, mark_done};
use kept_core::event::{Audience, SpaceEvent};
use kept_core::trust::{Score, TrustNote};
use kept_core::{ActivityId, SpaceId, TrustRatingId, UserId};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = TrustRating))]
pub struct TrustView {
    pub id: TrustRatingId,
    pub author_id: UserId,
    pub score: i32,
    pub note: Option<String>,
    pub shared: bool,
    /// The author's calendar day when they rated.
    pub local_day: NaiveDate,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = trust_ratings)]
struct TrustRow {
    id: TrustRatingId,
    author_id: UserId,
    score: i32,
    note: Option<String>,
    shared: bool,
    local_day: String,
    created_at: NaiveDateTime,
}

impl TryFrom<TrustRow> for TrustView {
    type Error = StoreError;
    fn try_from(row: TrustRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            author_id: row.author_id,
            score: row.score,
            note: row.note,
            shared: row.shared,
            local_day: row
                .local_day
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("stored day {:?}", row.local_day)))?,
            created_at: utc(row.created_at),
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Activity))]
pub struct ActivityView {
    pub id: ActivityId,
    pub space_id: SpaceId,
    pub author_id: UserId,
    pub title: String,
    pub starts_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = activities)]
struct ActivityRow {
    id: ActivityId,
    space_id: SpaceId,
    author_id: UserId,
    title: String,
    starts_at: Option<NaiveDateTime>,
    done_at: Option<NaiveDateTime>,
    done_by: Option<UserId>,
    created_at: NaiveDateTime,
}

impl TryFrom<ActivityRow> for ActivityView {
    type Error = StoreError;
    fn try_from(row: ActivityRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            space_id: row.space_id,
            author_id: row.author_id,
            title: row.title,
            starts_at: row.starts_at.map(utc),
            done_at: row.done_at.map(utc),
            done_by: row.done_by,
            created_at: utc(row.created_at),
        })
    }
}

impl Store {
    /// Records today's rating; a second one on the same local day replaces the first.
    pub fn rate_trust(
        &self,
        author: UserId,
        space: SpaceId,
        score: Score,
        note: Option<TrustNote>,
        shared: bool,
    ) -> StoreResult<TrustView> {
        let now = self.now();
        let id = TrustRatingId::new_at(now);
        self.write(|conn| {
            guard_writable_space(conn, author, space)?;
            let zone: String = users::table
                .find(author)
                .select(users::time_zone)
                .first(conn)?;
            let zone = TimeZone::parse(&zone).map_err(StoreError::Corrupt)?;
            let local_day = now.with_timezone(&zone.tz()).date_naive();
            let today = trust_ratings::table
                .filter(trust_ratings::space_id.eq(space))
                .filter(trust_ratings::author_id.eq(author))
                .filter(trust_ratings::local_day.eq(local_day.to_string()));
            let replaces: Option<TrustRatingId> = today
                .clone()
                .select(trust_ratings::id)
                .first(conn)
                .optional()?;
            diesel::delete(today).execute(conn)?;
            let note = note.map(TrustNote::into_string);
            diesel::insert_into(trust_ratings::table)
                .values((
                    trust_ratings::id.eq(id),
                    trust_ratings::space_id.eq(space),
                    trust_ratings::author_id.eq(author),
                    trust_ratings::score.eq(score.value()),
                    trust_ratings::note.eq(&note),
                    trust_ratings::shared.eq(shared),
                    trust_ratings::local_day.eq(local_day.to_string()),
                    trust_ratings::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            let event = SpaceEvent::TrustRated {
                rating_id: id,
                score: score.value(),
                note,
                shared,
                local_day,
                replaces,
            };
            let audience = if shared {
                Audience::Members
            } else {
                Audience::Only(author)
            };
            append_event(conn, space, author, audience, &event, now)?;
            trust_ratings::table
                .find(id)
                .select(TrustRow::as_select())
                .first::<TrustRow>(conn)?
                .try_into()
        })
    }

    /// The viewer's own ratings and the partner's shared ones, newest first.
    pub fn trust_ratings(&self, viewer: UserId, space: SpaceId) -> StoreResult<Vec<TrustView>> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            trust_ratings::table
                .filter(trust_ratings::space_id.eq(space))
                .filter(
                    trust_ratings::shared
                        .eq(true)
                        .or(trust_ratings::author_id.eq(viewer)),
                )
                .order((
                    trust_ratings::local_day.desc(),
                    trust_ratings::author_id.asc(),
                ))
                .select(TrustRow::as_select())
                .load::<TrustRow>(conn)?
                .into_iter()
                .map(TrustView::try_from)
                .collect()
        })
    }

    pub fn plan_activity(
        &self,
        author: UserId,
        space: SpaceId,
        title: ActivityTitle,
        starts_at: Option<DateTime<Utc>>,
    ) -> StoreResult<ActivityView> {
        let now = self.now();
        let id = ActivityId::new_at(now);
        self.write(|conn| {
            guard_writable_space(conn, author, space)?;
            diesel::insert_into(activities::table)
                .values((
                    activities::id.eq(id),
                    activities::space_id.eq(space),
                    activities::author_id.eq(author),
                    activities::title.eq(title.as_str()),
                    activities::starts_at.eq(starts_at.map(stored_time)),
                    activities::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            let event = SpaceEvent::ActivityPlanned {
                activity_id: id,
                title: title.into_string(),
                starts_at,
            };
            append_event(conn, space, author, Audience::Members, &event, now)?;
            load_activity(conn, space, id)
        })
    }

    pub fn activities(&self, viewer: UserId, space: SpaceId) -> StoreResult<Vec<ActivityView>> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            activities::table
                .filter(activities::space_id.eq(space))
                .order(activities::id.desc())
                .select(ActivityRow::as_select())
                .load::<ActivityRow>(conn)?
                .into_iter()
                .map(ActivityView::try_from)
                .collect()
        })
    }

    pub fn activity(
        &self,
        viewer: UserId,
        space: SpaceId,
        id: ActivityId,
    ) -> StoreResult<ActivityView> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            load_activity(conn, space, id)
        })
    }

    /// Either partner marks it done, once.
    pub fn activity_done(
        &self,
        caller: UserId,
        space: SpaceId,
        id: ActivityId,
    ) -> StoreResult<ActivityView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, caller, space)?;
            mark_done(load_activity(conn, space, id)?.done_at.is_some())?;
            diesel::update(activities::table.find(id))
                .set((
                    activities::done_at.eq(stored_time(now)),
                    activities::done_by.eq(caller),
                ))
                .execute(conn)?;
            append_event(
                conn,
                space,
                caller,
                Audience::Members,
                &SpaceEvent::ActivityDone { activity_id: id },
                now,
            )?;
            load_activity(conn, space, id)
        })
    }
}

fn load_activity(
    conn: &mut DbConnection,
    space: SpaceId,
    id: ActivityId,
) -> StoreResult<ActivityView> {
    activities::table
        .find(id)
        .filter(activities::space_id.eq(space))
        .select(ActivityRow::as_select())
        .first::<ActivityRow>(conn)?
        .try_into()
}
