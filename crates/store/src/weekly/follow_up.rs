//! From answers to action: one answer of a revealed round becomes an agenda item of the next
//! talk, or a request, in one step. The answer is read through the round's one read path, so
//! only what the caller may already see can be carried over.

use super::view::round_view;
use crate::error::{StoreError, StoreResult};
use crate::membership::require_current_member;
use crate::requests::RequestView;
use crate::schema::memberships;
use crate::talks::{TalkChange, TalkView};
use crate::{DbConnection, Store};
use chrono::Duration;
use diesel::prelude::*;
use kept_core::request::RequestText;
use kept_core::talk::{AgendaItem, TalkState, starts};
use kept_core::weekly::RoundState;
use kept_core::{DomainError, Invalid, SpaceId, TalkId, UserId, WeeklyRoundId};
use serde::Serialize;

/// What to make of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpInto {
    /// An item on the agenda of `talk`, or of the space's next talk when none is named.
    Agenda { talk: Option<TalkId> },
    /// A request of the caller's own (only from their own answers: a request asks for what
    /// one needs oneself).
    Request,
}

/// Which answer: whose (the caller or the partner) and to which prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerRef {
    pub round: WeeklyRoundId,
    pub author: UserId,
    pub prompt: usize,
}

/// What the answer became.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WeeklyFollowUp))]
pub struct FollowUpView {
    /// The talk whose agenda took the answer.
    pub talk: Option<TalkView>,
    /// The request the answer became.
    pub request: Option<RequestView>,
}

/// An agenda item holds 500 characters: a longer answer is cut at a word with "…" (the whole
/// answer stays in the round).
fn agenda_item(text: &str) -> StoreResult<AgendaItem> {
    const ROOM: usize = 499;
    let item = if text.chars().count() <= ROOM + 1 {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(ROOM).collect();
        // Cut at the last space in the second half (a byte index, as `cut` is sliced by bytes).
        let at_word = cut
            .rfind(char::is_whitespace)
            .filter(|at| *at > cut.len() / 2);
        format!("{}…", cut[..at_word.unwrap_or(cut.len())].trim_end())
    };
    AgendaItem::parse(&item)
        .map_err(|message| DomainError::from(Invalid::field("text", message)).into())
}

/// Whether `person` is or was a member of `space` (the partner, when it is not the caller).
fn is_member(conn: &mut DbConnection, space: SpaceId, person: UserId) -> StoreResult<bool> {
    let found = memberships::table
        .find((space, person))
        .count()
        .get_result::<i64>(conn)?;
    Ok(found > 0)
}

impl Store {
    /// Turns one answer the caller can see in a revealed round into an agenda item or a request.
    pub fn weekly_follow_up(
        &self,
        caller: UserId,
        space: SpaceId,
        answer: AnswerRef,
        into: FollowUpInto,
    ) -> StoreResult<FollowUpView> {
        let text = self.read(|conn| {
            require_current_member(conn, caller, space)?;
            let round = round_view(conn, caller, space, answer.round)?;
            if round.state != RoundState::Revealed {
                return Err(DomainError::Conflict {
                    code: "round_not_revealed",
                    message: "answers become actions once the round is revealed",
                }
                .into());
            }
            let answers = if answer.author == caller {
                Some(round.mine)
            } else if is_member(conn, space, answer.author)? {
                round.partner
            } else {
                None
            };
            let found = answers
                .and_then(|a| a.answers.into_iter().find(|a| a.prompt == answer.prompt))
                .ok_or(StoreError::NotFound)?;
            // A private answer is never shown to the partner: not as a request or agenda either.
            if found.private {
                return Err(DomainError::Conflict {
                    code: "answer_private",
                    message: "this answer is kept private; it stays yours",
                }
                .into());
            }
            Ok(found.text)
        })?;
        match into {
            FollowUpInto::Request => {
                if answer.author != caller {
                    return Err(DomainError::from(Invalid::field(
                        "author",
                        "a request asks for what you need: make one from your own answer",
                    ))
                    .into());
                }
                let text = RequestText::parse(&text)
                    .map_err(|message| DomainError::from(Invalid::field("text", message)))?;
                let request = self.create_request(caller, space, text)?;
                Ok(FollowUpView {
                    talk: None,
                    request: Some(request),
                })
            }
            FollowUpInto::Agenda { talk } => {
                let talk = match talk {
                    Some(talk) => talk,
                    None => self
                        .next_talk(caller, space)?
                        .ok_or(DomainError::Conflict {
                            code: "no_next_talk",
                            message: "no talk is coming up; propose one first",
                        })?,
                };
                let item = agenda_item(&text)?;
                let talk = self.change_talk(caller, space, talk, TalkChange::AddAgenda { item })?;
                Ok(FollowUpView {
                    talk: Some(talk),
                    request: None,
                })
            }
        }
    }

    /// The proposed or accepted talk of the space that starts next, if any.
    pub fn next_talk(&self, viewer: UserId, space: SpaceId) -> StoreResult<Option<TalkId>> {
        let now = self.now();
        let talks = self.talks(viewer, space)?;
        Ok(talks
            .into_iter()
            .filter(|t| matches!(t.state, TalkState::Proposed | TalkState::Accepted))
            .filter_map(|t| {
                let zone = t.time_zone.tz();
                let until = now + Duration::days(400);
                let next = starts(t.starts_at, t.cadence, zone, now, until)
                    .into_iter()
                    .next();
                next.map(|at| (at, t.id))
            })
            .min()
            .map(|(_, id)| id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_answer_is_cut_at_a_word_to_fit_an_agenda() {
        let short = agenda_item("Evenings without phones").map(AgendaItem::into_string);
        assert_eq!(short.ok().as_deref(), Some("Evenings without phones"));
        let long = "word ".repeat(200);
        let item = agenda_item(&long)
            .map(AgendaItem::into_string)
            .unwrap_or_default();
        assert!(
            item.chars().count() <= 500 && item.ends_with("word…"),
            "{item}"
        );
    }
}
