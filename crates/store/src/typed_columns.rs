//! Typed ids as text columns on the connection over both backends: core makes each id read and
//! write itself on SQLite and on PostgreSQL; here the multi-backend connection is taught to hand
//! them to whichever backend it is. A query binds `space` itself, never `space.to_string()`.

use crate::db::MultiBackend;
use diesel::serialize::{IsNull, Output, ToSql};
use diesel::sql_types::Text;
use kept_core::ids::*;

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
);
