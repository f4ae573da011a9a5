//! Keeping reminder rows in step: the commands that change a talk, a commitment or a person's
//! settings call in here in their own transaction, so a row always fires at the next time
//! core's rules give for the subject as it is now. (A person's new zone also moves their weekly
//! check-in openings, kept by [`super::weekly_rows`].)

use crate::DbConnection;
use crate::error::StoreResult;
use crate::rows::{stored_json, stored_time, stored_zone, utc};
use crate::schema::{commitments, memberships, reminders, talks, users};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use kept_core::check_in::CheckInTimes;
use kept_core::commitment::CommitmentState;
use kept_core::ids::ReminderId;
use kept_core::mail::MailPreferences;
use kept_core::reminder::{self, Firing, ReminderKind};
use kept_core::schedule::{Recurrence, Schedule};
use kept_core::talk::{Cadence, TalkState};
use kept_core::{CommitmentId, SpaceId, TalkId, UserId};

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
            .filter(reminders::kind.eq(kind))
            .filter(reminders::subject_id.eq(subject))
            .filter(reminders::lead_minutes.eq(lead_minutes)),
    )
    .execute(conn)?;
    if let Some(firing) = firing {
        diesel::insert_into(reminders::table)
            .values((
                reminders::id.eq(ReminderId::new_at(now)),
                reminders::kind.eq(kind),
                reminders::user_id.eq(user),
                reminders::space_id.eq(space),
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
pub(super) struct TalkTimes {
    pub(super) space: SpaceId,
    pub(super) accepted: bool,
    pub(super) first: DateTime<Utc>,
    pub(super) cadence: Cadence,
    pub(super) zone: Tz,
}

impl TalkTimes {
    pub(super) fn load(conn: &mut DbConnection, talk: &str) -> StoreResult<Option<Self>> {
        let row: Option<(SpaceId, TalkState, Cadence, NaiveDateTime, String)> = talks::table
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
                space,
                accepted: state == TalkState::Accepted,
                first: utc(first),
                cadence,
                zone: stored_zone(&zone)?,
            })
        })
        .transpose()
    }

    /// The next reminder `lead` ahead of a start, while the talk is accepted.
    pub(super) fn next(&self, lead: Duration, after: DateTime<Utc>) -> Option<Firing> {
        self.accepted
            .then(|| reminder::next_talk(self.first, self.cadence, self.zone, lead, after))
            .flatten()
    }
}

/// What a commitment's reminder follows: its schedule while it is active.
pub(super) struct CommitmentTimes {
    pub(super) space: SpaceId,
    pub(super) committer: UserId,
    /// `None` once retired: nothing more to remind of.
    pub(super) schedule: Option<Schedule>,
}

impl CommitmentTimes {
    pub(super) fn load(conn: &mut DbConnection, commitment: &str) -> StoreResult<Option<Self>> {
        let row: Option<(SpaceId, UserId, CommitmentState, String, String)> = commitments::table
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
            // A retired commitment reminds of nothing; an active one's schedule must be readable.
            let schedule = if state == CommitmentState::Active {
                Some(Schedule {
                    recurrence: stored_json::<Recurrence>("schedule", &schedule)?,
                    zone: stored_zone(&zone)?,
                })
            } else {
                None
            };
            Ok(CommitmentTimes {
                space,
                committer,
                schedule,
            })
        })
        .transpose()
    }

    pub(super) fn next(&self, lead: Duration, after: DateTime<Utc>) -> Option<Firing> {
        self.schedule
            .as_ref()
            .and_then(|schedule| reminder::next_commitment(schedule, lead, after))
    }
}

/// What a person's own reminders follow: their zone, check-in times and summary wish.
pub(super) struct PersonTimes {
    pub(super) zone: Tz,
    pub(super) check_ins: CheckInTimes,
    pub(super) weekly_summary: bool,
}

impl PersonTimes {
    pub(super) fn load(conn: &mut DbConnection, user: UserId) -> StoreResult<Option<Self>> {
        let row: Option<(String, String, String)> = users::table
            .find(user)
            .select((
                users::time_zone,
                users::check_in_times,
                users::mail_preferences,
            ))
            .first(conn)
            .optional()?;
        row.map(|(zone, times, preferences)| {
            Ok(PersonTimes {
                zone: stored_zone(&zone)?,
                check_ins: stored_json::<CheckInTimes>("check-in times", &times)?,
                weekly_summary: stored_json::<MailPreferences>("mail preferences", &preferences)?
                    .weekly_summary,
            })
        })
        .transpose()
    }

    pub(super) fn next(&self, kind: ReminderKind, after: DateTime<Utc>) -> Option<Firing> {
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
    // Their weekly check-in opens at their own local time: a new zone moves it.
    let spaces: Vec<SpaceId> = memberships::table
        .filter(memberships::user_id.eq(user))
        .filter(memberships::left_at.is_null())
        .select(memberships::space_id)
        .load(conn)?;
    for space in spaces {
        super::weekly_rows::sync_weekly_openings(conn, space, now)?;
    }
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
    talk: TalkId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let talk = &talk.to_string();
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
    commitment: CommitmentId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let commitment = &commitment.to_string();
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
    diesel::delete(reminders::table.filter(reminders::space_id.eq(space))).execute(conn)?;
    Ok(())
}

/// A safety exit: nothing reminds the leaver any more.
pub(crate) fn drop_person(conn: &mut DbConnection, user: UserId) -> StoreResult<()> {
    diesel::delete(reminders::table.filter(reminders::user_id.eq(user))).execute(conn)?;
    Ok(())
}
