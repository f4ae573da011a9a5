//! How one attempt to deliver failed, mail and push alike: what the outbox worker needs to know
//! to decide what comes next.

use crate::mailer::MailError;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try: after `after` when the receiving side said so.
    #[error("{error}")]
    Retry {
        error: String,
        after: Option<Duration>,
    },
    /// The push service no longer knows the device.
    #[error("{0}")]
    Gone(String),
    /// Trying again would fail the same way.
    #[error("{0}")]
    Permanent(String),
}

impl From<MailError> for SendError {
    fn from(error: MailError) -> Self {
        if error.is_permanent() {
            SendError::Permanent(error.to_string())
        } else {
            SendError::Retry {
                error: error.to_string(),
                after: None,
            }
        }
    }
}
