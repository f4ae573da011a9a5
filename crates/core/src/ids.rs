//! Typed ids: a `SpaceId` can never be passed where a `UserId` is meant. All are UUIDv7, whose
//! time part comes from the [`Clock`](crate::Clock) so ids sort by creation even in tests.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::{NoContext, Timestamp, Uuid};

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
        #[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        #[cfg(feature = "diesel")]
        crate::stored::stored_as_text!($name);

        impl $name {
            /// A new id whose time part is `now`.
            pub fn new_at(now: DateTime<Utc>) -> Self {
                Self(new_v7(now))
            }

        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
                crate::openapi::uuid_schema()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    )*};
}

typed_id!(
    /// A person with an account.
    UserId,
    /// One couple's private shared space.
    SpaceId,
    /// One entry of a space's timeline.
    EventId,
    /// An invitation into a space (its secret code is separate and never stored in clear).
    InviteId,
    /// One signed-in device: a family of rotating refresh tokens.
    SessionId,
    /// A check-in: a short note on how one is doing.
    CheckInId,
    /// A request: a need one partner states to the other.
    RequestId,
    /// A commitment one partner makes to the other.
    CommitmentId,
    /// One due time of a commitment.
    OccurrenceId,
    /// A gratitude note or a letter.
    NoteId,
    /// A trust rating (one per person per local day).
    TrustRatingId,
    /// Something the partners plan to do together.
    ActivityId,
    /// A talk the partners agreed to have.
    TalkId,
    /// One held or skipped occurrence of a talk.
    TalkOccurrenceId,
    /// One mail in the outbox.
    DeliveryId,
    /// One scheduled reminder.
    ReminderId,
    /// One round of the weekly check-in.
    WeeklyRoundId,
    /// One device's Web Push subscription.
    PushSubscriptionId,
);

fn new_v7(now: DateTime<Utc>) -> Uuid {
    let secs = u64::try_from(now.timestamp()).unwrap_or(0);
    Uuid::new_v7(Timestamp::from_unix(
        NoContext,
        secs,
        now.timestamp_subsec_nanos(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn ids_round_trip_through_text_and_sort_by_time() {
        let now = Utc::now();
        let first = UserId::new_at(now);
        let later = UserId::new_at(now + Duration::seconds(1));
        assert!(first < later);
        assert_eq!(first.to_string().parse::<UserId>().ok(), Some(first));
        assert!("not-a-uuid".parse::<SpaceId>().is_err());
    }
}
