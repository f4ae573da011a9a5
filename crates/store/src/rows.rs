//! Conversions between what the tables hold (text ids, naive UTC timestamps) and typed values.

use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::str::FromStr;

pub(crate) fn stored_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

pub(crate) fn utc(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// A typed id from its stored text; a malformed one means the database was edited by hand.
pub(crate) fn parse_id<T: FromStr>(stored: &str) -> StoreResult<T> {
    stored
        .parse()
        .map_err(|_| StoreError::Internal(format!("malformed id in database: {stored:?}")))
}
