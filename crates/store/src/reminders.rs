//! Scheduled reminders: one row per thing that reminds, with its `next_fire_at` (indexed). Rows
//! are kept in step by the commands that change what they are about (a talk accepted or moved,
//! a commitment made or retired, check-in times or the weekly summary changed, a space left).
//! The scheduler fires what is due: in one transaction per batch it writes the reminder event
//! and the mail (dedupe key: reminder and occurrence) and moves `next_fire_at` on by core's
//! rules. On PostgreSQL the batch is claimed with `FOR UPDATE SKIP LOCKED`, so several instances
//! share the due rows and none fires twice.

use crate::error::StoreResult;
use crate::events::append_event;
use crate::outbox::{Mail, To, enqueue};
use crate::rows::{parse_id, stored_time, utc};
use crate::schema::{commitments, memberships, reminders, spaces, talks, users};
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use kept_core::check_in::CheckInTimes;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::ids::ReminderId;
use kept_core::mail::{MailKind, MailPreferences};
use kept_core::reminder::{self, Firing, ReminderKind, lead_in_words};
use kept_core::schedule::{Recurrence, Schedule};
use kept_core::talk::{Cadence, TalkState};
use kept_core::{SpaceId, UserId, from_name, name_of};
use serde_json::json;

/// Lead times, from `[scheduler]` in the config.
#[derive(Debug, Clone)]
pub struct ReminderSettings {
    pub talk_leads: Vec<Duration>,
    pub commitment_lead: Duration,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        ReminderSettings {
            talk_leads: vec![Duration::hours(24), Duration::hours(1)],
            commitment_lead: Duration::hours(1),
        }
    }
}

/// One reminder row.
struct Due {
    id: String,
    kind: ReminderKind,
    user: Option<UserId>,
    space: Option<SpaceId>,
    subject: String,
    lead: Duration,
    fire_at: DateTime<Utc>,
}

fn zone_of(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// Replaces the reminder `(kind, subject, lead)` with one firing at `firing` (or none).
#[allow(clippy::too_many_arguments)] // one row's columns, named at every call
fn put(
    conn: &mut DbConnection,
    kind: ReminderKind,
    user: Option<UserId>,
    space: Option<SpaceId>,
    subject: &str,
    lead: Duration,
    firing: Option<Firing>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let lead_minutes = i32::try_from(lead.num_minutes()).unwrap_or(0);
    diesel::delete(
        reminders::table
            .filter(reminders::kind.eq(name_of(kind)))
            .filter(reminders::subject_id.eq(subject))
            .filter(reminders::lead_minutes.eq(lead_minutes)),
    )
    .execute(conn)?;
    if let Some(firing) = firing {
        diesel::insert_into(reminders::table)
            .values((
                reminders::id.eq(ReminderId::new_at(now).to_string()),
                reminders::kind.eq(name_of(kind)),
                reminders::user_id.eq(user.map(|u| u.to_string())),
                reminders::space_id.eq(space.map(|s| s.to_string())),
                reminders::subject_id.eq(subject),
                reminders::lead_minutes.eq(lead_minutes),
                reminders::next_fire_at.eq(stored_time(firing.at)),
                reminders::created_at.eq(stored_time(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A person's check-in reminder and weekly summary, after their profile changed.
pub(crate) fn sync_person(
    conn: &mut DbConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let (zone, times, preferences): (String, String, String) = users::table
        .find(user.to_string())
        .select((
            users::time_zone,
            users::check_in_times,
            users::mail_preferences,
        ))
        .first(conn)?;
    let zone = zone_of(&zone);
    let times: CheckInTimes = serde_json::from_str(&times).unwrap_or_default();
    let subject = user.to_string();
    let check_in = reminder::next_check_in(&times, zone, now);
    put(
        conn,
        ReminderKind::CheckIn,
        Some(user),
        None,
        &subject,
        Duration::zero(),
        check_in,
        now,
    )?;
    let summary = MailPreferences::from_stored(&preferences)
        .weekly_summary
        .then(|| reminder::next_weekly_summary(zone, now))
        .flatten();
    put(
        conn,
        ReminderKind::WeeklySummary,
        Some(user),
        None,
        &subject,
        Duration::zero(),
        summary,
        now,
    )
}

/// A talk's reminders (one per lead time) while it is accepted; none otherwise.
pub(crate) fn sync_talk(
    conn: &mut DbConnection,
    settings: &ReminderSettings,
    talk: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let row: Option<(String, String, String, NaiveDateTime, String)> = talks::table
        .find(talk)
        .select((
            talks::space_id,
            talks::state,
            talks::cadence,
            talks::starts_at,
            talks::time_zone,
        ))
        .first(conn)
        .optional()?;
    let Some((space, state, cadence, first, zone)) = row else {
        return Ok(());
    };
    let accepted = from_name::<TalkState>(&state) == Some(TalkState::Accepted);
    let cadence: Cadence = from_name(&cadence).unwrap_or(Cadence::Once);
    let space: SpaceId = parse_id(&space)?;
    for lead in &settings.talk_leads {
        let firing = accepted
            .then(|| reminder::next_talk(utc(first), cadence, zone_of(&zone), *lead, now))
            .flatten();
        put(
            conn,
            ReminderKind::Talk,
            None,
            Some(space),
            talk,
            *lead,
            firing,
            now,
        )?;
    }
    Ok(())
}

/// A commitment's due reminder while it is active; none once retired.
pub(crate) fn sync_commitment(
    conn: &mut DbConnection,
    settings: &ReminderSettings,
    commitment: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let row: Option<(String, String, String, String, String)> = commitments::table
        .find(commitment)
        .select((
            commitments::space_id,
            commitments::committer_id,
            commitments::state,
            commitments::schedule,
            commitments::time_zone,
        ))
        .first(conn)
        .optional()?;
    let Some((space, committer, state, schedule, zone)) = row else {
        return Ok(());
    };
    let firing = match serde_json::from_str::<Recurrence>(&schedule) {
        Ok(recurrence) if state == "active" => {
            let schedule = Schedule {
                recurrence,
                zone: zone_of(&zone),
            };
            reminder::next_commitment(&schedule, settings.commitment_lead, now)
        }
        _ => None,
    };
    put(
        conn,
        ReminderKind::Commitment,
        Some(parse_id(&committer)?),
        Some(parse_id(&space)?),
        commitment,
        settings.commitment_lead,
        firing,
        now,
    )
}

/// A space closed: its talks and commitments remind no one any more.
pub(crate) fn drop_space(conn: &mut DbConnection, space: SpaceId) -> StoreResult<()> {
    diesel::delete(reminders::table.filter(reminders::space_id.eq(space.to_string())))
        .execute(conn)?;
    Ok(())
}

/// A safety exit: nothing reminds the leaver any more.
pub(crate) fn drop_person(conn: &mut DbConnection, user: UserId) -> StoreResult<()> {
    diesel::delete(reminders::table.filter(reminders::user_id.eq(user.to_string())))
        .execute(conn)?;
    Ok(())
}

/// What one round of firing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FiringReport {
    /// Reminders that came due and were handled (sent, or skipped as stale or orphaned).
    pub due: usize,
    /// Of those, the ones that wrote an event and mail.
    pub sent: usize,
}

impl Store {
    /// Lead times for the reminders this store keeps in step.
    pub fn with_reminder_settings(mut self, settings: ReminderSettings) -> Self {
        self.reminder_settings = std::sync::Arc::new(settings);
        self
    }

    /// Fires up to `limit` due reminders in one transaction.
    pub fn fire_due_reminders(&self, limit: i64) -> StoreResult<FiringReport> {
        let now = self.now();
        self.write(|conn| {
            let due = reminders::table
                .filter(reminders::next_fire_at.le(stored_time(now)))
                .order(reminders::next_fire_at)
                .limit(limit)
                .select((
                    reminders::id,
                    reminders::kind,
                    reminders::user_id,
                    reminders::space_id,
                    reminders::subject_id,
                    reminders::lead_minutes,
                    reminders::next_fire_at,
                ));
            type Row = (
                String,
                String,
                Option<String>,
                Option<String>,
                String,
                i32,
                NaiveDateTime,
            );
            // PostgreSQL: other instances skip the rows this one holds, and take the next ones.
            let rows: Vec<Row> = match conn {
                DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
                DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
            };
            let mut report = FiringReport::default();
            for (id, kind, user, space, subject, lead, fire_at) in rows {
                let Some(kind) = from_name::<ReminderKind>(&kind) else {
                    continue;
                };
                let row = Due {
                    id,
                    kind,
                    user: user.as_deref().map(parse_id).transpose()?,
                    space: space.as_deref().map(parse_id).transpose()?,
                    subject,
                    lead: Duration::minutes(i64::from(lead)),
                    fire_at: utc(fire_at),
                };
                report.due += 1;
                if fire(conn, &row, now)? {
                    report.sent += 1;
                }
            }
            Ok(report)
        })
    }
}

/// Handles one due reminder: writes its event and mail if still timely, then moves it on (or
/// removes it when nothing further is due). Returns whether it wrote anything.
fn fire(conn: &mut DbConnection, row: &Due, now: DateTime<Utc>) -> StoreResult<bool> {
    let firing = Firing {
        at: row.fire_at,
        occurrence: row.fire_at + row.lead,
    };
    // The next firing comes from the subject as it is now; a talk declined or a commitment
    // retired since has none, and the row goes.
    let after = row.fire_at.max(now);
    let (next, target) = match row.kind {
        ReminderKind::Talk => talk_target(conn, row, after)?,
        ReminderKind::Commitment => commitment_target(conn, row, after)?,
        ReminderKind::CheckIn | ReminderKind::WeeklySummary => person_target(conn, row, after)?,
    };
    match next {
        Some(next) => {
            diesel::update(reminders::table.find(&row.id))
                .set(reminders::next_fire_at.eq(stored_time(next.at)))
                .execute(conn)?;
        }
        None => {
            diesel::delete(reminders::table.find(&row.id)).execute(conn)?;
        }
    }
    let Some(target) = target else {
        return Ok(false);
    };
    if !firing.is_timely(row.kind, now) {
        return Ok(false);
    }
    let event = SpaceEvent::ReminderDue {
        reminder: row.kind,
        subject_id: row.subject.clone(),
        occurrence: firing.occurrence,
    };
    for space in &target.spaces {
        append_event(conn, *space, target.actor, target.audience, &event, now)?;
    }
    for recipient in &target.recipients {
        let mail = Mail {
            dedupe_key: format!(
                "reminder:{}:{}:{}:{recipient}",
                row.id,
                row.subject,
                firing.occurrence.timestamp()
            ),
            template: target.template,
            kind: Some(target.mail_kind),
            about: None,
            data: target.data.clone(),
        };
        enqueue(conn, To::User(*recipient), mail, now)?;
    }
    Ok(true)
}

/// Who a firing goes to and what it says.
struct Target {
    spaces: Vec<SpaceId>,
    actor: UserId,
    audience: Audience,
    recipients: Vec<UserId>,
    template: &'static str,
    mail_kind: MailKind,
    data: serde_json::Value,
}

fn current_members(conn: &mut DbConnection, space: SpaceId) -> StoreResult<Vec<UserId>> {
    let members: Vec<String> = memberships::table
        .filter(memberships::space_id.eq(space.to_string()))
        .filter(memberships::left_at.is_null())
        .select(memberships::user_id)
        .load(conn)?;
    members.iter().map(|m| parse_id(m)).collect()
}

fn space_is_open(conn: &mut DbConnection, space: SpaceId) -> StoreResult<bool> {
    let state: Option<String> = spaces::table
        .find(space.to_string())
        .select(spaces::state)
        .first(conn)
        .optional()?;
    Ok(state.is_some_and(|s| s != "closed"))
}

type Planned = (Option<Firing>, Option<Target>);

fn talk_target(conn: &mut DbConnection, row: &Due, after: DateTime<Utc>) -> StoreResult<Planned> {
    let talk: Option<(String, String, NaiveDateTime, String)> = talks::table
        .find(&row.subject)
        .select((
            talks::state,
            talks::cadence,
            talks::starts_at,
            talks::time_zone,
        ))
        .first(conn)
        .optional()?;
    let (Some((state, cadence, first, zone)), Some(space)) = (talk, row.space) else {
        return Ok((None, None));
    };
    if from_name::<TalkState>(&state) != Some(TalkState::Accepted) || !space_is_open(conn, space)? {
        return Ok((None, None));
    }
    let cadence: Cadence = from_name(&cadence).unwrap_or(Cadence::Once);
    let next = reminder::next_talk(utc(first), cadence, zone_of(&zone), row.lead, after);
    let members = current_members(conn, space)?;
    let Some(actor) = members.first().copied() else {
        return Ok((next, None));
    };
    Ok((
        next,
        Some(Target {
            spaces: vec![space],
            actor,
            audience: Audience::Members,
            recipients: members,
            template: "reminder",
            mail_kind: MailKind::TalkReminder,
            data: json!({
                "what": "Your talk",
                "when": format!("starts {}", lead_in_words(row.lead)),
                "link": format!("/spaces/{space}/talks/{}", row.subject),
            }),
        }),
    ))
}

fn commitment_target(
    conn: &mut DbConnection,
    row: &Due,
    after: DateTime<Utc>,
) -> StoreResult<Planned> {
    let commitment: Option<(String, String, String)> = commitments::table
        .find(&row.subject)
        .select((
            commitments::state,
            commitments::schedule,
            commitments::time_zone,
        ))
        .first(conn)
        .optional()?;
    let (Some((state, schedule, zone)), Some(space), Some(committer)) =
        (commitment, row.space, row.user)
    else {
        return Ok((None, None));
    };
    let Ok(recurrence) = serde_json::from_str::<Recurrence>(&schedule) else {
        return Ok((None, None));
    };
    if state != "active" || !space_is_open(conn, space)? {
        return Ok((None, None));
    }
    let schedule = Schedule {
        recurrence,
        zone: zone_of(&zone),
    };
    let next = reminder::next_commitment(&schedule, row.lead, after);
    Ok((
        next,
        Some(Target {
            spaces: vec![space],
            actor: committer,
            audience: Audience::Only(committer),
            recipients: vec![committer],
            template: "reminder",
            mail_kind: MailKind::CommitmentReminder,
            data: json!({
                "what": "A commitment of yours",
                "when": format!("is due {}", lead_in_words(row.lead)),
                "link": format!("/spaces/{space}/commitments/{}", row.subject),
            }),
        }),
    ))
}

fn person_target(conn: &mut DbConnection, row: &Due, after: DateTime<Utc>) -> StoreResult<Planned> {
    let Some(user) = row.user else {
        return Ok((None, None));
    };
    let person: Option<(String, String, String)> = users::table
        .find(user.to_string())
        .select((
            users::time_zone,
            users::check_in_times,
            users::mail_preferences,
        ))
        .first(conn)
        .optional()?;
    let Some((zone, times, preferences)) = person else {
        return Ok((None, None));
    };
    let zone = zone_of(&zone);
    let spaces: Vec<String> = memberships::table
        .inner_join(spaces::table)
        .filter(memberships::user_id.eq(user.to_string()))
        .filter(memberships::left_at.is_null())
        .filter(spaces::state.ne("closed"))
        .select(memberships::space_id)
        .load(conn)?;
    let spaces = spaces
        .iter()
        .map(|s| parse_id(s))
        .collect::<StoreResult<Vec<SpaceId>>>()?;
    let (next, template, mail_kind, data) = match row.kind {
        ReminderKind::CheckIn => {
            let times: CheckInTimes = serde_json::from_str(&times).unwrap_or_default();
            let link = spaces
                .first()
                .map_or("/spaces".to_owned(), |s| format!("/spaces/{s}/check-ins"));
            (
                reminder::next_check_in(&times, zone, after),
                "reminder",
                MailKind::CheckInReminder,
                json!({ "what": "Time for a check-in", "when": "now", "link": link }),
            )
        }
        _ => {
            let wanted = MailPreferences::from_stored(&preferences).weekly_summary;
            let next = wanted
                .then(|| reminder::next_weekly_summary(zone, after))
                .flatten();
            let Some(space) = spaces.first().copied() else {
                return Ok((next, None));
            };
            let data = weekly_summary(conn, user, space, row.fire_at)?;
            (next, "weekly_summary", MailKind::WeeklySummary, data)
        }
    };
    if spaces.is_empty() {
        // Nobody to check in with: nothing is sent, the reminder waits for a space.
        return Ok((next, None));
    }
    Ok((
        next,
        Some(Target {
            spaces,
            actor: user,
            audience: Audience::Only(user),
            recipients: vec![user],
            template,
            mail_kind,
            data,
        }),
    ))
}

/// The figures of the weekly summary: the last seven days of the person's commitments, the
/// space's talks held and the requests they acknowledged.
fn weekly_summary(
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
