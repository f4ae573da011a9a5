//! Kept's domain, free of I/O: typed ids, values parsed at the edge, the space state machine,
//! the events that make up a space's timeline, and the clock everything time-driven reads.
//!
//! The store persists what this crate decides; the api translates it to HTTP.

pub mod account;
pub mod activity;
pub mod calendar;
pub mod check_in;
pub mod clock;
pub mod commitment;
pub mod error;
pub mod event;
pub mod hints;
pub mod ids;
pub mod mail;
pub mod note;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod reminder;
pub mod request;
pub mod schedule;
pub mod space;
pub mod stats;
pub mod talk;
pub mod text;
pub mod trust;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{DomainError, FieldError, Invalid};
pub use ids::{
    ActivityId, CheckInId, CommitmentId, EventId, InviteId, NoteId, OccurrenceId, RequestId,
    SessionId, SpaceId, TalkId, TrustRatingId, UserId,
};

/// The variant of a unit enum named `name` in its serde form (`"in_person"` → `TalkMode::InPerson`):
/// how stored and submitted names become enums, in one place.
pub fn from_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}

/// The serde name of a unit enum's variant (the inverse of [`from_name`]).
pub fn name_of<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
