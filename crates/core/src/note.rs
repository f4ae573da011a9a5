//! Notes: gratitude notes and letters. Either can be held back until `deliver_at`; until then
//! the recipient cannot see it, nor learn that it exists. Letters can be answered; a reply is a
//! letter that threads under the one it answers.

use crate::error::Invalid;
use crate::text::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub type NoteText = Text<20_000>;

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum NoteKind {
    Gratitude,
    Letter,
}

crate::names::named_by_serde!(NoteKind);

/// When a new note reaches the partner: at once, or at a future `deliver_at`.
pub fn check_delivery(
    deliver_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), Invalid> {
    deliver_at.map_or(Ok(()), |at| {
        crate::clock::ensure_future(
            "deliver_at",
            at,
            now,
            "must be in the future (leave it out to deliver now)",
        )
    })
}

/// Whether `kind` can answer a note of kind `answered`: only letters thread.
pub fn check_reply(kind: NoteKind, answered: NoteKind) -> Result<(), Invalid> {
    if kind == NoteKind::Letter && answered == NoteKind::Letter {
        Ok(())
    } else {
        Err(Invalid::field(
            "in_reply_to",
            "only a letter can answer a letter",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn delivery_is_now_or_later_and_only_letters_thread() {
        let now = Utc::now();
        assert!(check_delivery(None, now).is_ok());
        assert!(check_delivery(Some(now + Duration::days(3)), now).is_ok());
        assert!(check_delivery(Some(now), now).is_err());
        assert!(check_reply(NoteKind::Letter, NoteKind::Letter).is_ok());
        assert!(check_reply(NoteKind::Gratitude, NoteKind::Letter).is_err());
        assert!(check_reply(NoteKind::Letter, NoteKind::Gratitude).is_err());
        assert_eq!("letter".parse::<NoteKind>().ok(), Some(NoteKind::Letter));
    }
}
