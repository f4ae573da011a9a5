//! The weekly summary's figures for one person in one space: the week that just ended in their
//! time zone, taken from the same computation as the stats screen.

use crate::DbConnection;
use crate::error::StoreResult;
use crate::stats::gather;
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use kept_core::{SpaceId, UserId};
use serde_json::json;

/// The summary sent at `at` (Monday morning in the person's zone `zone`): their commitments
/// kept and missed, the talks held and the partner's requests they acknowledged, in the ISO week
/// before the one `at` falls in.
pub(super) fn weekly_summary(
    conn: &mut DbConnection,
    user: UserId,
    space: SpaceId,
    zone: Tz,
    at: DateTime<Utc>,
) -> StoreResult<serde_json::Value> {
    // Two weeks up to `at`: the first of each list is the one that just ended.
    let stats = gather(conn, user, space, 2, at)?;
    let ended_week = |mine: bool| {
        stats
            .partners
            .iter()
            .find(|p| (p.user_id == user) == mine)
            .and_then(|p| p.weeks.first())
    };
    let commitments = ended_week(true)
        .map(|w| w.commitments.clone())
        .unwrap_or_default();
    let acknowledged = ended_week(false).map_or(0, |w| w.requests.acknowledged);
    let talks_held = stats.talks.first().map_or(0, |t| t.held);
    let today = at.with_timezone(&zone).date_naive();
    let monday = today
        - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        - Duration::weeks(1);
    Ok(json!({
        "week": monday.to_string(),
        "kept": commitments.kept,
        "missed": commitments.missed,
        "talks_held": talks_held,
        "requests_acknowledged": acknowledged,
        "link": format!("/spaces/{space}/stats"),
    }))
}
