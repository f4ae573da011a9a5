//! Conversions between what the tables hold (naive UTC timestamps, zones and JSON) and
//! typed values. Ids need none: they read and write themselves (`typed_columns.rs`).

use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

pub(crate) fn stored_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

pub(crate) fn utc(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// Paging by "fetch one more than asked": trims `items` (fetched with `limit + 1`) to `limit`
/// and returns the cursor of the last kept item when there is more after it.
pub(crate) fn page<T, C>(
    mut items: Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> C,
) -> (Vec<T>, Option<C>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = items.len() > limit;
    items.truncate(limit);
    let next = if more { items.last().map(cursor) } else { None };
    (items, next)
}

/// A stored IANA time zone; an unknown one is corrupt, not UTC.
pub(crate) fn stored_zone(stored: &str) -> StoreResult<Tz> {
    stored
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("unknown time zone {stored:?}")))
}

/// A value stored as JSON text (a schedule, check-in times); unreadable JSON is corrupt.
pub(crate) fn stored_json<T: serde::de::DeserializeOwned>(
    what: &str,
    stored: &str,
) -> StoreResult<T> {
    serde_json::from_str(stored)
        .map_err(|error| StoreError::Corrupt(format!("unreadable {what} {stored:?}: {error}")))
}

/// A stored id or enum read from its text by hand, where a query reads text so that one bad row
/// can be set aside rather than fail the whole load.
pub(crate) fn stored_name<T: std::str::FromStr>(what: &str, stored: &str) -> StoreResult<T> {
    stored
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("unreadable {what} {stored:?}")))
}
