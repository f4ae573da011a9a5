//! The hint rules: for each code, the patterns that raise it, the kinds of text it is for, and
//! what excuses a match (a near-miss that overlaps it, something in the same clause or sentence,
//! or a "not" before it). Written in the pattern language of `pattern.rs`.
//!
//! Precision comes first: a hint in the wrong place teaches people to stop reading hints. So a
//! pattern names who does what ("you are overreacting", never "overreacting" alone), and a rule
//! with a doubtful reading of a common word leaves it alone.

use super::model::{HintCode, HintKind};

use HintCode::*;
use HintKind::*;

/// One way a code is raised.
pub(super) struct Rule {
    pub code: HintCode,
    /// The kinds of text this rule reads; empty means every kind.
    pub kinds: &'static [HintKind],
    pub patterns: &'static [&'static str],
    /// A match of one of these overlapping the match excuses it ("you never know").
    pub unless: &'static [&'static str],
    /// A match of one of these anywhere in the match's clause excuses it.
    pub unless_in_clause: &'static [&'static str],
    /// A match of one of these anywhere in the match's sentence excuses it.
    pub unless_in_sentence: &'static [&'static str],
    /// Whether a "not" or "never" earlier in the clause, or a denied "say"/"tell", excuses it:
    /// "I can't promise I'll never…", "I won't tell you it was nothing".
    pub negatable: bool,
}

const EVERY_KIND: &[HintKind] = &[];
const NONE: &[&str] = &[];

/// Where a promise is being made.
const PROMISING: &[HintKind] = &[Request, Reply, Commitment, Letter, Talk];

pub(super) const RULES: &[Rule] = &[
    Rule {
        unless: &[
            "you never know",
            "you never have|need to",
            "you never fail to",
            "you always know how|what|when|where",
            "you always make me laugh|smile",
            "you always make me feel better|safe|loved|special|welcome",
            "you always have my back",
            "you are|were always there",
            "always you i",
            "forever in my",
            "you always look out for",
        ],
        ..Rule::new(
            BlamePhrasing,
            &[Request, Reply, Commitment, CheckIn, Letter, Talk],
            &[
                "you are|were? always|never|constantly",
                "you are|were forever",
                "it is|'s always you",
            ],
        )
    },
    Rule {
        // "…so I know how you feel" asks to be told.
        unless: &["so|then|if|when|once|until i know|understand"],
        ..Rule::new(
            ClaimsTheirFeelings,
            EVERY_KIND,
            &[
                "i @adv? know|understand|get @adv? how|what you are|were? feel|feeling|felt",
                "i @adv? know|understand @adv? what you are going through",
                "i @adv? know|understand @adv? how hard|painful|difficult|awful .. for you",
                "i @adv? know you are|feel|were still? @adv? @feeling",
                "i @adv? know you feel|felt like|that",
                "i @adv? know you still? resent|hate|blame|doubt|fear|wish|distrust",
                "i @adv? know you think i",
                "i @adv? know deep down you",
                "i @adv? know @adv? what is|'s going on|through in? your head|mind",
                "i @adv? know what you are thinking",
                "i can tell you are|have",
            ],
        )
    },
    Rule {
        unless: &[
            "never|always @inner",
            "always be grateful|thankful|sorry",
            "never later|earlier|more|less than",
        ],
        negatable: false,
        ..Rule::new(
            UnboundedPromise,
            &[Commitment],
            &[
                "always",
                "never",
                "forever",
                "every time",
                "ever again",
                "^ ever $",
                "from now on",
                "rest of my life",
                "whenever you want",
            ],
        )
    },
    Rule {
        unless: &[
            "never|always @inner",
            "always be grateful|thankful|sorry|sure|able",
            "regret|remember|love|miss|cherish|treasure ... forever",
        ],
        ..Rule::new(
            UnboundedPromise,
            &[Reply, Letter, Talk],
            &[
                "i <will> @adv? never|always",
                "i <will> ... forever",
                "i <will> ... every time",
                "i <will> ... the rest of my life",
                "never again",
                "from now on",
                "^ me never|always",
                "my promise to never|always",
                "^ me promising to? never|always",
            ],
        )
    },
    // "Never forgetting our anniversary again" is a promise; "never forget" alone is a memory.
    Rule::new(UnboundedPromise, PROMISING, &["never @inner .. again"]),
    Rule {
        unless: &[
            "i have? got you $",
            "there is|'s|are no|nothing",
            "present @role",
        ],
        ..Rule::new(
            GiftInGratitude,
            &[Gratitude],
            &[
                "i have? @give up? you|us",
                "^ @give you|us",
                "a|little|small present|box",
                "as a thank? you|thankyou",
                "gift card|voucher",
                "there is|'s|are ... for you",
            ],
        )
    },
    // A present named outside the thanks itself, and not one the partner gave.
    Rule {
        unless: &["present @role"],
        unless_in_clause: &[
            "thank|thanks",
            "you bought|got|gotten|ordered|booked|picked|gave|left|brought|made|chose|knitted|baked|sent",
        ],
        ..Rule::new(GiftInGratitude, &[Gratitude], &["@gift"])
    },
    Rule {
        // "I wouldn't have got through this year if you hadn't stood by me" is thanks.
        unless: &["would|'d not|never have got|gotten|made|survived|managed|coped|done"],
        ..Rule::new(
            BlameShifting,
            EVERY_KIND,
            &[
                "if you ... would|'d .. not|never have",
                "if you ... none of this would",
                "would|'d not|never have ... if you had|'d|were|was not",
                "you made me feel? so? @alone that",
                "you make|made|makes it @adv? impossible|hard|difficult to be honest",
                "you make|made|makes it @adv? impossible|hard|difficult to tell",
                "you|your .. made me lie|hide|cheat|drink|do|stray|snap|text",
                "made me do it|this|that",
                "pushed|forced|pushing|forcing|push|force me into",
                "forced me to",
                "drove|driving|drive me to it|this|drink|her|him",
                "you|your ... is|was|'s @adv? why i lied|hid|cheated|strayed|drank|did|kept",
                "you|your ... is|was|'s @adv? why i went looking|elsewhere|behind",
                "you|your ... is|was|'s @adv? why i started talking|drinking|gambling|texting|seeing|hiding|lying|looking",
                "you|your ... is|was|'s @adv? why i stopped telling|talking|trying",
                "what did you think would happen",
                "left|leave|gave|give me no choice|option",
                "what did you expect me to do",
                "what did you expect when",
                "what did you expect $",
                "i @adv? lied|hid|cheated|strayed|drank|deleted it? because|cause|coz of? you",
                "your part in",
                "on you as much as",
                "i am not the only one responsible",
                "i am not the only one to blame",
                "i am not the only one at fault",
                "you would|'d _ too if you",
            ],
        )
    },
    Rule {
        unless: &[
            "it is not like i do|did not",
            "sensitive to",
            "i @adv? understand|see|get why",
        ],
        ..Rule::new(
            Minimizing,
            EVERY_KIND,
            &[
                "you are|were overreacting",
                "you are|were over reacting",
                "you are|were being? too|so|a|over? bit? sensitive|dramatic|paranoid|hysterical",
                "stop being so|too sensitive|dramatic|paranoid|hysterical",
                "you are? making|make|made such? a big deal",
                "stop making such? a big deal",
                "you are? making|make @adv? far? too much of",
                "mountain out of a molehill",
                "reading|read so|too much into",
                "they|it|that were|was|'s harmless",
                "why ... is|was|'s such a big deal",
                "not @adv? get|see|understand why ... such a big deal",
                "bigger than it ever? was|is",
                "nothing physical",
                "is|'s a bit much",
                "it|that was|is|'s not an affair|cheating",
                "hardly the end of the world",
                "all it was",
                "you are? making|make this|it into something",
                "blow|blowing|blown|blew .. out of proportion",
                "it|that|this was|is|'s literally|honestly? just|only .. @small",
                "it|that|this was|is|'s nothing $",
                "it|that|he|she meant nothing",
                "it|that did|does not mean anything",
                "it|this|that is|was|'s not a big deal",
                "do|did not think it|this|that is|was|'s a|such a? big deal",
                "it|this|that is|was|'s not like i|it|we",
                "it|that|this is|'s|was just? such a tiny|small|little thing|deal",
                "you are|were acting like i",
                "acting|act|acts|treating|treat like it is|was|'s the end of the world",
                "treat|treated|treating me|it|this? like a|an @crime",
                "has you this|so upset",
                "only happened once|twice|a",
                "just calm down",
            ],
        )
    },
    Rule {
        unless: &[
            "sorry that? you feel|felt ill|sick|unwell|poorly|rough|tired|down",
            "but you do not have|need",
            "sorry if i woke|wake|kept|bothered|disturbed|interrupted",
            "sorry if i was|am late",
        ],
        ..Rule::new(
            NonApology,
            EVERY_KIND,
            &[
                "sorry|apologise|apologize|apologies if",
                "sorry|regret that? you feel|felt|found|took|think|thought|see|saw",
                "sorry|regret that? you are|were|got|have? been? @upset",
                "sorry|regret that? you can not",
                "sorry|regret that? you had to find|hear|see|learn|discover|read",
                "sorry for|about how you feel|felt",
                "sorry ... but you",
                "sorry ... but i can not keep",
            ],
        )
    },
    Rule {
        unless_in_sentence: &["@when", "#"],
        ..Rule::new(
            VaguePromise,
            EVERY_KIND,
            &["i <will> @adv? always? <vague>"],
        )
    },
    Rule {
        unless_in_sentence: &["@when", "#"],
        ..Rule::new(
            VaguePromise,
            &[Commitment, Talk],
            &["^ @adv? always? <vague>", "^ me? <vague_ing>"],
        )
    },
    Rule {
        unless_in_sentence: &["@when", "#"],
        ..Rule::new(
            VaguePromise,
            &[Request, Reply, Commitment, Letter, Talk, Gratitude],
            &[
                "will not happen again",
                "things will be different|better",
                "things being different",
                "make|making it up to you",
                "i am a different person|man|woman",
            ],
        )
    },
    Rule {
        unless: &[
            "move|moving|moved on to|from",
            "^ moving forward $",
            "let it|this|that go to",
            "you have let",
        ],
        ..Rule::new(
            RushingTrust,
            EVERY_KIND,
            &[
                "move|moving|moved on",
                "move|moving forward",
                "let it|this|that|things go",
                "let go of",
                "get|getting|got past this|it",
                "be|are|were past this|it",
                "you over it|this yet|already",
                "you need|have to get|be over it|this",
                "put|putting|get|leave ... behind us",
                "close the book",
                "draw|drawing a line under",
                "clean slate",
                "turn the page",
                "trust|forgive me again? by|before",
                "when are|will you .. trust|forgive",
                "how long are|will you ... punish|punishing|hold|holding",
                "keep|stop punishing me",
                "make me pay",
                "need a deadline|timeline",
                "be ready to trust|forgive me",
                "timeline|deadline for when",
                "what more do you want",
                "you should|ought to? be|get over|past",
                "it is|'s time you|to forgave|forgive|trusted|trust|moved|gave",
                "stop bringing it|this|that up",
                "stop bringing up the affair|past|cheating",
                "stop talking about it|this|that",
                "stop talking about the affair|whole|past",
                "be done with it|this",
                "drop it|this now|please",
                "can we drop it|this $",
                "last time we talk|talked|discuss|discussed|bring|mention about? it|this|that",
                "at some point you have|need to",
                "been long enough",
            ],
        )
    },
];

impl Rule {
    /// A rule with nothing yet to excuse a match but a denial before it.
    const fn new(
        code: HintCode,
        kinds: &'static [HintKind],
        patterns: &'static [&'static str],
    ) -> Rule {
        Rule {
            code,
            kinds,
            patterns,
            unless: NONE,
            unless_in_clause: NONE,
            unless_in_sentence: NONE,
            negatable: true,
        }
    }

    pub fn reads(&self, kind: HintKind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}
