//! Activities: something to do together (a walk, a film, a weekend away), with an optional time;
//! either partner marks it done, once.

use crate::error::DomainError;
use crate::text::Title;

pub type ActivityTitle = Title;

/// Marking done: once only.
pub fn mark_done(already_done: bool) -> Result<(), DomainError> {
    if already_done {
        Err(DomainError::Conflict {
            code: "activity_already_done",
            message: "this activity is already done",
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_activity_is_done_once() {
        assert!(super::mark_done(false).is_ok());
        assert!(super::mark_done(true).is_err());
    }
}
