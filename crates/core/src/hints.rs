//! Hints: gentle suggestions about phrasing, drawn from the guidance Kept is built on. They
//! never block anything; they are shown beside what a partner writes.
//!
//! - blame ("you always", "you never") → an "I" statement says more and hurts less;
//! - claiming to know the other's feelings ("I know how you feel") → ask instead;
//! - unbounded promises ("I will never…", "always") → make it specific and keepable;
//! - gifts in a gratitude note → they can look like buying trust back.
//!
//! Matching is on words, case-insensitive, with typographic apostrophes treated as plain ones.
//! Spans count characters (Unicode scalar values) of the original text.

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hint {
    pub code: &'static str,
    pub message: &'static str,
    pub span: Span,
}

struct Rule {
    code: &'static str,
    message: &'static str,
    phrases: &'static [&'static str],
    /// Phrases that contain a match but mean something else ("you never know").
    unless: &'static [&'static str],
    applies: fn(HintKind) -> bool,
}

const RULES: &[Rule] = &[
    Rule {
        code: "blame_phrasing",
        message: "Try an \u{201c}I\u{201d} statement: say what you feel and what you need (\u{201c}I feel … when … I need …\u{201d}) rather than what they always or never do.",
        phrases: &[
            "you always",
            "you never",
            "you're always",
            "you are always",
            "you're never",
            "you are never",
            "you constantly",
            "it's always you",
        ],
        unless: &["you never know", "you always know how to"],
        applies: |kind| kind != HintKind::Gratitude,
    },
    Rule {
        code: "claims_their_feelings",
        message: "Avoid claiming to know how they feel; ask, or say what you imagine and check it with them.",
        phrases: &[
            "i know how you feel",
            "i know exactly how you feel",
            "i know what you feel",
            "i know what you're feeling",
            "i understand exactly how you feel",
        ],
        unless: &[],
        applies: |_| true,
    },
    Rule {
        code: "unbounded_promise",
        message: "Make it specific and keepable: what exactly, how often, by when? A promise with no edges is hard to keep and hard to see kept.",
        phrases: &[
            "i will never",
            "i'll never",
            "i will always",
            "i'll always",
            "never again",
            "forever",
            "from now on",
        ],
        unless: &[],
        applies: |kind| {
            matches!(
                kind,
                HintKind::Commitment | HintKind::Reply | HintKind::Letter | HintKind::Talk
            )
        },
    },
    Rule {
        code: "unbounded_promise",
        message: "Make it specific and keepable: what exactly, how often, by when? A promise with no edges is hard to keep and hard to see kept.",
        phrases: &["always", "never", "every time", "whenever you want"],
        unless: &[],
        applies: |kind| kind == HintKind::Commitment,
    },
    Rule {
        code: "gift_in_gratitude",
        message: "Thank them for what they did or who they are. A gift in a thank-you can look like buying trust back.",
        phrases: &[
            "gift",
            "present for you",
            "bought you",
            "buy you",
            "got you a",
            "flowers",
            "jewelry",
            "jewellery",
            "surprise for you",
        ],
        unless: &[],
        applies: |kind| kind == HintKind::Gratitude,
    },
];

/// The hints for `text` written as `kind`, in the order they appear; one per code and place.
pub fn hints(kind: HintKind, text: &str) -> Vec<Hint> {
    let folded = fold(text);
    let mut found: Vec<Hint> = Vec::new();
    for rule in RULES.iter().filter(|rule| (rule.applies)(kind)) {
        for phrase in rule.phrases {
            for start in word_matches(&folded, phrase) {
                let end = start + phrase.chars().count();
                let excused = rule.unless.iter().any(|unless| {
                    word_matches(&folded, unless)
                        .any(|u| u <= start && start < u + unless.chars().count())
                });
                let overlaps = found
                    .iter()
                    .any(|h| h.code == rule.code && h.span.start < end && start < h.span.end);
                if !excused && !overlaps {
                    found.push(Hint {
                        code: rule.code,
                        message: rule.message,
                        span: Span { start, end },
                    });
                }
            }
        }
    }
    found.sort_by_key(|hint| hint.span.start);
    found
}

/// ASCII lower case and plain apostrophes, one char for one char, so offsets carry over.
fn fold(text: &str) -> Vec<char> {
    text.chars()
        .map(|c| {
            if c == '\u{2019}' {
                '\''
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Where `phrase` occurs in `text` as whole words (in chars).
fn word_matches<'a>(text: &'a [char], phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let needle: Vec<char> = phrase.chars().collect();
    let len = needle.len();
    let is_word = |c: &char| c.is_alphanumeric() || *c == '\'';
    (0..(text.len() + 1).saturating_sub(len))
        .filter(move |&i| text[i..i + len] == needle[..])
        .filter(move |&i| i == 0 || !is_word(&text[i - 1]))
        .filter(move |&i| text.get(i + len).is_none_or(|c| !is_word(c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(kind: HintKind, text: &str) -> Vec<&'static str> {
        hints(kind, text).into_iter().map(|h| h.code).collect()
    }

    #[test]
    fn phrasing_in_codes_out() {
        use HintKind::*;
        let cases: &[(HintKind, &str, &[&str])] = &[
            (
                Request,
                "You always leave your phone face down.",
                &["blame_phrasing"],
            ),
            (Request, "you NEVER ask about my day", &["blame_phrasing"]),
            (
                CheckIn,
                "I feel like you\u{2019}re never home.",
                &["blame_phrasing"],
            ),
            (
                Reply,
                "I know how you feel, and I'm sorry.",
                &["claims_their_feelings"],
            ),
            (
                Letter,
                "I know exactly how you feel. I will never lie again.",
                &["claims_their_feelings", "unbounded_promise"],
            ),
            (
                Commitment,
                "I'll always text when I'm late.",
                &["unbounded_promise"],
            ),
            (Commitment, "Never again.", &["unbounded_promise"]),
            (
                Commitment,
                "Call you every time I leave work.",
                &["unbounded_promise"],
            ),
            (
                Gratitude,
                "Thank you for listening. I bought you flowers.",
                &["gift_in_gratitude", "gift_in_gratitude"],
            ),
            (
                Request,
                "You always say you never lie.",
                &["blame_phrasing", "blame_phrasing"],
            ),
        ];
        for (kind, text, expected) in cases {
            assert_eq!(codes(*kind, text), *expected, "{kind:?}: {text}");
        }
    }

    #[test]
    fn texts_that_must_produce_no_hint() {
        use HintKind::*;
        let cases: &[(HintKind, &str)] = &[
            (
                Request,
                "I feel lonely when dinner goes quiet. Could we talk at dinner on Tuesdays?",
            ),
            (Request, "You never know, maybe Saturday works."),
            (Commitment, "Text you by 18:00 on weekdays if I'll be late."),
            (CheckIn, "I always feel better after our walks."),
            (
                Gratitude,
                "Thank you for making time on Sunday. It meant a lot.",
            ),
            (Request, "Your never-ending patience amazes me."),
            (Reply, "Forever21 had a sale."),
            (Gratitude, "You always know how to make me laugh."),
            (Request, ""),
        ];
        for (kind, text) in cases {
            assert_eq!(codes(*kind, text), Vec::<&str>::new(), "{kind:?}: {text}");
        }
    }

    #[test]
    fn promises_are_only_flagged_where_promises_are_made() {
        assert_eq!(
            codes(HintKind::CheckIn, "I will always remember today."),
            Vec::<&str>::new()
        );
        assert_eq!(
            codes(HintKind::Commitment, "I will always remember today."),
            ["unbounded_promise"]
        );
    }

    #[test]
    fn spans_count_characters_of_the_original_text() {
        let text = "Ça va? You always interrupt.";
        let hint = &hints(HintKind::Request, text)[0];
        let matched: String = text
            .chars()
            .skip(hint.span.start)
            .take(hint.span.end - hint.span.start)
            .collect();
        assert_eq!(matched, "You always");
        assert_eq!(hint.span, Span { start: 7, end: 17 });
    }
}
