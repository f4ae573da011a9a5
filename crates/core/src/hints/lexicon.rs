//! Words as small numbers: every word a rule names gets one, so that matching compares integers
//! rather than strings. A word of a text that no rule names is `UNKNOWN`.

use std::collections::HashMap;

pub(super) const UNKNOWN: u32 = u32::MAX;

#[derive(Debug, Default)]
pub(super) struct Lexicon {
    ids: HashMap<&'static str, u32>,
}

impl Lexicon {
    /// The number of `word`, given it one if it has none yet.
    pub fn intern(&mut self, word: &'static str) -> u32 {
        let next = u32::try_from(self.ids.len()).unwrap_or(UNKNOWN);
        *self.ids.entry(word).or_insert(next)
    }

    /// The number of `word`, or `UNKNOWN`.
    pub fn id(&self, word: &str) -> u32 {
        self.ids.get(word).copied().unwrap_or(UNKNOWN)
    }
}
