//! Whom the weekly check-in's reminders go to. A partner's opening tells them, at their own
//! local day and time, that the round is open (the first of the two opens it). The nudge before
//! a round closes goes once, only to whoever has not submitted: never to the one who has, and
//! it says nothing of the partner, so it tells no one what the other did.

use super::due::{Due, Planned, ScheduledOpening, Target, current_members, space_is_open};
use super::weekly_rows::{opening_subject, weekly_partners};
use crate::DbConnection;
use crate::error::StoreResult;
use crate::rows::utc;
use crate::schema::{weekly_answers as answers, weekly_rounds as rounds};
use crate::weekly::agreed::agreed_plan;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::Audience;
use kept_core::mail::MailKind;
use kept_core::reminder::Firing;
use kept_core::weekly::RoundState;
use kept_core::{SpaceId, UserId, WeeklyRoundId};
use serde_json::json;

/// A partner's opening: told now, and again at next week's local opening.
pub(super) fn opening_target(
    conn: &mut DbConnection,
    row: &Due,
    after: DateTime<Utc>,
) -> StoreResult<Planned> {
    let Some(user) = row.user else {
        return Ok((None, None));
    };
    // The row names its space first; a space no longer paired opens nothing, and the row goes.
    let Some(partners) = space_of(&row.subject)
        .map(|space| weekly_partners(conn, space).map(|p| p.map(|p| (space, p))))
        .transpose()?
        .flatten()
    else {
        return Ok((None, None));
    };
    let (space, partners) = partners;
    let Some(index) = partners.iter().position(|(member, _)| *member == user) else {
        return Ok((None, None));
    };
    if opening_subject(space, user) != row.subject {
        return Ok((None, None));
    }
    let plan = agreed_plan(conn, space)?;
    let (schedule, zones) = (plan.schedule(), partners.map(|(_, zone)| zone));
    let at = schedule.next_told(zones, index, after);
    let next = Some(Firing { at, occurrence: at });
    // The round opens at the earlier partner's time and stays open the agreed days from the
    // later one's, so each has them all. (A row from before the plan or a zone changed names no
    // week: it counts from its own time.)
    let opening = schedule.opening_told_at(zones, index, row.fire_at);
    let opens_at = opening.map_or(row.fire_at, |o| o.round_opens_at);
    let last_told = opening.map_or(row.fire_at, |o| o.partners[0].max(o.partners[1]));
    Ok((
        next,
        Some(Target {
            spaces: Vec::new(),
            actor: user,
            audience: Audience::Only(user),
            recipients: vec![user],
            template: "weekly",
            mail_kind: MailKind::WeeklyCheckIn,
            data: json!({
                "weekly": "opened",
                "open_days": plan.open_days,
                "link": format!("/spaces/{space}/weekly"),
            }),
            opens_round: Some(ScheduledOpening {
                space,
                opens_at,
                closes_at: last_told + plan.open_for(),
            }),
        }),
    ))
}

fn space_of(subject: &str) -> Option<SpaceId> {
    subject.split(':').next()?.parse().ok()
}

/// The nudge before a round closes: once, to each partner who has not submitted.
pub(super) fn closing_target(
    conn: &mut DbConnection,
    row: &Due,
    now: DateTime<Utc>,
) -> StoreResult<Planned> {
    let Ok(round) = row.subject.parse::<WeeklyRoundId>() else {
        return Ok((None, None));
    };
    let found: Option<(SpaceId, RoundState, NaiveDateTime)> = rounds::table
        .find(round)
        .select((rounds::space_id, rounds::state, rounds::closes_at))
        .first(conn)
        .optional()?;
    let Some((space, state, closes_at)) = found else {
        return Ok((None, None));
    };
    if state != RoundState::Open || utc(closes_at) <= now || !space_is_open(conn, space)? {
        return Ok((None, None));
    }
    let submitted: Vec<UserId> = answers::table
        .filter(answers::round_id.eq(round))
        .filter(answers::submitted_at.is_not_null())
        .select(answers::author_id)
        .load(conn)?;
    let waiting: Vec<UserId> = current_members(conn, space)?
        .into_iter()
        .filter(|member| !submitted.contains(member))
        .collect();
    let Some(actor) = waiting.first().copied() else {
        return Ok((None, None));
    };
    let hours_left = (utc(closes_at) - now).num_hours().max(1);
    Ok((
        None,
        Some(Target {
            spaces: Vec::new(),
            actor,
            audience: Audience::Only(actor),
            recipients: waiting,
            template: "weekly",
            mail_kind: MailKind::WeeklyCheckIn,
            data: json!({
                "weekly": "closing",
                "hours_left": hours_left,
                "link": format!("/spaces/{space}/weekly"),
            }),
            opens_round: None,
        }),
    ))
}
