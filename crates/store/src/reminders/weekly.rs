//! The weekly summary's figures for one person in one space.

use crate::DbConnection;
use crate::error::StoreResult;
use crate::rows::{stored_time, utc};
use crate::schema::commitments;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use kept_core::{SpaceId, UserId};
use serde_json::json;

/// The figures of the weekly summary: the last seven days of the person's commitments, the
/// space's talks held and the requests they acknowledged.
pub(super) fn weekly_summary(
    conn: &mut DbConnection,
    user: UserId,
    space: SpaceId,
    until: DateTime<Utc>,
) -> StoreResult<serde_json::Value> {
    use crate::schema::{commitment_occurrences as occ, requests, talk_occurrences};
    let from = stored_time(until - Duration::days(7));
    let until = stored_time(until);
    let mine = occ::table
        .inner_join(commitments::table)
        .filter(commitments::committer_id.eq(user.to_string()))
        .filter(occ::space_id.eq(space.to_string()))
        .filter(occ::due_at.ge(from))
        .filter(occ::due_at.lt(until));
    let kept = mine
        .clone()
        .filter(occ::state.eq_any(["kept", "confirmed", "disputed"]))
        .count()
        .get_result::<i64>(conn)?;
    let missed = mine
        .filter(occ::state.eq("missed"))
        .count()
        .get_result::<i64>(conn)?;
    let talks_held = talk_occurrences::table
        .filter(talk_occurrences::space_id.eq(space.to_string()))
        .filter(talk_occurrences::outcome.eq("held"))
        .filter(talk_occurrences::starts_at.ge(from))
        .filter(talk_occurrences::starts_at.lt(until))
        .count()
        .get_result::<i64>(conn)?;
    let acknowledged = requests::table
        .filter(requests::space_id.eq(space.to_string()))
        .filter(requests::author_id.ne(user.to_string()))
        .filter(requests::acknowledged_at.ge(from))
        .filter(requests::acknowledged_at.lt(until))
        .count()
        .get_result::<i64>(conn)?;
    Ok(json!({
        "week": (utc(from)).date_naive().to_string(),
        "kept": kept,
        "missed": missed,
        "talks_held": talks_held,
        "requests_acknowledged": acknowledged,
        "link": format!("/spaces/{space}/stats"),
    }))
}
