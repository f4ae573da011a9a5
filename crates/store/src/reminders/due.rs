//! What the firing of one reminder works with: the due row as read, and the target a kind's
//! rules make of it (who is told, what the mail says, which timelines show it).

use crate::DbConnection;
use crate::error::StoreResult;
use crate::rows::{stored_name, utc};
use crate::schema::{memberships, spaces};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::Audience;
use kept_core::mail::MailKind;
use kept_core::reminder::{Firing, ReminderKind};
use kept_core::space::SpaceState;
use kept_core::{SpaceId, UserId};

/// One reminder row.
pub(super) struct Due {
    pub(super) id: String,
    pub(super) kind: ReminderKind,
    pub(super) user: Option<UserId>,
    pub(super) subject: String,
    pub(super) lead: Duration,
    pub(super) fire_at: DateTime<Utc>,
}

impl Due {
    pub(super) fn read(
        id: String,
        kind: &str,
        user: Option<&str>,
        subject: String,
        lead_minutes: i32,
        fire_at: NaiveDateTime,
    ) -> StoreResult<Self> {
        Ok(Due {
            id,
            kind: stored_name("reminder kind", kind)?,
            user: user.map(|user| stored_name("user id", user)).transpose()?,
            subject,
            lead: Duration::minutes(i64::from(lead_minutes)),
            fire_at: utc(fire_at),
        })
    }
}

/// Who a firing goes to and what it says.
pub(super) struct Target {
    /// The spaces whose timelines show the reminder (none: it is mail only).
    pub(super) spaces: Vec<SpaceId>,
    pub(super) actor: UserId,
    pub(super) audience: Audience,
    pub(super) recipients: Vec<UserId>,
    pub(super) template: &'static str,
    pub(super) mail_kind: MailKind,
    pub(super) data: serde_json::Value,
    /// A weekly opening: the round it opens first (if not open already).
    pub(super) opens_round: Option<ScheduledOpening>,
}

/// One week's scheduled round of a space: when the plan opens it (the earlier partner's local
/// time) and when it closes (the agreed days after the later partner's).
#[derive(Debug, Clone, Copy)]
pub(super) struct ScheduledOpening {
    pub(super) space: SpaceId,
    pub(super) opens_at: DateTime<Utc>,
    pub(super) closes_at: DateTime<Utc>,
}

pub(super) fn current_members(conn: &mut DbConnection, space: SpaceId) -> StoreResult<Vec<UserId>> {
    Ok(memberships::table
        .filter(memberships::space_id.eq(space))
        .filter(memberships::left_at.is_null())
        .select(memberships::user_id)
        .load(conn)?)
}

pub(super) fn space_is_open(conn: &mut DbConnection, space: SpaceId) -> StoreResult<bool> {
    let state: Option<SpaceState> = spaces::table
        .find(space)
        .select(spaces::state)
        .first(conn)
        .optional()?;
    Ok(state.is_some_and(|s| s != SpaceState::Closed))
}

/// The reminder's next firing, and whom this one goes to.
pub(super) type Planned = (Option<Firing>, Option<Target>);
