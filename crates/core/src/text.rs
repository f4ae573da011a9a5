//! Bounded, trimmed text: every title and free text in Kept has a length limit, checked once at
//! the edge so that nothing past it needs to check again.

use serde::Serialize;
use std::fmt;

/// Text of 1..=MAX characters (Unicode scalar values), trimmed of surrounding white space.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// At most MAX characters as sent (surrounding white space counts, as the API document
    /// says), not blank, no control characters but tab and line breaks; stored trimmed.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars > MAX {
            return Err(format!("must be at most {MAX} characters (got {chars})"));
        }
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("must not be empty".into());
        }
        if trimmed
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err("must not contain control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A title: a space's name, a talk's title.
pub type Title = Text<200>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_bounded_in_characters_as_sent_and_stored_trimmed() {
        assert_eq!(
            Text::<8>::parse("  héllo ").map(Text::into_string),
            Ok("héllo".to_owned())
        );
        assert!(Text::<5>::parse("héllo!").is_err());
        assert!(
            Text::<5>::parse("héllo ").is_err(),
            "the limit counts what was sent"
        );
        assert!(Text::<5>::parse("   ").is_err());
        assert!(Text::<5>::parse("a\u{0}b").is_err());
        assert!(Text::<50>::parse("two\nlines").is_ok());
    }
}
