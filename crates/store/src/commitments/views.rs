//! What callers hand to and get from the commitment commands.

use chrono::{DateTime, Utc};
use kept_core::account::TimeZone;
use kept_core::commitment::{
    CommitmentState, CommitmentText, Grace, OccurrenceNote, OccurrenceState,
};
use kept_core::schedule::Recurrence;
use kept_core::{CommitmentId, OccurrenceId, RequestId, SpaceId, UserId};
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct NewCommitment {
    pub text: CommitmentText,
    pub recurrence: Recurrence,
    pub grace: Grace,
    pub request: Option<RequestId>,
}

/// A renegotiation: `None` keeps what was.
#[derive(Debug, Clone, Default)]
pub struct CommitmentTerms {
    pub text: Option<CommitmentText>,
    pub recurrence: Option<Recurrence>,
    pub grace: Option<Grace>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Commitment))]
pub struct CommitmentView {
    pub id: CommitmentId,
    pub space_id: SpaceId,
    pub committer_id: UserId,
    pub partner_id: UserId,
    pub request_id: Option<RequestId>,
    pub text: String,
    pub schedule: Recurrence,
    pub time_zone: TimeZone,
    pub grace_minutes: i64,
    pub state: CommitmentState,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Occurrence))]
pub struct OccurrenceView {
    pub id: OccurrenceId,
    pub commitment_id: CommitmentId,
    pub opens_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    pub state: OccurrenceState,
    pub note: Option<String>,
    pub kept_at: Option<DateTime<Utc>>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub dispute_reason: Option<String>,
}

/// What the caller asks of an occurrence.
#[derive(Debug, Clone)]
pub enum OccurrenceChange {
    Kept { note: Option<OccurrenceNote> },
    Confirm,
    Dispute { reason: OccurrenceNote },
}

/// What one sweep round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub missed: usize,
    pub extended: usize,
    /// Commitments whose stored data could not be read (logged, left as they are).
    pub corrupt: usize,
}
