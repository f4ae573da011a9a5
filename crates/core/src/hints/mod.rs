//! Hints: gentle suggestions about phrasing, drawn from the guidance Kept is built on. They
//! never block anything; they are shown beside what a partner writes, as they write it.
//!
//! Nine codes (see [`HintCode`]): blame ("you always"), claiming the other's feelings, promises
//! without edges or without anything to check, gifts in a thank-you, shifting the blame,
//! minimising, apologies that are not, and pressing for trust on a schedule.
//!
//! The matcher reads a little grammar rather than bare word lists (`text.rs`): sentences and
//! clauses, contractions, quotations, and a "not" before a phrase. Rules (`rules.rs`) name who
//! does what, for which kinds of text, and what excuses a match; they are measured on a labelled
//! corpus (`crates/core/tests/data`). Spans count characters (Unicode scalar values) of the
//! original text.

mod engine;
mod lexicon;
mod model;
mod pattern;
mod rules;
mod text;
mod vocabulary;

pub use model::{Hint, HintCode, HintKind, Span};

/// The hints for `text` written as `kind`, in the order they appear; one per code and place.
pub fn hints(kind: HintKind, text: &str) -> Vec<Hint> {
    engine::hints(kind, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use HintCode::*;
    use HintKind::*;

    fn codes(kind: HintKind, text: &str) -> Vec<HintCode> {
        hints(kind, text).into_iter().map(|h| h.code).collect()
    }

    #[test]
    fn phrasing_in_codes_out() {
        let cases: &[(HintKind, &str, &[HintCode])] = &[
            (
                Request,
                "You always leave your phone face down.",
                &[BlamePhrasing],
            ),
            (Request, "you NEVER ask about my day", &[BlamePhrasing]),
            (
                CheckIn,
                "I feel like you\u{2019}re never home.",
                &[BlamePhrasing],
            ),
            (
                Reply,
                "I know how you feel, and I'm sorry.",
                &[ClaimsTheirFeelings],
            ),
            (
                Letter,
                "I know exactly how you feel. I will never lie again.",
                &[ClaimsTheirFeelings, UnboundedPromise],
            ),
            (
                Commitment,
                "I'll always text when I'm late.",
                &[UnboundedPromise],
            ),
            (Commitment, "Never again.", &[UnboundedPromise]),
            (
                Commitment,
                "Call you every time I leave work.",
                &[UnboundedPromise],
            ),
            (
                Gratitude,
                "Thank you for listening. I bought you flowers.",
                &[GiftInGratitude, GiftInGratitude],
            ),
            (
                Request,
                "You always say you never lie.",
                &[BlamePhrasing, BlamePhrasing],
            ),
            (
                Reply,
                "If you hadn't ignored me, I wouldn't have lied.",
                &[BlameShifting],
            ),
            (
                Reply,
                "You're overreacting, it was nothing.",
                &[Minimizing, Minimizing],
            ),
            (Reply, "I'm sorry you feel that way.", &[NonApology]),
            (Reply, "Sorry, but you read my diary.", &[NonApology]),
            (Reply, "I'll change.", &[VaguePromise]),
            (Reply, "It won't happen again.", &[VaguePromise]),
            (Request, "Can we just move on?", &[RushingTrust]),
            (Reply, "You should be over this by now.", &[RushingTrust]),
        ];
        for (kind, text, expected) in cases {
            assert_eq!(codes(*kind, text), *expected, "{kind:?}: {text}");
        }
    }

    #[test]
    fn near_misses_produce_no_hint() {
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
            (Reply, "I'm sorry I lied."),
            (
                Reply,
                "I can't promise I'll never slip. I'll tell you the same day if I do.",
            ),
            (
                Letter,
                "I will never forget how much I hurt you that night.",
            ),
            (Reply, "I won't tell you it was nothing."),
            (
                Request,
                "Please don't say \u{2018}you always twist things\u{2019} when we argue.",
            ),
            (Request, "I'm not ready to move on yet."),
            (Talk, "Can we move on to the next item?"),
            (CheckIn, "Sorry you had a rough day."),
            (Gratitude, "Thank you for the flowers you brought my mum."),
            // Found by a reviewer's reading of the rules.
            (Letter, "You were always there for me when Mum was ill."),
            (
                Request,
                "Could you message me at lunch so I know how you feel?",
            ),
            (Letter, "I know how hard you work."),
            (Reply, "I promise I never meant to hurt you."),
            (Letter, "I will regret this forever."),
            (Request, "From now on, could you tell me when you're late?"),
            (Gratitude, "Thank you for being such a present dad."),
            (Gratitude, "Thank you. There's no rush for you to answer."),
            (
                Gratitude,
                "Thank you for taking the kids so I could go to the spa.",
            ),
            (Request, "Can you drive me to that appointment?"),
            (
                Letter,
                "I wouldn't have got through this year if you hadn't stood by me.",
            ),
            (CheckIn, "Your support is why I started therapy."),
            (
                Letter,
                "I finally understand why this is such a big deal for you.",
            ),
            (Gratitude, "Such a small thing, but it made my day."),
            (
                Letter,
                "It felt like it was the end of the world when I found the messages.",
            ),
            (CheckIn, "I'm sorry you were alone when your dad was ill."),
            (Reply, "I'm sorry I lied, but you don't have to forgive me."),
            (Talk, "The last time we talked, you said Tuesday worked."),
            (Request, "Can we drop this off at your mum's?"),
            (Reply, "It's time to let the kids choose their bedtime."),
            (Request, "How long will you need to pay off the card?"),
            (
                Commitment,
                "Text you by 6pm on weekdays, never later than 7.",
            ),
            (
                Commitment,
                "I'll work on myself with Dr. Patel every Monday.",
            ),
            (
                Letter,
                "'cause I was scared, I said \"you always\" and then I stopped.",
            ),
        ];
        for (kind, text) in cases {
            assert_eq!(
                codes(*kind, text),
                Vec::<HintCode>::new(),
                "{kind:?}: {text}"
            );
        }
    }

    #[test]
    fn trying_harder_is_vague_not_unbounded() {
        assert_eq!(codes(Reply, "I'll try harder, I promise."), [VaguePromise]);
        assert_eq!(
            codes(
                Reply,
                "I'll be more open about money and show you the bank app every Sunday."
            ),
            []
        );
    }

    #[test]
    fn promises_are_only_flagged_where_promises_are_made() {
        assert_eq!(codes(CheckIn, "I will always remember today."), []);
        assert_eq!(
            codes(Commitment, "Always pick up when you call."),
            [UnboundedPromise]
        );
    }

    #[test]
    fn spans_count_characters_of_the_original_text() {
        let text = "Ça va? You always interrupt.";
        let hint = &hints(Request, text)[0];
        let matched: String = text
            .chars()
            .skip(hint.span.start)
            .take(hint.span.end - hint.span.start)
            .collect();
        assert_eq!(matched, "You always");
        assert_eq!(hint.span, Span { start: 7, end: 17 });
    }

    #[test]
    fn two_hints_of_one_code_point_at_different_words() {
        let found = hints(Letter, "I'll do better. It won't happen again.");
        let spans: Vec<(usize, usize)> = found.iter().map(|h| (h.span.start, h.span.end)).collect();
        assert_eq!(spans, [(0, 14), (19, 37)]);
        assert!(found.iter().all(|h| h.code == VaguePromise));
    }
}
