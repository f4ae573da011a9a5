//! Runs the rules over a text: compiles them once, finds each rule's matches, drops the excused
//! ones (near-misses, denials, quotations) and keeps one hint per code and place.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::LazyLock;

use super::lexicon::Lexicon;
use super::model::{Hint, HintKind, Span};
use super::pattern::Pattern;
use super::rules::{RULES, Rule};
use super::text::{self, Token};
use super::vocabulary::VOCABULARY;

/// A "say" or "tell" that is denied or only wished for: what follows in the clause is not said.
const FRAMES: &[&str] = &[
    "not|stop|quit say|saying|said|tell|telling|told|call|calling",
    "want|wanted|tempted|going to say|tell",
];

struct CompiledRule {
    rule: &'static Rule,
    unless: Vec<Pattern>,
    unless_in_clause: Vec<Pattern>,
    unless_in_sentence: Vec<Pattern>,
}

struct Compiled {
    lexicon: Lexicon,
    rules: Vec<CompiledRule>,
    /// Every pattern with the number of its rule.
    patterns: Vec<(usize, Pattern)>,
    /// Patterns by the numbers of the words they can start with.
    by_first_word: HashMap<u32, Vec<usize>>,
    /// Patterns that may start with any word.
    anywhere: Vec<usize>,
    frames: Vec<Pattern>,
    /// Words that deny what follows them in a clause.
    not: u32,
    never: u32,
    no: u32,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| compile().0);

/// The rules compiled, and what could not be compiled (a test keeps this empty).
fn compile() -> (Compiled, Vec<String>) {
    let mut errors = Vec::new();
    let mut lexicon = Lexicon::default();
    let mut all = |sources: &[&'static str], lexicon: &mut Lexicon| -> Vec<Pattern> {
        sources
            .iter()
            .filter_map(|source| {
                Pattern::compile(source, &VOCABULARY, lexicon)
                    .map_err(|error| errors.push(error))
                    .ok()
            })
            .collect()
    };
    let frames = all(FRAMES, &mut lexicon);
    let mut compiled = Compiled {
        not: lexicon.intern("not"),
        never: lexicon.intern("never"),
        no: lexicon.intern("no"),
        lexicon: Lexicon::default(),
        rules: Vec::new(),
        patterns: Vec::new(),
        by_first_word: HashMap::new(),
        anywhere: Vec::new(),
        frames,
    };
    for (index, rule) in RULES.iter().enumerate() {
        for pattern in all(rule.patterns, &mut lexicon) {
            let number = compiled.patterns.len();
            match pattern.first_words() {
                Some(words) => {
                    for word in words {
                        compiled.by_first_word.entry(word).or_default().push(number);
                    }
                }
                None => compiled.anywhere.push(number),
            }
            compiled.patterns.push((index, pattern));
        }
        compiled.rules.push(CompiledRule {
            rule,
            unless: all(rule.unless, &mut lexicon),
            unless_in_clause: all(rule.unless_in_clause, &mut lexicon),
            unless_in_sentence: all(rule.unless_in_sentence, &mut lexicon),
        });
    }
    compiled.lexicon = lexicon;
    (compiled, errors)
}

/// The hints for `text` written as `kind`, in the order they appear.
pub(super) fn hints(kind: HintKind, text: &str) -> Vec<Hint> {
    let compiled = &*COMPILED;
    let tokens = text::read(text, |word| compiled.lexicon.id(word));
    let present: HashSet<u32> = tokens.iter().map(|t| t.id).collect();
    let viable: Vec<bool> = compiled
        .patterns
        .iter()
        .map(|(rule, pattern)| {
            compiled.rules[*rule].rule.reads(kind) && pattern.can_match(|id| present.contains(&id))
        })
        .collect();
    let sentences = spans_of(&tokens, |t| t.sentence);
    let clauses = spans_of(&tokens, |t| t.clause);
    let mut found: Vec<Hint> = Vec::new();
    for start in 0..tokens.len() {
        let indexed = compiled.by_first_word.get(&tokens[start].id);
        let candidates = indexed.into_iter().flatten().chain(&compiled.anywhere);
        for &number in candidates.filter(|&&number| viable[number]) {
            let (index, pattern) = &compiled.patterns[number];
            let rule = &compiled.rules[*index];
            let Some(end) = pattern.match_at(&tokens, start) else {
                continue;
            };
            let span = Span {
                start: tokens[start].start,
                end: tokens[end - 1].end,
            };
            let code = rule.rule.code;
            let overlaps = found
                .iter()
                .any(|h| h.code == code && h.span.start < span.end && span.start < h.span.end);
            let around = Around {
                sentence: near(&sentences[start], start, end),
                clause: near(&clauses[start], start, end),
            };
            if !overlaps && !excused(compiled, rule, &tokens, (start, end), around) {
                found.push(Hint {
                    code,
                    message: code.message(),
                    span,
                });
            }
        }
    }
    found.sort_by_key(|hint| (hint.span.start, hint.code));
    found
}

/// How far from a match (in words) what excuses it is looked for: near enough for any rule, and
/// a bound on the work a long text with many matches can cause.
const NEAR: usize = 24;

/// The part of a match's sentence and clause that can excuse it.
#[derive(Clone)]
struct Around {
    sentence: Range<usize>,
    clause: Range<usize>,
}

/// `whole` cut to the words within `NEAR` of the match `start..end`.
fn near(whole: &Range<usize>, start: usize, end: usize) -> Range<usize> {
    whole.start.max(start.saturating_sub(NEAR))..whole.end.min(end + NEAR)
}

/// Whether the match `start..end` of `rule` is a near-miss, denied, or not the writer's words.
fn excused(
    compiled: &Compiled,
    rule: &CompiledRule,
    tokens: &[Token],
    (start, end): (usize, usize),
    Around { sentence, clause }: Around,
) -> bool {
    let overlapped =
        matches_in(tokens, &rule.unless, sentence.clone()).any(|(s, e)| s < end && start < e);
    let near_clause = matches_in(tokens, &rule.unless_in_clause, clause.clone())
        .next()
        .is_some();
    let near_sentence = matches_in(tokens, &rule.unless_in_sentence, sentence.clone())
        .next()
        .is_some();
    if overlapped || near_clause || near_sentence {
        return true;
    }
    if !rule.rule.negatable {
        return false;
    }
    let denied = tokens[clause.start..start]
        .iter()
        .any(|t| (t.id == compiled.not && !t.asking) || t.id == compiled.never)
        || (start > clause.start && tokens[start - 1].id == compiled.no);
    let framed = matches_in(tokens, &compiled.frames, clause.start..start).any(|(_, e)| e <= start);
    denied || framed
}

/// Every match of `patterns` that starts in `range`, as (start, end).
fn matches_in<'a>(
    tokens: &'a [Token],
    patterns: &'a [Pattern],
    range: Range<usize>,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    patterns.iter().flat_map(move |p| {
        range
            .clone()
            .filter_map(move |s| p.match_at(tokens, s).map(|e| (s, e)))
    })
}

/// For each token, the range of tokens that share its sentence (or clause), in one pass.
fn spans_of(tokens: &[Token], key: impl Fn(&Token) -> u32) -> Vec<Range<usize>> {
    let mut spans = Vec::with_capacity(tokens.len());
    let mut first = 0;
    for i in 1..=tokens.len() {
        if i == tokens.len() || key(&tokens[i]) != key(&tokens[first]) {
            spans.extend(std::iter::repeat_n(first..i, i - first));
            first = i;
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles() {
        let (compiled, errors) = compile();
        assert_eq!(errors, Vec::<String>::new());
        assert_eq!(compiled.rules.len(), RULES.len());
    }
}
