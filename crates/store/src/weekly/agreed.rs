//! Reading a space's stored weekly plan row, for the plan's commands and for the reminders that
//! follow it (a leaf, so both can read it without depending on each other).

use crate::DbConnection;
use crate::error::StoreResult;
use crate::rows::stored_json;
use crate::schema::weekly_plans as plans;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use kept_core::weekly_plan::WeeklyPlan;
use kept_core::{SpaceId, UserId};

/// The row as stored: the agreed plan and when, and the pending proposal, by whom and when.
pub(crate) type PlanRow = (
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<UserId>,
    Option<NaiveDateTime>,
);

pub(crate) fn plan_row(conn: &mut DbConnection, space: SpaceId) -> StoreResult<Option<PlanRow>> {
    Ok(plans::table
        .find(space)
        .select((
            plans::agreed,
            plans::agreed_at,
            plans::proposal,
            plans::proposed_by,
            plans::proposed_at,
        ))
        .first(conn)
        .optional()?)
}

/// The plan the space's rounds follow: the agreed one, or the defaults.
pub(crate) fn agreed_plan(conn: &mut DbConnection, space: SpaceId) -> StoreResult<WeeklyPlan> {
    let row = plan_row(conn, space)?;
    parse_agreed(row.as_ref().and_then(|(agreed, ..)| agreed.as_deref()))
}

/// The stored agreed plan read back; the defaults while none was agreed.
pub(crate) fn parse_agreed(stored: Option<&str>) -> StoreResult<WeeklyPlan> {
    stored.map_or_else(
        || Ok(WeeklyPlan::default()),
        |text| stored_json("weekly plan", text),
    )
}
