//! Check-ins: a short note on how one is doing, any time of day, with an optional mood. They
//! have no life cycle of their own; they exist to be seen by the partner.

use crate::error::Invalid;
use crate::text::Text;
use serde::{Deserialize, Serialize};

/// A check-in's text: short by design.
pub type CheckInText = Text<2000>;

/// How one feels, in words a partner can respond to rather than a score to be judged by.
#[cfg_attr(feature = "diesel", derive(diesel::AsExpression, diesel::FromSqlRow))]
#[cfg_attr(feature = "diesel", diesel(sql_type = diesel::sql_types::Text))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Mood {
    Good,
    Calm,
    Hopeful,
    Grateful,
    Tired,
    Anxious,
    Sad,
    Hurt,
    Angry,
}

crate::names::named_by_serde!(Mood);

/// A new check-in, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckIn {
    pub text: CheckInText,
    pub mood: Option<Mood>,
}

impl NewCheckIn {
    pub fn parse(text: &str, mood: Option<Mood>) -> Result<Self, Invalid> {
        let text = CheckInText::parse(text).map_err(|message| Invalid::field("text", message))?;
        Ok(Self { text, mood })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moods_round_trip_and_text_is_bounded() {
        for mood in [Mood::Good, Mood::Hurt, Mood::Angry] {
            assert_eq!(mood.to_string().parse::<Mood>().ok(), Some(mood));
        }
        assert!("ecstatic".parse::<Mood>().is_err());
        assert!(NewCheckIn::parse("Rough morning, better now.", Some(Mood::Tired)).is_ok());
        assert!(NewCheckIn::parse(&"x".repeat(2001), None).is_err());
        assert!(NewCheckIn::parse("  ", None).is_err());
    }
}

/// The local times of day at which a person wants a check-in reminder: at most six, distinct,
/// kept in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct CheckInTimes(Vec<chrono::NaiveTime>);

impl CheckInTimes {
    pub const MAX: usize = 6;

    /// At most [`Self::MAX`] entries as sent (repeats count: a list of twenty is refused even
    /// if it names one time), then kept sorted and distinct.
    pub fn parse(mut times: Vec<chrono::NaiveTime>) -> Result<Self, String> {
        if times.len() > Self::MAX {
            return Err(format!("at most {} times a day", Self::MAX));
        }
        times.sort();
        times.dedup();
        Ok(Self(times))
    }

    pub fn times(&self) -> &[chrono::NaiveTime] {
        &self.0
    }
}

#[cfg(test)]
mod times_tests {
    use super::CheckInTimes;
    use chrono::NaiveTime;

    #[test]
    fn times_are_sorted_distinct_and_few() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
        let parsed = CheckInTimes::parse(vec![t(20), t(8), t(20)]).map(|c| c.times().to_vec());
        assert_eq!(parsed, Ok(vec![t(8), t(20)]));
        assert!(CheckInTimes::parse((0..7).map(t).collect()).is_err());
    }
}
