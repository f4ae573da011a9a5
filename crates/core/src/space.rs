//! A space: one couple's private room. Its life is `open` (one member, inviting) → `paired`
//! (exactly two) → `closed` (someone left; read-only for whoever remains). Invites are
//! single-use, expire after seven days and can be revoked.

use crate::error::DomainError;
use crate::text::Title;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub type SpaceName = Title;

/// How long an invite can be accepted.
pub const INVITE_TTL: Duration = Duration::days(7);

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SpaceState {
    Open,
    Paired,
    Closed,
}

crate::names::named_by_serde!(SpaceState);

impl SpaceState {
    /// Anything that changes a space's content needs it not closed.
    pub fn ensure_writable(self) -> Result<(), DomainError> {
        match self {
            Self::Closed => Err(DomainError::SpaceClosed),
            Self::Open | Self::Paired => Ok(()),
        }
    }

    /// Only a space still waiting for its second member may invite.
    pub fn ensure_can_invite(self) -> Result<(), DomainError> {
        match self {
            Self::Open => Ok(()),
            Self::Paired => Err(DomainError::SpaceFull),
            Self::Closed => Err(DomainError::SpaceClosed),
        }
    }

    /// The state after someone joins: a space has two members, never three.
    pub fn join(self) -> Result<Self, DomainError> {
        self.ensure_can_invite().map(|()| Self::Paired)
    }

    /// The state after a member leaves: whoever remains keeps a read-only space.
    pub fn leave(self) -> Self {
        Self::Closed
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveMode {
    /// The partner is told that the leaver left.
    Normal,
    /// Leave at once, signed out everywhere; the partner learns only that the space closed.
    Safety,
}

/// What decides whether an invite can still be accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteStatus {
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub revoked: bool,
}

impl InviteStatus {
    pub fn ensure_acceptable(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if self.used {
            Err(DomainError::InviteUsed)
        } else if self.revoked {
            Err(DomainError::InviteRevoked)
        } else if now >= self.expires_at {
            Err(DomainError::InviteExpired)
        } else {
            Ok(())
        }
    }
}

/// The rule for accepting an invite, in the order a person should hear the reasons: being in the
/// space already, then the invite itself, then whether the space has room.
pub fn accept_invite(
    space: SpaceState,
    invite: InviteStatus,
    already_member: bool,
    now: DateTime<Utc>,
) -> Result<SpaceState, DomainError> {
    if already_member {
        return Err(DomainError::AlreadyMember);
    }
    invite.ensure_acceptable(now)?;
    space.join()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, hour, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn fresh(expires_at: DateTime<Utc>) -> InviteStatus {
        InviteStatus {
            expires_at,
            used: false,
            revoked: false,
        }
    }

    #[test]
    fn a_space_pairs_once_and_never_takes_a_third() {
        assert_eq!(
            accept_invite(SpaceState::Open, fresh(at(12)), false, at(9)),
            Ok(SpaceState::Paired)
        );
        assert_eq!(
            accept_invite(SpaceState::Paired, fresh(at(12)), false, at(9)),
            Err(DomainError::SpaceFull)
        );
        assert_eq!(
            accept_invite(SpaceState::Closed, fresh(at(12)), false, at(9)),
            Err(DomainError::SpaceClosed)
        );
    }

    #[test]
    fn invites_are_single_use_revocable_and_expire() {
        let used = InviteStatus {
            used: true,
            ..fresh(at(12))
        };
        let revoked = InviteStatus {
            revoked: true,
            ..fresh(at(12))
        };
        assert_eq!(
            accept_invite(SpaceState::Open, used, false, at(9)),
            Err(DomainError::InviteUsed)
        );
        assert_eq!(
            accept_invite(SpaceState::Open, revoked, false, at(9)),
            Err(DomainError::InviteRevoked)
        );
        assert_eq!(
            accept_invite(SpaceState::Open, fresh(at(12)), false, at(12)),
            Err(DomainError::InviteExpired)
        );
    }

    #[test]
    fn a_member_cannot_accept_their_own_invite() {
        assert_eq!(
            accept_invite(SpaceState::Open, fresh(at(12)), true, at(9)),
            Err(DomainError::AlreadyMember)
        );
    }

    #[test]
    fn leaving_closes_and_a_closed_space_is_read_only() {
        assert_eq!(SpaceState::Paired.leave(), SpaceState::Closed);
        assert_eq!(
            SpaceState::Closed.ensure_writable(),
            Err(DomainError::SpaceClosed)
        );
        assert_eq!(
            SpaceState::Paired.ensure_can_invite(),
            Err(DomainError::SpaceFull)
        );
        for state in [SpaceState::Open, SpaceState::Paired, SpaceState::Closed] {
            assert_eq!(state.to_string().parse::<SpaceState>().ok(), Some(state));
        }
    }
}
