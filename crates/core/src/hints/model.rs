//! What a hint is: the kind of text it is about, its code and message, and the words it points at.

use serde::{Deserialize, Serialize};

/// What the text is for; some hints only make sense for some kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HintKind {
    Request,
    Reply,
    Commitment,
    CheckIn,
    Gratitude,
    Letter,
    Talk,
}

/// What a hint is about. Clients may show the message as it is, or their own words per code:
/// `blame_phrasing` (a sweeping "you always / you never"), `claims_their_feelings` ("I know how
/// you feel"), `unbounded_promise` (never, always, from now on), `gift_in_gratitude` (a present
/// in a thank-you), `blame_shifting` (the partner made me do it), `minimizing` (the reaction is
/// too big, the act too small), `non_apology` (sorry for their feelings, or sorry with a "but"),
/// `vague_promise` (a change with nothing to do or check), `rushing_trust` (trust or closure on
/// a schedule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HintCode {
    /// A sweeping criticism: "you always…", "you never…".
    BlamePhrasing,
    /// Claiming to know the partner's feelings: "I know how you feel".
    ClaimsTheirFeelings,
    /// A promise without edges: "I will never…", "always", "from now on".
    UnboundedPromise,
    /// A present in a thank-you.
    GiftInGratitude,
    /// Making the partner the cause of one's own choice.
    BlameShifting,
    /// Telling the hurt partner their reaction is too big or the act too small.
    Minimizing,
    /// Regret for the partner's feelings, or regret with a "but", instead of for one's act.
    NonApology,
    /// A change promised with nothing specific to do or to check.
    VaguePromise,
    /// Pressing for trust, forgiveness or closure on a schedule.
    RushingTrust,
}

impl HintCode {
    pub const ALL: [HintCode; 9] = [
        HintCode::BlamePhrasing,
        HintCode::ClaimsTheirFeelings,
        HintCode::UnboundedPromise,
        HintCode::GiftInGratitude,
        HintCode::BlameShifting,
        HintCode::Minimizing,
        HintCode::NonApology,
        HintCode::VaguePromise,
        HintCode::RushingTrust,
    ];

    /// The code as it is written in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            HintCode::BlamePhrasing => "blame_phrasing",
            HintCode::ClaimsTheirFeelings => "claims_their_feelings",
            HintCode::UnboundedPromise => "unbounded_promise",
            HintCode::GiftInGratitude => "gift_in_gratitude",
            HintCode::BlameShifting => "blame_shifting",
            HintCode::Minimizing => "minimizing",
            HintCode::NonApology => "non_apology",
            HintCode::VaguePromise => "vague_promise",
            HintCode::RushingTrust => "rushing_trust",
        }
    }

    /// What to try instead, said gently: the writer decides.
    pub fn message(self) -> &'static str {
        match self {
            HintCode::BlamePhrasing => {
                "Try an \u{201c}I\u{201d} statement: say what you feel and what you need (\u{201c}I feel \u{2026} when \u{2026} I need \u{2026}\u{201d}) rather than what they always or never do."
            }
            HintCode::ClaimsTheirFeelings => {
                "Avoid claiming to know how they feel; ask, or say what you imagine and check it with them."
            }
            HintCode::UnboundedPromise => {
                "Make it specific and keepable: what exactly, how often, by when? A promise with no edges is hard to keep and hard to see kept."
            }
            HintCode::GiftInGratitude => {
                "Thank them for what they did or who they are. A gift in a thank-you can look like buying trust back."
            }
            HintCode::BlameShifting => {
                "This makes them the reason for something you chose. Try owning the choice on its own; what was hard between you can be a separate talk."
            }
            HintCode::Minimizing => {
                "This may tell them their hurt is too big or what happened too small. Try saying what you understand it was like for them before explaining."
            }
            HintCode::NonApology => {
                "This regrets their feelings, or takes the regret back with a \u{201c}but\u{201d}. Try naming what you did and that it was wrong, and leave the reasons for when they ask."
            }
            HintCode::VaguePromise => {
                "A change is easier to believe when it can be seen: say what you will do, when, and how they will know it happened."
            }
            HintCode::RushingTrust => {
                "Trust comes back at its own pace. Try asking what would help them, rather than when they will be done."
            }
        }
    }
}

/// Characters (Unicode scalar values) of the text, `start` included, `end` not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// One suggestion about the words at `span`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hint {
    pub code: HintCode,
    pub message: &'static str,
    pub span: Span,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_written_as_their_json_names() {
        for code in HintCode::ALL {
            let written = serde_json::to_value(code).ok();
            assert_eq!(written, Some(serde_json::Value::from(code.as_str())));
        }
    }
}
