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

/// What a talk's reminders follow: when it first starts, how it recurs, and whether it is on.
struct TalkTimes {
    space: SpaceId,
    accepted: bool,
    first: DateTime<Utc>,
    cadence: Cadence,
    zone: Tz,
}

impl TalkTimes {
    fn load(conn: &mut DbConnection, talk: &str) -> StoreResult<Option<Self>> {
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
        row.map(|(space, state, cadence, first, zone)| {
            Ok(TalkTimes {
                space: parse_id(&space)?,
                accepted: from_name::<TalkState>(&state) == Some(TalkState::Accepted),
                first: utc(first),
                cadence: from_name(&cadence).unwrap_or(Cadence::Once),
                zone: zone_of(&zone),
            })
        })
        .transpose()
    }

    /// The next reminder `lead` ahead of a start, while the talk is accepted.
    fn next(&self, lead: Duration, after: DateTime<Utc>) -> Option<Firing> {
        self.accepted
            .then(|| reminder::next_talk(self.first, self.cadence, self.zone, lead, after))
            .flatten()
    }
}

/// What a commitment's reminder follows: its schedule while it is active.
struct CommitmentTimes {
    space: SpaceId,
    committer: UserId,
    /// `None` once retired (or unreadable): nothing more to remind of.
    schedule: Option<Schedule>,
}

impl CommitmentTimes {
    fn load(conn: &mut DbConnection, commitment: &str) -> StoreResult<Option<Self>> {
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
        row.map(|(space, committer, state, schedule, zone)| {
            let schedule = serde_json::from_str::<Recurrence>(&schedule)
                .ok()
                .filter(|_| state == "active")
                .map(|recurrence| Schedule {
                    recurrence,
                    zone: zone_of(&zone),
                });
            Ok(CommitmentTimes {
                space: parse_id(&space)?,
                committer: parse_id(&committer)?,
                schedule,
            })
        })
        .transpose()
    }

    fn next(&self, lead: Duration, after: DateTime<Utc>) -> Option<Firing> {
        self.schedule
            .as_ref()
            .and_then(|schedule| reminder::next_commitment(schedule, lead, after))
    }
}

/// What a person's own reminders follow: their zone, check-in times and summary wish.
struct PersonTimes {
    zone: Tz,
    check_ins: CheckInTimes,
    weekly_summary: bool,
}

impl PersonTimes {
    fn load(conn: &mut DbConnection, user: UserId) -> StoreResult<Option<Self>> {
        let row: Option<(String, String, String)> = users::table
            .find(user.to_string())
            .select((
                users::time_zone,
                users::check_in_times,
                users::mail_preferences,
            ))
            .first(conn)
            .optional()?;
        Ok(row.map(|(zone, times, preferences)| PersonTimes {
            zone: zone_of(&zone),
            check_ins: serde_json::from_str(&times).unwrap_or_default(),
            weekly_summary: MailPreferences::from_stored(&preferences).weekly_summary,
        }))
    }

    fn next(&self, kind: ReminderKind, after: DateTime<Utc>) -> Option<Firing> {
        match kind {
            ReminderKind::CheckIn => reminder::next_check_in(&self.check_ins, self.zone, after),
            _ => self
                .weekly_summary
                .then(|| reminder::next_weekly_summary(self.zone, after))
                .flatten(),
        }
    }
}

/// A person's check-in reminder and weekly summary, after their profile changed.
pub(crate) fn sync_person(
    conn: &mut DbConnection,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(person) = PersonTimes::load(conn, user)? else {
        return Ok(());
    };
    let subject = user.to_string();
    for kind in [ReminderKind::CheckIn, ReminderKind::WeeklySummary] {
        let firing = person.next(kind, now);
        put(
            conn,
            kind,
            Some(user),
            None,
            &subject,
            Duration::zero(),
            firing,
            now,
        )?;
    }
    Ok(())
}

/// A talk's reminders (one per lead time) while it is accepted; none otherwise.
pub(crate) fn sync_talk(
    conn: &mut DbConnection,
    settings: &ReminderSettings,
    talk: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(times) = TalkTimes::load(conn, talk)? else {
        return Ok(());
    };
    for lead in &settings.talk_leads {
        let firing = times.next(*lead, now);
        put(
            conn,
            ReminderKind::Talk,
            None,
            Some(times.space),
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
    let Some(times) = CommitmentTimes::load(conn, commitment)? else {
        return Ok(());
    };
    let lead = settings.commitment_lead;
    let firing = times.next(lead, now);
    put(
        conn,
        ReminderKind::Commitment,
        Some(times.committer),
        Some(times.space),
        commitment,
        lead,
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
                    reminders::subject_id,
                    reminders::lead_minutes,
                    reminders::next_fire_at,
                ));
            type Row = (String, String, Option<String>, String, i32, NaiveDateTime);
            // PostgreSQL: other instances skip the rows this one holds, and take the next ones.
            let rows: Vec<Row> = match conn {
                DbConnection::Postgres(pg) => due.for_update().skip_locked().load(pg)?,
                DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
            };
            let mut report = FiringReport::default();
            for (id, kind, user, subject, lead, fire_at) in rows {
                let Some(kind) = from_name::<ReminderKind>(&kind) else {
                    continue;
                };
                let row = Due {
                    id,
                    kind,
                    user: user.as_deref().map(parse_id).transpose()?,
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
    let Some(times) = TalkTimes::load(conn, &row.subject)? else {
        return Ok((None, None));
    };
    let (space, next) = (times.space, times.next(row.lead, after));
    if !times.accepted || !space_is_open(conn, space)? {
        return Ok((None, None));
    }
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
    let Some(times) = CommitmentTimes::load(conn, &row.subject)? else {
        return Ok((None, None));
    };
    let (space, committer) = (times.space, times.committer);
    if times.schedule.is_none() || !space_is_open(conn, space)? {
        return Ok((None, None));
    }
    let next = times.next(row.lead, after);
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
    let Some(person) = PersonTimes::load(conn, user)? else {
        return Ok((None, None));
    };
    let next = person.next(row.kind, after);
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
    let (template, mail_kind, data) = match row.kind {
        ReminderKind::CheckIn => {
            let link = spaces
                .first()
                .map_or("/spaces".to_owned(), |s| format!("/spaces/{s}/check-ins"));
            (
                "reminder",
                MailKind::CheckInReminder,
                json!({ "what": "Time for a check-in", "when": "now", "link": link }),
            )
        }
        _ => {
            let Some(space) = spaces.first().copied() else {
                return Ok((next, None));
            };
            let data = weekly_summary(conn, user, space, row.fire_at)?;
            ("weekly_summary", MailKind::WeeklySummary, data)
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
