//! Firing due reminders: one transaction per batch writes each reminder's event and mail and
//! moves its row on. On PostgreSQL the batch is claimed with `FOR UPDATE SKIP LOCKED`, so
//! several instances share the due rows and none fires twice.

use super::due::{Due, Planned, Target, current_members, space_is_open};
use super::schedule::{CommitmentTimes, PersonTimes, ReminderSettings, TalkTimes};
use super::weekly::weekly_summary;
use super::weekly_round::{closing_target, opening_target};
use crate::dialect::load_claimed;
use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::outbox::{Mail, To, enqueue};
use crate::rows::{stored_time, utc};
use crate::schema::{memberships, reminders, spaces};
use crate::weekly::open_scheduled_round;
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::SpaceId;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::mail::MailKind;
use kept_core::reminder::{Firing, ReminderKind};
use kept_core::space::SpaceState;
use serde_json::json;

/// What one round of firing did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FiringReport {
    /// Reminders that came due and were handled (sent, or skipped as stale or orphaned).
    pub due: usize,
    /// Of those, the ones that wrote an event and mail.
    pub sent: usize,
    /// Of those, the ones whose stored data could not be read (logged; tried again later).
    pub corrupt: usize,
    /// How late the most overdue of them fired (zero when none was due).
    pub most_late: std::time::Duration,
}

impl Store {
    /// Schedules the weekly openings of paired spaces that have none (spaces paired before the
    /// weekly check-in existed); how many. Run once when the scheduler starts.
    pub fn schedule_missing_weekly_openings(&self) -> StoreResult<usize> {
        let now = self.now();
        self.write(|conn| super::weekly_rows::schedule_missing_weekly_openings(conn, now))
    }

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
            // Kind and user are read as text and parsed row by row (`Due::read`), so that one
            // unreadable row cannot fail the whole batch.
            type Row = (String, String, Option<String>, String, i32, NaiveDateTime);
            // Several instances share the due rows; none fires one twice.
            let rows: Vec<Row> = load_claimed!(conn, due)?;
            let mut report = FiringReport::default();
            for (id, kind, user, subject, lead, fire_at) in rows {
                if report.due == 0 {
                    // Oldest first: the first row is the most overdue.
                    report.most_late = (now - utc(fire_at)).to_std().unwrap_or_default();
                }
                report.due += 1;
                // Each firing in its own savepoint: one that fails part-way leaves nothing behind.
                let fired = Due::read(id.clone(), &kind, user.as_deref(), subject, lead, fire_at)
                    .and_then(|row| conn.transaction(|conn| fire(conn, &row, now)));
                match fired {
                    Ok(true) => report.sent += 1,
                    Ok(false) => {}
                    // One unreadable row must not hold back every other reminder: it is logged,
                    // counted, and looked at again in an hour (after someone has mended it).
                    Err(StoreError::Corrupt(cause)) => {
                        tracing::error!(reminder = %id, %cause, "a reminder's stored data is corrupt");
                        report.corrupt += 1;
                        diesel::update(reminders::table.find(&id))
                            .set(reminders::next_fire_at.eq(stored_time(now + Duration::hours(1))))
                            .execute(conn)?;
                    }
                    Err(other) => return Err(other),
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
        ReminderKind::WeeklyOpening => opening_target(conn, row, after)?,
        ReminderKind::WeeklyClosing => closing_target(conn, row, now)?,
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
    // The first partner's opening opens the round; with none to tell them of (or their answers
    // are in already), nothing is sent.
    if let Some(opening) = target.opens_round
        && !open_scheduled_round(
            conn,
            opening.space,
            target.actor,
            (opening.opens_at, opening.closes_at),
            now,
        )?
    {
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
                "reminder": ReminderKind::Talk,
                "lead_minutes": row.lead.num_minutes(),
                "link": format!("/spaces/{space}/talks/{}", row.subject),
            }),
            opens_round: None,
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
                "reminder": ReminderKind::Commitment,
                "lead_minutes": row.lead.num_minutes(),
                "link": format!("/spaces/{space}/commitments/{}", row.subject),
            }),
            opens_round: None,
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
    let spaces: Vec<SpaceId> = memberships::table
        .inner_join(spaces::table)
        .filter(memberships::user_id.eq(user))
        .filter(memberships::left_at.is_null())
        .filter(spaces::state.ne(SpaceState::Closed))
        .select(memberships::space_id)
        .load(conn)?;
    let (template, mail_kind, data) = match row.kind {
        ReminderKind::CheckIn => {
            let link = spaces
                .first()
                .map_or("/spaces".to_owned(), |s| format!("/spaces/{s}"));
            (
                "reminder",
                MailKind::CheckInReminder,
                json!({ "reminder": ReminderKind::CheckIn, "lead_minutes": 0, "link": link }),
            )
        }
        _ => {
            let Some(space) = spaces.first().copied() else {
                return Ok((next, None));
            };
            let data = weekly_summary(conn, user, space, person.zone, row.fire_at)?;
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
            opens_round: None,
        }),
    ))
}
