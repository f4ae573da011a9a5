//! Reading a text for the hint rules: its words in order, each with where it stands (its span,
//! sentence and clause) and whether it is inside a quotation.
//!
//! Words are folded (lower case, typographic apostrophes made plain) and contractions are opened
//! up, so that one rule covers both spellings: "won't" reads as `will not`, "you're" as
//! `you are`, "dont" as `do not`. Every piece keeps the span of the word it
//! came from. A possessive or "is" `'s` stays a word of its own (`'s`); so does `'d` (had or would).

/// One word of the text, as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub word: String,
    /// The word's number in the rules' lexicon (`lexicon::UNKNOWN` if no rule names it).
    pub id: u32,
    /// Characters (Unicode scalar values) of the original text.
    pub start: usize,
    pub end: usize,
    pub sentence: u32,
    pub clause: u32,
    /// Inside quotation marks: someone else's words, or words the writer asks not to hear.
    pub quoted: bool,
    /// A `not` that came from a contraction before a pronoun: "can't we…", "why don't you…" ask a
    /// question; they do not deny anything.
    pub asking: bool,
}

/// The words of `text` with their places; `id` numbers a word for the rules.
pub(super) fn read(text: &str, id: impl Fn(&str) -> u32) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut sentence, mut clause) = (0u32, 0u32);
    // The open quotation mark, and the first word after it.
    let mut quote: Option<char> = None;
    let mut quote_from = 0;
    let mut word = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        if c.is_alphanumeric() {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || (is_apostrophe(chars[i])
                        && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric())))
            {
                i += 1;
            }
            word.clear();
            word.extend(chars[start..i].iter().map(|&c| fold(c)));
            let (pieces, count) = open_up(&word);
            for piece in &pieces[..count] {
                tokens.push(Token {
                    word: (*piece).to_owned(),
                    id: id(piece),
                    start,
                    end: i,
                    sentence,
                    clause,
                    quoted: quote.is_some(),
                    asking: false,
                });
            }
            continue;
        }
        let between_digits =
            before.is_some_and(|b| b.is_ascii_digit()) && after.is_some_and(|a| a.is_ascii_digit());
        let after_title = c == '.'
            && tokens.last().is_some_and(|t: &Token| {
                t.end == i && matches!(t.word.as_str(), "dr" | "mr" | "mrs" | "ms" | "st" | "prof")
            });
        if c == '\n' && quote.is_some() {
            unquote(&mut tokens[quote_from..]);
            quote = None;
        }
        // A single straight quote still open when a double one comes was an elision ('cause).
        if matches!(c, '"' | '\u{201c}' | '\u{2018}') && quote == Some('\'') {
            unquote(&mut tokens[quote_from..]);
            quote = None;
        }
        match c {
            '.' | '!' | '?' | ';' | ':' | '\n' | '\u{2014}' | '\u{2013}' | '\u{2026}'
                if !between_digits && !after_title =>
            {
                sentence += 1;
                clause += 1;
            }
            '-' if before.is_some_and(char::is_whitespace)
                && after.is_none_or(char::is_whitespace) =>
            {
                sentence += 1;
                clause += 1;
            }
            ',' | '(' | ')' if !between_digits => clause += 1,
            '\u{201c}' | '\u{2018}' if quote.is_none() => {
                (quote, quote_from) = (Some(c), tokens.len())
            }
            '"' if quote == Some('"') => quote = None,
            '"' if quote.is_none() => (quote, quote_from) = (Some('"'), tokens.len()),
            '\u{201d}' if quote == Some('\u{201c}') => quote = None,
            '\'' | '\u{2019}' => {
                let opens = c == '\''
                    && quote.is_none()
                    && before.is_none_or(|b| !b.is_alphanumeric())
                    && after.is_some_and(char::is_alphanumeric);
                let closes = matches!(quote, Some('\u{2018}') | Some('\''))
                    && after.is_none_or(|a| !a.is_alphanumeric());
                if opens {
                    (quote, quote_from) = (Some('\''), tokens.len());
                } else if closes {
                    quote = None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    // A mark that never closed was an apostrophe ('cause, 'til) or a slip, not a quotation.
    if quote.is_some() {
        unquote(&mut tokens[quote_from..]);
    }
    split_clauses_at_conjunctions(&mut tokens);
    mark_questions(&mut tokens);
    tokens
}

fn unquote(tokens: &mut [Token]) {
    tokens.iter_mut().for_each(|t| t.quoted = false);
}

fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

fn fold(c: char) -> char {
    if is_apostrophe(c) {
        '\''
    } else {
        c.to_lowercase().next().unwrap_or(c)
    }
}

/// Contractions as the words they stand for (one or two), written with or without the apostrophe.
fn open_up(word: &str) -> ([&str; 2], usize) {
    const WHOLE: &[(&str, [&str; 2])] = &[
        ("won't", ["will", "not"]),
        ("wont", ["will", "not"]),
        ("can't", ["can", "not"]),
        ("cant", ["can", "not"]),
        ("cannot", ["can", "not"]),
        ("shan't", ["shall", "not"]),
        ("ain't", ["is", "not"]),
        ("im", ["i", "am"]),
        ("ive", ["i", "have"]),
        ("youre", ["you", "are"]),
        ("youve", ["you", "have"]),
        ("youll", ["you", "will"]),
        ("theyre", ["they", "are"]),
        ("thats", ["that", "'s"]),
        ("its", ["it", "'s"]),
        ("whats", ["what", "'s"]),
        ("theres", ["there", "'s"]),
        ("heres", ["here", "'s"]),
        ("gonna", ["going", "to"]),
        ("wanna", ["want", "to"]),
    ];
    const BARE_NOT: &[&str] = &[
        "dont", "didnt", "doesnt", "isnt", "wasnt", "werent", "arent", "wouldnt", "couldnt",
        "shouldnt", "hadnt", "havent", "hasnt",
    ];
    if let Some((_, [first, second])) = WHOLE.iter().find(|(w, _)| *w == word) {
        return ([first, second], 2);
    }
    if BARE_NOT.contains(&word) {
        return ([&word[..word.len() - 2], "not"], 2);
    }
    if !word.contains('\'') {
        return ([word, ""], 1);
    }
    if let Some(base) = word.strip_suffix("n't") {
        return ([base, "not"], 2);
    }
    const SUFFIXES: &[(&str, &str)] = &[
        ("'ll", "will"),
        ("'re", "are"),
        ("'m", "am"),
        ("'ve", "have"),
        ("'d", "'d"),
        ("'s", "'s"),
    ];
    for (suffix, means) in SUFFIXES {
        if let Some(base) = word.strip_suffix(suffix).filter(|b| !b.is_empty()) {
            return ([base, means], 2);
        }
    }
    ([word, ""], 1)
}

/// "but", and "and"/"so"/"because" before a new subject, start a clause of their own, so that a
/// "not" on one side does not reach the other.
fn split_clauses_at_conjunctions(tokens: &mut [Token]) {
    const SUBJECTS: &[&str] = &["i", "you", "we", "he", "she", "they", "it", "that", "this"];
    let mut shift = 0;
    let mut previous_clause = None;
    for i in 0..tokens.len() {
        let next_is_subject = tokens
            .get(i + 1)
            .is_some_and(|next| SUBJECTS.contains(&next.word.as_str()));
        let starts_clause = match tokens[i].word.as_str() {
            "but" | "because" | "though" | "although" => true,
            "and" | "so" => next_is_subject,
            _ => false,
        };
        let clause = tokens[i].clause;
        if starts_clause && previous_clause == Some(clause) {
            shift += 1;
        }
        previous_clause = Some(clause);
        tokens[i].clause = clause + shift;
    }
}

/// Marks the `not` of "can't we", "don't you", "won't you": a question, not a denial.
fn mark_questions(tokens: &mut [Token]) {
    for i in 1..tokens.len() {
        let contracted = tokens[i].word == "not" && tokens[i - 1].start == tokens[i].start;
        let pronoun_next = tokens
            .get(i + 1)
            .is_some_and(|next| matches!(next.word.as_str(), "we" | "you" | "i"));
        if contracted && pronoun_next {
            tokens[i].asking = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Vec<Token> {
        read(text, |_| 0)
    }

    fn words(text: &str) -> Vec<String> {
        read(text, |_| 0).into_iter().map(|t| t.word).collect()
    }

    #[test]
    fn contractions_open_up_with_or_without_the_apostrophe() {
        assert_eq!(words("I’ll"), ["i", "will"]);
        assert_eq!(
            words("won't dont Im"),
            ["will", "not", "do", "not", "i", "am"]
        );
        assert_eq!(
            words("you'd it's Sam's"),
            ["you", "'d", "it", "'s", "sam", "'s"]
        );
    }

    #[test]
    fn pieces_keep_the_span_of_their_word() {
        let tokens = read_all("Ça va? I'll");
        assert_eq!((tokens[2].start, tokens[2].end), (7, 11));
        assert_eq!((tokens[3].start, tokens[3].end), (7, 11));
        assert_eq!(tokens[2].sentence, 1);
    }

    #[test]
    fn quotations_are_marked_and_apostrophes_are_not_quotes() {
        let quoted: Vec<bool> = read_all("Don't say 'you always' or “never”, kids' toys")
            .iter()
            .map(|t| t.quoted)
            .collect();
        assert_eq!(
            quoted,
            [false, false, false, true, true, false, true, false, false]
        );
        assert!(
            read_all("‘you always twist things’ he said")
                .iter()
                .take(4)
                .all(|t| t.quoted)
        );
        assert!(!read_all("‘you always twist things’ he said")[4].quoted);
    }

    #[test]
    fn clauses_split_at_commas_and_at_but_but_times_stay_whole() {
        let tokens = read_all("I know, but you 18:00 and 5.30");
        let clauses: Vec<u32> = tokens.iter().map(|t| t.clause).collect();
        assert_eq!(clauses, [0, 0, 1, 1, 1, 1, 1, 1, 1]);
        assert_eq!(tokens.iter().map(|t| t.sentence).max(), Some(0));
    }

    #[test]
    fn a_quotation_that_never_closes_quotes_nothing() {
        assert!(
            read_all("'cause you always leave")
                .iter()
                .all(|t| !t.quoted)
        );
        assert!(
            read_all("He said \"you always\nleave")
                .iter()
                .all(|t| !t.quoted)
        );
    }

    #[test]
    fn ellipses_end_sentences_and_titles_do_not() {
        let sentences = |text| {
            read_all(text)
                .iter()
                .map(|t| t.sentence)
                .collect::<Vec<_>>()
        };
        assert_eq!(sentences("fine\u{2026} you"), [0, 1]);
        assert_eq!(sentences("with Dr. Patel"), [0, 0, 0]);
    }

    #[test]
    fn a_contracted_not_before_a_pronoun_asks() {
        let tokens = read_all("Can't we just move on? I can't.");
        assert!(tokens[1].asking);
        assert!(!tokens.last().is_some_and(|t| t.asking));
    }
}
