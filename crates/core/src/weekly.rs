//! The weekly check-in: each partner answers a few prompts on their own, and neither sees the
//! other's answers until both have submitted; then both see them at the same moment. An answer
//! marked private is never shown. A round that closes with one submission stays its author's
//! alone, unless they choose to share it anyway.
//!
//! Until the reveal a partner learns only *that* the other is ready, never what they wrote: the
//! rule for what a reader may see of an author's answers is [`visible_to`], in one place.

use crate::error::{DomainError, Invalid};
use crate::text::Text;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

pub type Prompt = Text<200>;
pub type AnswerText = Text<5_000>;

/// What a round asks when the partners have not agreed on their own prompts.
pub const DEFAULT_PROMPTS: [&str; 4] = [
    "Something I appreciated this week",
    "Something that went well",
    "Something that was hard",
    "What I need next week",
];
pub const MAX_PROMPTS: usize = 8;
/// How many days a round stays open when the partners have not agreed otherwise.
pub const DEFAULT_OPEN_DAYS: i64 = 3;

#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RoundState {
    /// Answers are being written; at most one partner has submitted.
    Open,
    /// Both submitted; each sees the other's shared answers.
    Revealed,
    /// It closed (its time ran out, or a partner left) before both submitted.
    Closed,
}

crate::names::named_by_serde!(RoundState);

/// The prompts partners agreed on: 1 to 8, each 1 to 200 characters, no two alike.
pub fn parse_prompts(raw: &[String]) -> Result<Vec<Prompt>, Invalid> {
    let mut invalid = Invalid(Vec::new());
    if raw.is_empty() || raw.len() > MAX_PROMPTS {
        let message = format!("must have 1 to {MAX_PROMPTS} prompts");
        return Err(Invalid::field("prompts", message));
    }
    let mut seen = BTreeSet::new();
    let prompts: Vec<Prompt> = raw
        .iter()
        .enumerate()
        .filter_map(|(i, text)| {
            let prompt = invalid.check(&format!("prompts[{i}]"), Prompt::parse(text))?;
            let fresh = seen.insert(prompt.as_str().to_lowercase());
            let unique = if fresh {
                Ok(prompt)
            } else {
                Err("is asked twice".to_owned())
            };
            invalid.check(&format!("prompts[{i}]"), unique)
        })
        .collect();
    invalid.into_result().map(|()| prompts)
}

/// How the week felt, 1 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Rating(u8);

impl Rating {
    pub fn parse(raw: i64) -> Result<Self, String> {
        u8::try_from(raw)
            .ok()
            .filter(|r| (1..=10).contains(r))
            .map(Rating)
            .ok_or_else(|| "must be from 1 to 10".to_owned())
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// One answer as it is sent: which prompt (its place in the round's list), the words, and
/// whether it is only for the writer.
#[derive(Debug, Clone, Deserialize)]
pub struct RawAnswer {
    pub prompt: i64,
    pub text: String,
    #[serde(default)]
    pub private: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub prompt: usize,
    pub text: AnswerText,
    pub private: bool,
}

/// A partner's answers to a round: at most one per prompt (a prompt may be left out), and a
/// rating if they give one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answers {
    pub items: Vec<Answer>,
    pub rating: Option<Rating>,
}

impl Answers {
    /// Parses `raw` against a round of `prompts` prompts; every field's error at once.
    pub fn parse(prompts: usize, raw: &[RawAnswer], rating: Option<i64>) -> Result<Self, Invalid> {
        let mut invalid = Invalid(Vec::new());
        let mut answered = BTreeSet::new();
        let items: Vec<Answer> = raw
            .iter()
            .enumerate()
            .filter_map(|(i, answer)| {
                let place = usize::try_from(answer.prompt).ok().filter(|p| *p < prompts);
                let prompt = match place {
                    None => Err(format!(
                        "must be a prompt of this round (0 to {})",
                        prompts.saturating_sub(1)
                    )),
                    Some(p) if !answered.insert(p) => Err("is answered twice".to_owned()),
                    Some(p) => Ok(p),
                };
                let prompt = invalid.check(&format!("answers[{i}].prompt"), prompt);
                let text = invalid.check(
                    &format!("answers[{i}].text"),
                    AnswerText::parse(&answer.text),
                );
                Some(Answer {
                    prompt: prompt?,
                    text: text?,
                    private: answer.private,
                })
            })
            .collect();
        let rating = rating.and_then(|r| invalid.check("rating", Rating::parse(r)));
        invalid.into_result().map(|()| Answers { items, rating })
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && self.rating.is_none()
    }
}

/// What the round's row says, as far as one partner's command needs it.
#[derive(Debug, Clone, Copy)]
pub struct RoundFacts {
    pub state: RoundState,
    pub closes_at: DateTime<Utc>,
    pub i_submitted: bool,
    pub partner_submitted: bool,
}

/// What a submission did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// The partner has not submitted yet; they learn only that this one is ready.
    Waiting,
    /// This was the second submission: both sets are shown, to both, now.
    Revealed,
}

const CLOSED: DomainError = DomainError::Conflict {
    code: "round_closed",
    message: "this round is no longer open",
};

impl RoundFacts {
    /// Whether the round still takes answers at `now` (its state says open and its time has
    /// not run out, even if the scheduler has not closed it yet).
    fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.state == RoundState::Open && now < self.closes_at
    }

    /// Answers may be written and rewritten until their author submits them.
    pub fn edit(&self, now: DateTime<Utc>) -> Result<(), DomainError> {
        if !self.is_open(now) {
            return Err(CLOSED);
        }
        if self.i_submitted {
            return Err(DomainError::Conflict {
                code: "already_submitted",
                message: "your answers are submitted and final",
            });
        }
        Ok(())
    }

    /// Makes the author's answers final; the second submission reveals both.
    /// `answered`: the author saved at least one answer or a rating.
    pub fn submit(&self, answered: bool, now: DateTime<Utc>) -> Result<Submitted, DomainError> {
        self.edit(now)?;
        if !answered {
            return Err(DomainError::Conflict {
                code: "nothing_to_submit",
                message: "answer at least one prompt, or rate the week, before submitting",
            });
        }
        Ok(if self.partner_submitted {
            Submitted::Revealed
        } else {
            Submitted::Waiting
        })
    }

    /// Whether the scheduler should close the round at `now`: still open, its time run out.
    pub fn due_to_close(&self, now: DateTime<Utc>) -> bool {
        self.state == RoundState::Open && now >= self.closes_at
    }

    /// An author whose round closed unrevealed may share their submitted answers anyway.
    pub fn share_anyway(&self) -> Result<(), DomainError> {
        match (self.state, self.i_submitted) {
            (RoundState::Closed, true) => Ok(()),
            (RoundState::Closed, false) => Err(DomainError::Conflict {
                code: "nothing_to_share",
                message: "only submitted answers can be shared",
            }),
            _ => Err(DomainError::Conflict {
                code: "round_not_closed",
                message: "answers are shared by the reveal while the round is open",
            }),
        }
    }
}

/// Whether a reader sees an answer: its author always; the partner only when it is not private
/// and the round was revealed, or its author shared it after the round closed unrevealed.
pub fn visible_to(
    reader_is_author: bool,
    state: RoundState,
    shared_anyway: bool,
    private: bool,
) -> bool {
    reader_is_author
        || (!private
            && (state == RoundState::Revealed || (state == RoundState::Closed && shared_anyway)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, hour, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn round(i: bool, partner: bool) -> RoundFacts {
        RoundFacts {
            state: RoundState::Open,
            closes_at: at(18),
            i_submitted: i,
            partner_submitted: partner,
        }
    }

    fn answers(raw: &[(i64, &str, bool)], rating: Option<i64>) -> Result<Answers, Invalid> {
        let raw: Vec<RawAnswer> = raw
            .iter()
            .map(|(prompt, text, private)| RawAnswer {
                prompt: *prompt,
                text: (*text).into(),
                private: *private,
            })
            .collect();
        Answers::parse(4, &raw, rating)
    }

    fn fields(invalid: Invalid) -> Vec<String> {
        invalid.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn prompts_are_few_short_and_distinct() {
        let defaults: Vec<String> = DEFAULT_PROMPTS.iter().map(|p| (*p).to_owned()).collect();
        assert_eq!(parse_prompts(&defaults).map(|p| p.len()), Ok(4));
        assert!(parse_prompts(&[]).is_err());
        assert!(parse_prompts(&vec!["Why?".to_owned(); 9]).is_err());
        let twice = ["A thing".to_owned(), "a thing".to_owned(), " ".to_owned()];
        assert_eq!(
            parse_prompts(&twice).map_err(fields),
            Err(vec!["prompts[1]".into(), "prompts[2]".into()])
        );
    }

    #[test]
    fn answers_name_a_prompt_of_the_round_once_and_every_error_is_told() {
        let good = answers(
            &[(0, "Your patience", false), (2, "Tuesday", true)],
            Some(7),
        );
        assert_eq!(
            good.map(|a| (a.items.len(), a.rating.map(Rating::get))),
            Ok((2, Some(7)))
        );
        let bad = answers(
            &[
                (4, "x", false),
                (1, " ", false),
                (0, "a", false),
                (0, "b", false),
            ],
            Some(11),
        );
        assert_eq!(
            bad.map_err(fields),
            Err(vec![
                "answers[0].prompt".into(),
                "answers[1].text".into(),
                "answers[3].prompt".into(),
                "rating".into()
            ])
        );
        assert!(answers(&[(-1, "x", false)], None).is_err());
    }

    #[test]
    fn the_second_submission_reveals_and_the_first_waits() {
        let mine =
            answers(&[(0, "Thanks for Sunday", false)], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            round(false, false).submit(!mine.is_empty(), at(12)),
            Ok(Submitted::Waiting)
        );
        assert_eq!(
            round(false, true).submit(!mine.is_empty(), at(12)),
            Ok(Submitted::Revealed)
        );
        let code = |r: Result<Submitted, DomainError>| r.map_err(|e| e.code());
        assert_eq!(
            code(round(true, false).submit(!mine.is_empty(), at(12))),
            Err("already_submitted")
        );
        assert_eq!(
            code(round(false, true).submit(!mine.is_empty(), at(18))),
            Err("round_closed")
        );
        let empty = answers(&[], None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            code(round(false, false).submit(!empty.is_empty(), at(12))),
            Err("nothing_to_submit")
        );
    }

    #[test]
    fn a_round_closes_when_its_time_runs_out_and_may_then_be_shared() {
        assert!(!round(true, false).due_to_close(at(17)));
        assert!(round(true, false).due_to_close(at(18)));
        let closed = |i| RoundFacts {
            state: RoundState::Closed,
            ..round(i, false)
        };
        assert_eq!(closed(true).share_anyway(), Ok(()));
        assert_eq!(
            closed(false).share_anyway().map_err(|e| e.code()),
            Err("nothing_to_share")
        );
        assert_eq!(
            round(true, false).share_anyway().map_err(|e| e.code()),
            Err("round_not_closed")
        );
    }

    #[test]
    fn nobody_but_the_author_sees_an_answer_before_the_reveal_and_nobody_sees_a_private_one() {
        use RoundState::*;
        for (reader_is_author, state, shared, private, seen) in [
            (true, Open, false, true, true),
            (false, Open, false, false, false),
            (false, Open, true, false, false),
            (false, Revealed, false, false, true),
            (false, Revealed, false, true, false),
            (false, Closed, false, false, false),
            (false, Closed, true, false, true),
            (false, Closed, true, true, false),
        ] {
            assert_eq!(
                visible_to(reader_is_author, state, shared, private),
                seen,
                "{state:?}"
            );
        }
    }
}
