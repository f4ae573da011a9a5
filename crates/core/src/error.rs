//! Domain errors: what a command may be refused for. The api maps each to one HTTP status and a
//! stable machine code; nothing here knows about HTTP.

use serde::Serialize;
use std::fmt;

/// One field that failed to parse, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every field that failed, gathered so the client sees all of them at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Invalid(pub Vec<FieldError>);

impl Invalid {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, message)])
    }

    /// Keeps `Ok` values and records the error of each `Err`, prefixed with `field`.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(message) => {
                self.0.push(FieldError::new(field, message));
                None
            }
        }
    }

    /// `Err(self)` when any field failed.
    pub fn into_result(self) -> Result<(), Invalid> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<_> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        write!(f, "invalid input ({})", fields.join("; "))
    }
}

/// Why the domain refused a command. Each variant has a stable `code()` clients may match on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{0}")]
    Invalid(Invalid),
    #[error("this space already has two members")]
    SpaceFull,
    #[error("this space is closed and read-only")]
    SpaceClosed,
    #[error("you are already a member of this space")]
    AlreadyMember,
    #[error("this invite has already been used")]
    InviteUsed,
    #[error("this invite has expired")]
    InviteExpired,
    #[error("this invite was revoked")]
    InviteRevoked,
    #[error("an account with this email already exists")]
    EmailTaken,
    /// The caller is a member but not the one allowed to do this (the referee rule).
    #[error("{message}")]
    Forbidden {
        code: &'static str,
        message: &'static str,
    },
    /// The item is not in a state that allows this.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: &'static str,
    },
}

impl DomainError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid_input",
            Self::SpaceFull => "space_full",
            Self::SpaceClosed => "space_closed",
            Self::AlreadyMember => "already_member",
            Self::InviteUsed => "invite_used",
            Self::InviteExpired => "invite_expired",
            Self::InviteRevoked => "invite_revoked",
            Self::EmailTaken => "email_taken",
            Self::Forbidden { code, .. } | Self::Conflict { code, .. } => code,
        }
    }
}

impl From<Invalid> for DomainError {
    fn from(invalid: Invalid) -> Self {
        Self::Invalid(invalid)
    }
}
