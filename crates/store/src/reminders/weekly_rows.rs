//! Keeping the weekly check-in's reminder rows in step: each partner's opening (at their own
//! local day and time under the agreed plan) follows the plan, their zones and the pairing; each
//! round gets its one nudge before it closes.

use crate::DbConnection;
use crate::dialect::{insert_unless_taken, load_claimed};
use crate::error::StoreResult;
use crate::rows::{stored_time, stored_zone, utc};
use crate::schema::{memberships, reminders, spaces, users};
use crate::weekly::agreed::agreed_plan;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use kept_core::ids::ReminderId;
use kept_core::reminder::{self, Firing, ReminderKind};
use kept_core::space::SpaceState;
use kept_core::weekly_plan::WeeklyPlan;
use kept_core::{SpaceId, UserId, WeeklyRoundId};

/// The subject of a partner's weekly opening reminder: one per partner and space.
pub(super) fn opening_subject(space: SpaceId, user: UserId) -> String {
    format!("{space}:{user}")
}

/// The two partners of a paired space with their zones, in a stable order (by id); `None`
/// unless the space is paired.
pub(super) fn weekly_partners(
    conn: &mut DbConnection,
    space: SpaceId,
) -> StoreResult<Option<[(UserId, Tz); 2]>> {
    let state: Option<SpaceState> = spaces::table
        .find(space)
        .select(spaces::state)
        .first(conn)
        .optional()?;
    if state != Some(SpaceState::Paired) {
        return Ok(None);
    }
    let rows: Vec<(UserId, String)> = memberships::table
        .inner_join(users::table)
        .filter(memberships::space_id.eq(space))
        .filter(memberships::left_at.is_null())
        .order(memberships::user_id)
        .select((memberships::user_id, users::time_zone))
        .load(conn)?;
    match rows.as_slice() {
        [(a, a_zone), (b, b_zone)] => Ok(Some([
            (*a, stored_zone(a_zone)?),
            (*b, stored_zone(b_zone)?),
        ])),
        _ => Ok(None),
    }
}

/// Each partner's weekly opening reminder at their next local opening under the agreed plan;
/// none unless the space is paired. After the plan, a zone or the pairing changed.
///
/// A row that is due (or being fired by another instance right now) is left alone: its firing
/// moves it on by the plan as it then is, so an opening is neither lost nor told twice. Rows
/// are claimed like the firing claims them, so this never waits on a firing that waits on the
/// space this command holds.
pub(crate) fn sync_weekly_openings(
    conn: &mut DbConnection,
    space: SpaceId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let of_space = reminders::table
        .filter(reminders::kind.eq(ReminderKind::WeeklyOpening))
        .filter(reminders::space_id.eq(space));
    let existing: Vec<(String, String, NaiveDateTime)> = of_space
        .select((
            reminders::id,
            reminders::subject_id,
            reminders::next_fire_at,
        ))
        .load(conn)?;
    let claimed: Vec<String> = load_claimed!(conn, of_space.select(reminders::id))?;
    let movable = |subject: &str| {
        existing
            .iter()
            .find(|(_, s, _)| s == subject)
            .is_none_or(|(id, _, next)| claimed.contains(id) && utc(*next) > now)
    };
    let partners = weekly_partners(conn, space)?;
    let wanted: Vec<String> = partners
        .iter()
        .flatten()
        .map(|(user, _)| opening_subject(space, *user))
        .collect();
    // A partner who left (or a space no longer paired) keeps no opening.
    for (id, subject, _) in &existing {
        if !wanted.contains(subject) && claimed.contains(id) {
            diesel::delete(reminders::table.find(id)).execute(conn)?;
        }
    }
    let Some(partners) = partners else {
        return Ok(());
    };
    let schedule = agreed_plan(conn, space)?.schedule();
    let zones = partners.map(|(_, zone)| zone);
    for (index, (user, _)) in partners.iter().enumerate() {
        let subject = opening_subject(space, *user);
        if !movable(&subject) {
            continue;
        }
        let at = stored_time(schedule.next_told(zones, index, now));
        let moved = diesel::update(of_space.filter(reminders::subject_id.eq(&subject)))
            .set(reminders::next_fire_at.eq(at))
            .execute(conn)?;
        if moved == 0 {
            let row = (
                reminders::id.eq(ReminderId::new_at(now)),
                reminders::kind.eq(ReminderKind::WeeklyOpening),
                reminders::user_id.eq(Some(*user)),
                reminders::space_id.eq(Some(space)),
                reminders::subject_id.eq(&subject),
                reminders::lead_minutes.eq(0),
                reminders::next_fire_at.eq(at),
                reminders::created_at.eq(stored_time(now)),
            );
            // Two commands syncing at once write one row.
            let key = (
                reminders::kind,
                reminders::subject_id,
                reminders::lead_minutes,
            );
            insert_unless_taken!(conn, reminders::table, row, key)?;
        }
    }
    Ok(())
}

/// Fills in the weekly openings of every paired space that has none (spaces paired before the
/// weekly check-in existed); how many.
pub(super) fn schedule_missing_weekly_openings(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let scheduled = reminders::table
        .filter(reminders::kind.eq(ReminderKind::WeeklyOpening))
        .filter(reminders::space_id.is_not_null())
        .select(reminders::space_id);
    let missing: Vec<SpaceId> = spaces::table
        .filter(spaces::state.eq(SpaceState::Paired))
        .filter(spaces::id.nullable().ne_all(scheduled))
        .select(spaces::id)
        .load(conn)?;
    for space in &missing {
        sync_weekly_openings(conn, *space, now)?;
    }
    Ok(missing.len())
}

/// When `viewer` is next told a round opened under `plan`; none unless the space is paired.
pub(crate) fn next_weekly_opening(
    conn: &mut DbConnection,
    space: SpaceId,
    viewer: UserId,
    plan: &WeeklyPlan,
    now: DateTime<Utc>,
) -> StoreResult<Option<DateTime<Utc>>> {
    let Some(partners) = weekly_partners(conn, space)? else {
        return Ok(None);
    };
    let zones = partners.map(|(_, zone)| zone);
    Ok(partners
        .iter()
        .position(|(user, _)| *user == viewer)
        .map(|index| plan.schedule().next_told(zones, index, now)))
}

/// The one nudge before `round` closes, to whoever has not submitted by then.
pub(crate) fn put_weekly_closing(
    conn: &mut DbConnection,
    space: SpaceId,
    round: WeeklyRoundId,
    closes_at: DateTime<Utc>,
    open_for: Duration,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let lead = reminder::weekly_closing_lead(open_for);
    let firing = Firing {
        at: closes_at - lead,
        occurrence: closes_at,
    };
    let row = (
        reminders::id.eq(ReminderId::new_at(now)),
        reminders::kind.eq(ReminderKind::WeeklyClosing),
        reminders::space_id.eq(Some(space)),
        reminders::subject_id.eq(round.to_string()),
        reminders::lead_minutes.eq(i32::try_from(lead.num_minutes()).unwrap_or(0)),
        reminders::next_fire_at.eq(stored_time(firing.at)),
        reminders::created_at.eq(stored_time(now)),
    );
    // A round opens once: its one nudge is new.
    diesel::insert_into(reminders::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}
