//! A small pattern language over the words of a text, for writing hint rules that read like the
//! phrases they catch.
//!
//! A pattern is words separated by spaces; each matches one word unless said otherwise:
//!
//! | written      | matches                                                                 |
//! |--------------|-------------------------------------------------------------------------|
//! | `sorry`      | that word                                                               |
//! | `is\|was`     | any of these words                                                      |
//! | `@feeling`   | any word of a named class                                               |
//! | `<promise>`  | any of a named group's patterns (several words each)                    |
//! | `_`          | any one word                                                            |
//! | `#`          | a number ("6", "6pm", "18")                                             |
//! | `..`         | up to three words of the same clause                                    |
//! | `...`        | up to ten words of the same sentence                                    |
//! | `^` / `$`    | the start / the end of a clause                                         |
//!
//! A `?` after a word, class or `_` makes it optional. A match never leaves its sentence and never
//! takes a quoted word.

use super::lexicon::Lexicon;
use super::text::Token;

/// Where names in a pattern are looked up.
pub(super) struct Vocabulary {
    pub classes: &'static [(&'static str, &'static [&'static str])],
    pub groups: &'static [(&'static str, &'static [&'static str])],
}

#[derive(Debug, Clone)]
enum Element {
    /// Word numbers (see `lexicon.rs`), and whether the word may be skipped.
    Words(Vec<u32>, bool),
    Class(Vec<u32>, bool),
    /// One of several sequences: a `<group>`; each with the words it can start with, if known,
    /// so that an alternative is only tried where it can match.
    Group(Vec<(Option<Vec<u32>>, Vec<Element>)>),
    Any(bool),
    Number,
    Gap {
        most: usize,
        sentence_wide: bool,
    },
    ClauseStart,
    ClauseEnd,
}

/// One compiled pattern.
#[derive(Debug, Clone)]
pub(super) struct Pattern {
    elements: Vec<Element>,
}

impl Pattern {
    /// Compiles `source`, or says which part of it could not be read.
    pub fn compile(
        source: &'static str,
        vocabulary: &Vocabulary,
        lexicon: &mut Lexicon,
    ) -> Result<Pattern, String> {
        compile_elements(source, vocabulary, lexicon, 0).map(|elements| Pattern { elements })
    }

    /// Every word a match can start with, when that is known up front (so the pattern is only
    /// tried where one of them stands); `None` when it may start with any word.
    pub fn first_words(&self) -> Option<Vec<u32>> {
        let mut words = Vec::new();
        let complete = first_words(&self.elements, &mut words)?;
        complete.then_some(words)
    }

    /// Whether a text whose words are `present` can hold a match at all: each word the pattern
    /// requires (outside groups) is there. Most patterns name a rare word, so this skips most.
    pub fn can_match(&self, present: impl Fn(u32) -> bool) -> bool {
        self.elements.iter().all(|element| match element {
            Element::Words(ids, false) | Element::Class(ids, false) => {
                ids.iter().any(|&id| present(id))
            }
            _ => true,
        })
    }

    /// The end (exclusive) of a match that starts at `start`, if there is one.
    pub fn match_at(&self, tokens: &[Token], start: usize) -> Option<usize> {
        let first = tokens.get(start)?;
        let matcher = Matcher {
            tokens,
            sentence: first.sentence,
        };
        let end = matcher.sequence(&self.elements, start, &Some)?;
        (end > start && tokens[start..end].iter().all(|t| !t.quoted)).then_some(end)
    }
}

/// The pieces of `source` as elements; groups are compiled in place (at most 4 deep).
fn compile_elements(
    source: &'static str,
    vocabulary: &Vocabulary,
    lexicon: &mut Lexicon,
    depth: usize,
) -> Result<Vec<Element>, String> {
    let mut elements = Vec::new();
    for piece in source.split_whitespace() {
        if let Some(name) = piece.strip_prefix('<').and_then(|p| p.strip_suffix('>')) {
            let (_, alternatives) = vocabulary
                .groups
                .iter()
                .find(|(group, _)| *group == name)
                .filter(|_| depth < 4)
                .ok_or_else(|| format!("no group <{name}> (in \"{source}\")"))?;
            let alternatives = alternatives
                .iter()
                .map(|alternative| {
                    let elements = compile_elements(alternative, vocabulary, lexicon, depth + 1)?;
                    let mut words = Vec::new();
                    let known = first_words(&elements, &mut words) == Some(true);
                    Ok((known.then_some(words), elements))
                })
                .collect::<Result<Vec<_>, String>>()?;
            elements.push(Element::Group(alternatives));
        } else {
            let element = element(piece, vocabulary, lexicon)
                .ok_or_else(|| format!("cannot read \"{piece}\" (in \"{source}\")"))?;
            elements.push(element);
        }
    }
    Ok(elements)
}

/// Adds the words `elements` can start with to `words`; `Some(true)` when a word is required
/// (the list is complete), `Some(false)` when all of them may be skipped, `None` for any word.
fn first_words(elements: &[Element], words: &mut Vec<u32>) -> Option<bool> {
    for element in elements {
        match element {
            Element::ClauseStart | Element::ClauseEnd => {}
            Element::Words(some, optional) => {
                words.extend(some.iter().copied());
                if !optional {
                    return Some(true);
                }
            }
            Element::Class(some, optional) => {
                words.extend(some.iter().copied());
                if !optional {
                    return Some(true);
                }
            }
            Element::Group(alternatives) => {
                let mut all_required = true;
                for (_, alternative) in alternatives {
                    all_required &= first_words(alternative, words)?;
                }
                if all_required {
                    return Some(true);
                }
            }
            Element::Any(_) | Element::Number | Element::Gap { .. } => return None,
        }
    }
    Some(false)
}

fn element(piece: &'static str, vocabulary: &Vocabulary, lexicon: &mut Lexicon) -> Option<Element> {
    let (body, optional) = match piece.strip_suffix('?') {
        Some(body) if !body.is_empty() => (body, true),
        _ => (piece, false),
    };
    // Only words, classes and `_` may be optional.
    let plain = |element: Element| (!optional).then_some(element);
    Some(match body {
        "_" => Element::Any(optional),
        "#" => plain(Element::Number)?,
        ".." => plain(Element::Gap {
            most: 3,
            sentence_wide: false,
        })?,
        "..." => plain(Element::Gap {
            most: 10,
            sentence_wide: true,
        })?,
        "^" => plain(Element::ClauseStart)?,
        "$" => plain(Element::ClauseEnd)?,
        _ => match body.strip_prefix('@') {
            Some(name) => {
                let (_, words) = vocabulary
                    .classes
                    .iter()
                    .find(|(class, _)| *class == name)?;
                let mut ids: Vec<u32> = words.iter().map(|word| lexicon.intern(word)).collect();
                ids.sort_unstable();
                Element::Class(ids, optional)
            }
            None => {
                let words: Vec<&str> = body.split('|').collect();
                let is_word =
                    |w: &&str| !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '\'');
                if !words.iter().all(is_word) {
                    return None;
                }
                Element::Words(
                    words.into_iter().map(|word| lexicon.intern(word)).collect(),
                    optional,
                )
            }
        },
    })
}

struct Matcher<'a> {
    tokens: &'a [Token],
    sentence: u32,
}

/// What to match after a sequence: given where the sequence ended, the end of the whole match.
type Then<'k> = dyn Fn(usize) -> Option<usize> + 'k;

impl Matcher<'_> {
    /// Matches `elements` from token `at` on, then `then`; the end of the first way that works
    /// (skipped words and shorter gaps are tried first, so spans stay short).
    fn sequence(&self, elements: &[Element], at: usize, then: &Then<'_>) -> Option<usize> {
        let Some((element, rest)) = elements.split_first() else {
            return then(at);
        };
        let here = self.tokens.get(at).filter(|t| t.sentence == self.sentence);
        let next = |at: usize| self.sequence(rest, at, then);
        let one = |matches: bool, optional: bool| {
            let taken = if matches { next(at + 1) } else { None };
            taken.or_else(|| if optional { next(at) } else { None })
        };
        match element {
            Element::Words(ids, optional) => {
                one(here.is_some_and(|t| ids.contains(&t.id)), *optional)
            }
            Element::Class(ids, optional) => one(
                here.is_some_and(|t| ids.binary_search(&t.id).is_ok()),
                *optional,
            ),
            Element::Group(alternatives) => alternatives
                .iter()
                .filter(|(starts, _)| {
                    starts
                        .as_ref()
                        .is_none_or(|ids| here.is_some_and(|t| ids.contains(&t.id)))
                })
                .find_map(|(_, alternative)| self.sequence(alternative, at, &next)),
            Element::Any(optional) => one(here.is_some(), *optional),
            Element::Number => one(
                here.is_some_and(|t| t.word.starts_with(|c: char| c.is_ascii_digit())),
                false,
            ),
            Element::Gap {
                most,
                sentence_wide,
            } => {
                let clause = at.checked_sub(1).map(|i| self.tokens[i].clause);
                // The words skipped, and the word after them, stay in the sentence (or clause).
                let stays = |t: &Token| {
                    t.sentence == self.sentence
                        && (*sentence_wide || clause.is_none_or(|c| t.clause == c))
                };
                (0..=*most)
                    .take_while(|&n| {
                        at + n <= self.tokens.len()
                            && self.tokens[at..].iter().take(n + 1).all(stays)
                    })
                    .find_map(|n| next(at + n))
            }
            Element::ClauseStart => {
                let starts =
                    at == 0 || here.is_some_and(|t| self.tokens[at - 1].clause != t.clause);
                if starts { next(at) } else { None }
            }
            Element::ClauseEnd => {
                let ends = at > 0
                    && self
                        .tokens
                        .get(at)
                        .is_none_or(|t| t.clause != self.tokens[at - 1].clause);
                if ends { next(at) } else { None }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::text::read;
    use super::*;

    const VOCABULARY: Vocabulary = Vocabulary {
        classes: &[("feeling", &["sad", "angry"])],
        groups: &[("will", &["will", "am going to"])],
    };

    /// The matched words of the first match in `text`, if any.
    fn first(pattern: &'static str, text: &str) -> Option<String> {
        let mut lexicon = Lexicon::default();
        let Ok(pattern) = Pattern::compile(pattern, &VOCABULARY, &mut lexicon) else {
            panic!("{pattern} does not compile");
        };
        let tokens = read(text, |word| lexicon.id(word));
        (0..tokens.len()).find_map(|start| {
            pattern.match_at(&tokens, start).map(|end| {
                tokens[start..end]
                    .iter()
                    .map(|t| t.word.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        })
    }

    #[test]
    fn words_alternatives_classes_and_groups() {
        assert_eq!(
            first("i <will> never", "Well, I'm going to never"),
            Some("i am going to never".into())
        );
        assert_eq!(
            first("i <will> never", "I'll never"),
            Some("i will never".into())
        );
        assert_eq!(
            first("you are|were @feeling", "you were angry"),
            Some("you were angry".into())
        );
        assert_eq!(first("you are|were @feeling", "you were late"), None);
    }

    #[test]
    fn optional_words_and_gaps_stay_in_their_clause_or_sentence() {
        assert_eq!(
            first("i know exactly? how", "I know how"),
            Some("i know how".into())
        );
        assert_eq!(
            first("i will .. never", "I will really truly never"),
            Some("i will really truly never".into())
        );
        assert_eq!(first("i will .. never", "I will, never"), None);
        assert_eq!(
            first("if you ... would", "If you had, I would"),
            Some("if you had i would".into())
        );
        assert_eq!(first("if you ... would", "If you had. I would"), None);
        // A gap at the end of the text stops there.
        assert_eq!(first("never ...", "never"), Some("never".into()));
        assert_eq!(first("never ... ...", "never"), Some("never".into()));
    }

    #[test]
    fn anchors_numbers_and_quotes() {
        assert_eq!(first("^ change $", "Change."), Some("change".into()));
        assert_eq!(first("^ change $", "Change the sheets"), None);
        assert_eq!(first("by #", "home by 6pm"), Some("by 6pm".into()));
        assert_eq!(first("you always", "Don't say 'you always'"), None);
    }

    #[test]
    fn unknown_names_are_errors() {
        let lexicon = &mut Lexicon::default();
        assert!(Pattern::compile("@nothing", &VOCABULARY, lexicon).is_err());
        assert!(Pattern::compile("<nothing>", &VOCABULARY, lexicon).is_err());
        assert!(Pattern::compile("when|$", &VOCABULARY, lexicon).is_err());
        assert!(Pattern::compile("over-reacting", &VOCABULARY, lexicon).is_err());
        assert!(Pattern::compile("never ..?", &VOCABULARY, lexicon).is_err());
    }
}
