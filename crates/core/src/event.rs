//! The events of a space's append-only timeline. Each has a kind (`space.created`, …), a typed
//! payload and an audience. Events are never edited: a correction is a new event. The one
//! exception is redaction: when an author deletes a text they wrote, the text is removed from
//! the payloads that carried it (the fact, its time and its place in the log remain), and a
//! `*.redacted` event says so.

use crate::check_in::Mood;
use crate::ids::{
    ActivityId, CheckInId, CommitmentId, InviteId, NoteId, OccurrenceId, RequestId, TalkId,
    TrustRatingId, UserId, WeeklyRoundId,
};
use crate::note::NoteKind;
use crate::schedule::Recurrence;
use crate::talk::{Cadence, Outcome, TalkMode};
use crate::weekly_plan::WeeklyPlan;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who may see an event in the timeline and the live stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Members,
    Only(UserId),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "payload")]
pub enum SpaceEvent {
    #[serde(rename = "space.created")]
    SpaceCreated { name: String },
    #[serde(rename = "invite.created")]
    InviteCreated {
        invite_id: InviteId,
        expires_at: DateTime<Utc>,
        emailed: bool,
    },
    #[serde(rename = "invite.revoked")]
    InviteRevoked { invite_id: InviteId },
    #[serde(rename = "member.joined")]
    MemberJoined {
        user_id: UserId,
        display_name: String,
    },
    #[serde(rename = "member.left")]
    MemberLeft { user_id: UserId },
    #[serde(rename = "check_in.created")]
    CheckInCreated {
        check_in_id: CheckInId,
        text: String,
        mood: Option<Mood>,
    },
    #[serde(rename = "request.created")]
    RequestCreated { request_id: RequestId, text: String },
    #[serde(rename = "request.acknowledged")]
    RequestAcknowledged {
        request_id: RequestId,
        reply: String,
    },
    #[serde(rename = "request.resolved")]
    RequestResolved {
        request_id: RequestId,
        felt_heard: Option<bool>,
    },
    #[serde(rename = "request.withdrawn")]
    RequestWithdrawn { request_id: RequestId },
    #[serde(rename = "commitment.created")]
    CommitmentCreated {
        commitment_id: CommitmentId,
        text: String,
        schedule: Recurrence,
        grace_minutes: i64,
        request_id: Option<RequestId>,
    },
    #[serde(rename = "commitment.renegotiated")]
    CommitmentRenegotiated {
        commitment_id: CommitmentId,
        version: i64,
        text: String,
        schedule: Recurrence,
        grace_minutes: i64,
    },
    #[serde(rename = "commitment.retired")]
    CommitmentRetired { commitment_id: CommitmentId },
    #[serde(rename = "occurrence.kept")]
    OccurrenceKept {
        commitment_id: CommitmentId,
        occurrence_id: OccurrenceId,
        due_at: DateTime<Utc>,
        note: Option<String>,
    },
    #[serde(rename = "occurrence.confirmed")]
    OccurrenceConfirmed {
        commitment_id: CommitmentId,
        occurrence_id: OccurrenceId,
    },
    #[serde(rename = "occurrence.disputed")]
    OccurrenceDisputed {
        commitment_id: CommitmentId,
        occurrence_id: OccurrenceId,
        reason: String,
    },
    /// Turned missed by the clock, not by anyone.
    #[serde(rename = "occurrence.missed")]
    OccurrenceMissed {
        commitment_id: CommitmentId,
        occurrence_id: OccurrenceId,
        due_at: DateTime<Utc>,
    },
    /// A note held back until `deliver_at`: logged for its author only.
    #[serde(rename = "note.scheduled")]
    NoteScheduled {
        note_id: NoteId,
        kind: NoteKind,
        text: String,
        deliver_at: DateTime<Utc>,
        in_reply_to: Option<NoteId>,
    },
    /// A note reaching the partner (at once, or released at its `deliver_at`).
    #[serde(rename = "note.delivered")]
    NoteDelivered {
        note_id: NoteId,
        kind: NoteKind,
        author_id: UserId,
        text: String,
        in_reply_to: Option<NoteId>,
    },
    /// Private ratings are logged for their author only.
    #[serde(rename = "trust.rated")]
    TrustRated {
        rating_id: TrustRatingId,
        score: i32,
        note: Option<String>,
        shared: bool,
        local_day: chrono::NaiveDate,
        replaces: Option<TrustRatingId>,
    },
    #[serde(rename = "activity.planned")]
    ActivityPlanned {
        activity_id: ActivityId,
        title: String,
        starts_at: Option<DateTime<Utc>>,
    },
    #[serde(rename = "activity.done")]
    ActivityDone { activity_id: ActivityId },
    #[serde(rename = "talk.proposed")]
    TalkProposed {
        talk_id: TalkId,
        title: String,
        mode: TalkMode,
        cadence: Cadence,
        starts_at: DateTime<Utc>,
        duration_minutes: i64,
        agenda: Vec<String>,
    },
    #[serde(rename = "talk.accepted")]
    TalkAccepted { talk_id: TalkId },
    #[serde(rename = "talk.declined")]
    TalkDeclined { talk_id: TalkId },
    /// Another time was proposed; the other partner answers again.
    #[serde(rename = "talk.moved")]
    TalkMoved {
        talk_id: TalkId,
        starts_at: DateTime<Utc>,
    },
    #[serde(rename = "talk.agenda_added")]
    TalkAgendaAdded { talk_id: TalkId, item: String },
    #[serde(rename = "talk.marked")]
    TalkMarked {
        talk_id: TalkId,
        starts_at: DateTime<Utc>,
        outcome: Outcome,
        notes: Option<String>,
    },
    /// The author deleted their text: it is gone from the item and from earlier events.
    #[serde(rename = "check_in.redacted")]
    CheckInRedacted { check_in_id: CheckInId },
    #[serde(rename = "note.redacted")]
    NoteRedacted { note_id: NoteId },
    /// A reminder came due (shown to whom it reminds; a talk reminds both).
    #[serde(rename = "reminder.due")]
    ReminderDue {
        reminder: crate::reminder::ReminderKind,
        /// The talk or commitment it is about; the person, for check-ins and summaries.
        subject_id: String,
        /// The occurrence: a talk's start, a commitment's due time, the check-in time.
        occurrence: DateTime<Utc>,
    },
    /// A weekly check-in round opened; `closes_at` is when it stops taking answers.
    #[serde(rename = "weekly.opened")]
    WeeklyOpened {
        round_id: WeeklyRoundId,
        closes_at: DateTime<Utc>,
        /// Opened by the agreed plan rather than by a partner: the event names no one.
        #[serde(default)]
        scheduled: bool,
    },
    /// The actor submitted their answers: the partner learns only that they are ready.
    #[serde(rename = "weekly.ready")]
    WeeklyReady { round_id: WeeklyRoundId },
    /// Both submitted: both see both sets of shared answers, from now on.
    #[serde(rename = "weekly.revealed")]
    WeeklyRevealed { round_id: WeeklyRoundId },
    /// The round closed before both submitted (its time ran out, or a partner left); answers
    /// stay their authors' own.
    #[serde(rename = "weekly.closed")]
    WeeklyClosed { round_id: WeeklyRoundId },
    /// After an unrevealed close, the actor showed their shared answers to the partner.
    #[serde(rename = "weekly.shared")]
    WeeklyShared { round_id: WeeklyRoundId },
    /// The actor proposed when weekly rounds open, for how long and what they ask.
    #[serde(rename = "weekly.plan_proposed")]
    WeeklyPlanProposed { plan: WeeklyPlan },
    /// The actor accepted the partner's proposal: rounds follow it from now on.
    #[serde(rename = "weekly.plan_agreed")]
    WeeklyPlanAgreed { plan: WeeklyPlan },
    /// The actor withdrew or declined the pending proposal; the agreed plan holds.
    #[serde(rename = "weekly.plan_dropped")]
    WeeklyPlanDropped {},
    /// A safety exit: deliberately says nothing of who, why or exactly when.
    #[serde(rename = "space.closed")]
    SpaceClosed {},
}

impl SpaceEvent {
    /// The stored form: the kind and the payload as JSON text.
    pub fn to_parts(&self) -> (String, String) {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        let kind = value
            .get("kind")
            .and_then(|k| k.as_str())
            .unwrap_or_default()
            .to_owned();
        let payload = value
            .get_mut("payload")
            .map(serde_json::Value::take)
            .unwrap_or_default();
        (kind, payload.to_string())
    }

    /// Whether the acting member's id belongs on the event. A safety exit names no one.
    pub fn shows_actor(&self) -> bool {
        !matches!(
            self,
            Self::SpaceClosed {}
                | Self::OccurrenceMissed { .. }
                | Self::ReminderDue { .. }
                | Self::WeeklyClosed { .. }
                | Self::WeeklyOpened {
                    scheduled: true,
                    ..
                }
        )
    }

    /// The time recorded with the event. A safety exit keeps only the day, so that the partner
    /// cannot read the timing of the exit from the timeline.
    pub fn recorded_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Self::SpaceClosed {} => now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc(),
            _ => now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn events_split_into_kind_and_payload() {
        let user_id = UserId::new_at(Utc::now());
        let (kind, payload) = SpaceEvent::MemberLeft { user_id }.to_parts();
        assert_eq!(kind, "member.left");
        assert_eq!(payload, format!(r#"{{"user_id":"{user_id}"}}"#));
        assert_eq!(
            SpaceEvent::SpaceClosed {}.to_parts(),
            ("space.closed".to_owned(), "{}".to_owned())
        );
    }

    #[test]
    fn a_safety_exit_hides_who_and_when() {
        let now = Utc
            .with_ymd_and_hms(2026, 5, 1, 22, 47, 13)
            .single()
            .unwrap_or_default();
        let closed = SpaceEvent::SpaceClosed {};
        assert!(!closed.shows_actor());
        assert_eq!(
            closed.recorded_at(now),
            Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0)
                .single()
                .unwrap_or_default()
        );
        let created = SpaceEvent::SpaceCreated { name: "us".into() };
        assert_eq!(created.recorded_at(now), now);
    }
}
