//! Trust ratings: how much one trusts the partner today, 1 to 10, with an optional note, kept
//! private or shared. One per person per local day: a second one that day replaces the first
//! (both are in the log).

use crate::text::Text;
use serde::Serialize;

pub type TrustNote = Text<2000>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Score(i32);

impl Score {
    pub fn parse(raw: i64) -> Result<Self, String> {
        match i32::try_from(raw) {
            Ok(score) if (1..=10).contains(&score) => Ok(Self(score)),
            _ => Err("must be a whole number from 1 to 10".into()),
        }
    }

    pub fn value(self) -> i32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Score;

    #[test]
    fn scores_are_one_to_ten() {
        assert_eq!(Score::parse(1).map(Score::value), Ok(1));
        assert_eq!(Score::parse(10).map(Score::value), Ok(10));
        for bad in [0, 11, -3, i64::MAX] {
            assert!(Score::parse(bad).is_err(), "{bad}");
        }
    }
}
