//! Typed ids and stored enums as text columns on the connection over both backends: core makes
//! each read and write itself on SQLite and on PostgreSQL; here the multi-backend connection is
//! taught to hand them to whichever backend it is. A query binds `space` or `SpaceState::Closed`
//! itself, never a string made from it.

use crate::db::MultiBackend;
use diesel::serialize::{IsNull, Output, ToSql};
use diesel::sql_types::Text;
use kept_core::check_in::Mood;
use kept_core::commitment::{CommitmentState, OccurrenceState};
use kept_core::ids::*;
use kept_core::mail::MailKind;
use kept_core::note::NoteKind;
use kept_core::reminder::ReminderKind;
use kept_core::request::RequestState;
use kept_core::space::SpaceState;
use kept_core::talk::{Cadence, Outcome, TalkMode, TalkState};
use kept_core::weekly::RoundState;

// The connection type is this crate's, so these impls can only be written here (the orphan rule),
// one per stored type; a type left out fails to compile where a query binds it.
macro_rules! text_on_both_backends {
    ($($name:ty),* $(,)?) => {$(
        impl ToSql<Text, MultiBackend> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> diesel::serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }
    )*};
}

text_on_both_backends!(
    UserId,
    SpaceId,
    EventId,
    InviteId,
    SessionId,
    CheckInId,
    RequestId,
    CommitmentId,
    OccurrenceId,
    NoteId,
    TrustRatingId,
    ActivityId,
    TalkId,
    TalkOccurrenceId,
    DeliveryId,
    ReminderId,
    WeeklyRoundId,
    PushSubscriptionId,
    Mood,
    CommitmentState,
    OccurrenceState,
    MailKind,
    NoteKind,
    ReminderKind,
    RequestState,
    SpaceState,
    Cadence,
    Outcome,
    TalkMode,
    TalkState,
    RoundState,
);
