//! The store's one error type. Domain refusals pass through untouched; database trouble is
//! split into "unavailable" (the api answers 503) and everything else (500, logged).

use kept_core::DomainError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The thing does not exist *for this caller*: unknown, or in a space they are not in.
    #[error("not found")]
    NotFound,
    /// Credentials, refresh token or session not (or no longer) valid.
    #[error("not authenticated")]
    Unauthenticated,
    /// The caller's session was signed out (their token is still unexpired).
    #[error("session ended")]
    SessionEnded,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Internal(String),
    /// A stored value that no version of Kept writes (a table edited by hand, say): logged and
    /// surfaced, never read as some default.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<diesel::result::Error> for StoreError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::Error;
        match error {
            Error::NotFound => Self::NotFound,
            Error::DatabaseError(_, ref info) if is_connection_lost(&error) => {
                Self::Unavailable(info.message().to_owned())
            }
            Error::BrokenTransactionManager => Self::Unavailable(error.to_string()),
            // A COMMIT on a connection the server just closed fails, and so does the rollback
            // diesel tries after it: the cause is the commit's error.
            Error::RollbackErrorOnCommit { commit_error, .. } => Self::from(*commit_error),
            // A column whose text does not read as its type (an id, say).
            Error::DeserializationError(cause) => Self::Corrupt(cause.to_string()),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for StoreError {
    fn from(error: diesel::r2d2::PoolError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

impl From<diesel::ConnectionError> for StoreError {
    fn from(error: diesel::ConnectionError) -> Self {
        Self::Unavailable(error.to_string())
    }
}

/// Whether `error` says the server went away: mid-query, or before the query could be sent on
/// a connection it had just closed (an administrator ending it, a restart).
pub(crate) fn is_connection_lost(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        ) => true,
        Error::DatabaseError(_, info) => info.message().starts_with("terminating connection"),
        _ => false,
    }
}

/// Whether a diesel error is the violation of a unique constraint (a race lost to another writer).
pub(crate) fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
