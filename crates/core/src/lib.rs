//! Kept's domain, free of I/O: typed ids, values parsed at the edge, the space state machine,
//! the events that make up a space's timeline, and the clock everything time-driven reads.
//!
//! The store persists what this crate decides; the api translates it to HTTP.

pub mod account;
pub mod activity;
pub mod activity_mail;
pub mod calendar;
pub mod check_in;
pub mod clock;
pub mod commitment;
pub mod error;
pub mod event;
pub mod hints;
pub mod ids;
pub mod mail;
pub mod names;
pub mod note;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod push;
pub mod reminder;
pub mod request;
pub mod schedule;
pub mod space;
pub mod stats;
#[cfg(feature = "diesel")]
mod stored;
pub mod talk;
pub mod text;
pub mod trust;
pub mod weekly;
pub mod weekly_plan;
pub mod weekly_schedule;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, FieldError, Invalid};
pub use ids::{
    ActivityId, CheckInId, CommitmentId, EventId, InviteId, NoteId, OccurrenceId,
    PushSubscriptionId, RequestId, SessionId, SpaceId, TalkId, TrustRatingId, UserId,
    WeeklyRoundId,
};
pub use names::{from_name, name_of};
