//! What a timeline event tells the partner by mail: which events are worth a mail, the
//! activity each names, where in the app to see it, and the private words involved (quoted only
//! when the recipient allows it; never for the weekly check-in).

use crate::SpaceId;
use crate::event::SpaceEvent;
use crate::mail::MailKind;
use crate::note::NoteKind;
use serde::Serialize;

/// What happened, as the activity mail names it; the sentence itself is in the mail templates
/// (`activity_what.txt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    RequestCreated,
    TalkProposed,
    TalkAccepted,
    TalkMoved,
    CommitmentCreated,
    OccurrenceKept,
    OccurrenceDisputed,
    OccurrenceMissed,
    GratitudeNote,
    Letter,
    MemberLeft,
    SpaceClosed,
    WeeklyOpened,
    WeeklyPartnerReady,
    WeeklyRevealed,
    WeeklyShared,
    WeeklyPlanProposed,
    WeeklyPlanAgreed,
}

impl Activity {
    /// Whether the mail names the partner who did it ("Ada made you a commitment"). A missed
    /// occurrence has no doer, and a closed space says nothing of who closed it.
    pub fn names_actor(self) -> bool {
        !matches!(
            self,
            Activity::OccurrenceMissed | Activity::SpaceClosed | Activity::WeeklyRevealed
        )
    }

    /// The preference that turns this mail off.
    pub fn mail_kind(self) -> MailKind {
        match self {
            Activity::WeeklyPartnerReady => MailKind::WeeklyPartnerReady,
            _ => MailKind::Activity,
        }
    }
}

/// What an event tells the partner by mail: what happened, where to see it, and the private
/// words involved (quoted only when the recipient allows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityMail {
    pub activity: Activity,
    /// Path in the app, under `server.public_url`.
    pub link: String,
    pub private_text: Option<String>,
}

impl ActivityMail {
    /// The mail the partner gets for `event`, if it is one of the things worth a mail.
    pub fn for_event(space: SpaceId, event: &SpaceEvent) -> Option<Self> {
        let at = |path: String| format!("/spaces/{space}{path}");
        let (activity, link, private_text) = match event {
            SpaceEvent::RequestCreated { request_id, text } => (
                Activity::RequestCreated,
                at(format!("/requests/{request_id}")),
                Some(text.clone()),
            ),
            SpaceEvent::TalkProposed { talk_id, title, .. } => (
                Activity::TalkProposed,
                at(format!("/talks/{talk_id}")),
                Some(title.clone()),
            ),
            SpaceEvent::TalkAccepted { talk_id } => (
                Activity::TalkAccepted,
                at(format!("/talks/{talk_id}")),
                None,
            ),
            SpaceEvent::TalkMoved { talk_id, .. } => {
                (Activity::TalkMoved, at(format!("/talks/{talk_id}")), None)
            }
            SpaceEvent::CommitmentCreated {
                commitment_id,
                text,
                ..
            } => (
                Activity::CommitmentCreated,
                at(format!("/commitments/{commitment_id}")),
                Some(text.clone()),
            ),
            SpaceEvent::OccurrenceKept {
                commitment_id,
                note,
                ..
            } => (
                Activity::OccurrenceKept,
                at(format!("/commitments/{commitment_id}")),
                note.clone(),
            ),
            SpaceEvent::OccurrenceDisputed {
                commitment_id,
                reason,
                ..
            } => (
                Activity::OccurrenceDisputed,
                at(format!("/commitments/{commitment_id}")),
                Some(reason.clone()),
            ),
            SpaceEvent::OccurrenceMissed { commitment_id, .. } => (
                Activity::OccurrenceMissed,
                at(format!("/commitments/{commitment_id}")),
                None,
            ),
            SpaceEvent::NoteDelivered {
                note_id,
                kind,
                text,
                ..
            } => (
                match kind {
                    NoteKind::Gratitude => Activity::GratitudeNote,
                    NoteKind::Letter => Activity::Letter,
                },
                at(format!("/notes/{note_id}")),
                Some(text.clone()),
            ),
            SpaceEvent::MemberLeft { .. } => (Activity::MemberLeft, at(String::new()), None),
            // A scheduled opening is told to each partner at their own local time instead.
            SpaceEvent::WeeklyOpened {
                scheduled: false, ..
            } => (Activity::WeeklyOpened, at("/weekly".to_owned()), None),
            // Never the words: only that the partner is ready, and that all can be read now.
            SpaceEvent::WeeklyReady { .. } => {
                (Activity::WeeklyPartnerReady, at("/weekly".to_owned()), None)
            }
            SpaceEvent::WeeklyRevealed { .. } => {
                (Activity::WeeklyRevealed, at("/weekly".to_owned()), None)
            }
            SpaceEvent::WeeklyShared { .. } => {
                (Activity::WeeklyShared, at("/weekly".to_owned()), None)
            }
            SpaceEvent::WeeklyPlanProposed { .. } => {
                (Activity::WeeklyPlanProposed, at("/weekly".to_owned()), None)
            }
            SpaceEvent::WeeklyPlanAgreed { .. } => {
                (Activity::WeeklyPlanAgreed, at("/weekly".to_owned()), None)
            }
            // A safety exit: that the space is closed, nothing of who, why or when.
            SpaceEvent::SpaceClosed {} => (Activity::SpaceClosed, "/spaces".to_owned(), None),
            _ => return None,
        };
        Some(ActivityMail {
            activity,
            link,
            private_text,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WeeklyRoundId;
    use chrono::Utc;

    #[test]
    fn a_safety_exit_mails_only_that_the_space_closed() {
        let space = SpaceId::new_at(Utc::now());
        let mail = ActivityMail::for_event(space, &SpaceEvent::SpaceClosed {});
        assert!(
            mail.as_ref()
                .is_some_and(|m| !m.activity.names_actor() && m.private_text.is_none())
        );
        let quiet_event = SpaceEvent::ActivityDone {
            activity_id: crate::ActivityId::new_at(Utc::now()),
        };
        assert_eq!(ActivityMail::for_event(space, &quiet_event), None);
    }

    #[test]
    fn weekly_mail_never_quotes_and_ready_has_its_own_switch() {
        let space = SpaceId::new_at(Utc::now());
        let round_id = WeeklyRoundId::new_at(Utc::now());
        let ready = ActivityMail::for_event(space, &SpaceEvent::WeeklyReady { round_id });
        assert_eq!(
            ready.map(|m| (m.activity.mail_kind(), m.private_text)),
            Some((MailKind::WeeklyPartnerReady, None))
        );
        let revealed = ActivityMail::for_event(space, &SpaceEvent::WeeklyRevealed { round_id });
        assert!(revealed.is_some_and(|m| !m.activity.names_actor() && m.private_text.is_none()));
        // A scheduled opening is told to each partner at their own time, not as activity.
        let closes_at = Utc::now();
        let scheduled = SpaceEvent::WeeklyOpened {
            round_id,
            closes_at,
            scheduled: true,
        };
        assert_eq!(ActivityMail::for_event(space, &scheduled), None);
    }
}
