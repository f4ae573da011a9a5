//! The secret calendar feed: a token per person, and what the feed shows — accepted talks in
//! the person's spaces and the due times of their own commitments (never the partner's: the
//! feed is a reminder, not a way to watch anyone).

use crate::Store;
use crate::error::StoreResult;
use crate::rows::stored_zone;
use crate::rows::{stored_time, utc};
use crate::schema::{
    calendar_tokens, commitment_occurrences as occ, commitments, memberships, spaces, talks,
};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use kept_core::UserId;
use kept_core::calendar::CalendarEntry;
use kept_core::commitment::OccurrenceState;
use kept_core::space::SpaceState;
use kept_core::talk::TalkState;
use kept_core::talk::{Cadence, starts};
use kept_core::{SpaceId, TalkId};

/// How far ahead the feed looks.
pub const FEED_HORIZON: Duration = Duration::days(60);

impl Store {
    /// A new feed token for `user` (the previous one stops working).
    pub fn issue_calendar_token(&self, user: UserId, digest: &str) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            diesel::delete(calendar_tokens::table.filter(calendar_tokens::user_id.eq(user)))
                .execute(conn)?;
            diesel::insert_into(calendar_tokens::table)
                .values((
                    calendar_tokens::token_hash.eq(digest),
                    calendar_tokens::user_id.eq(user),
                    calendar_tokens::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            Ok(())
        })
    }

    pub fn revoke_calendar_token(&self, user: UserId) -> StoreResult<()> {
        self.write(|conn| {
            diesel::delete(calendar_tokens::table.filter(calendar_tokens::user_id.eq(user)))
                .execute(conn)?;
            Ok(())
        })
    }

    /// The entries of the feed a token opens, soonest first; `NotFound` for an unknown token.
    pub fn calendar(&self, digest: &str) -> StoreResult<Vec<CalendarEntry>> {
        let now = self.now();
        let until = now + FEED_HORIZON;
        self.read(|conn| {
            let user: UserId = calendar_tokens::table
                .find(digest)
                .select(calendar_tokens::user_id)
                .first(conn)?;
            let open_spaces = memberships::table
                .inner_join(spaces::table)
                .filter(memberships::user_id.eq(user))
                .filter(memberships::left_at.is_null())
                .filter(spaces::state.ne(SpaceState::Closed))
                .select(memberships::space_id)
                .load::<SpaceId>(conn)?;
            let mut entries = Vec::new();
            let accepted = talks::table
                .filter(talks::space_id.eq_any(&open_spaces))
                .filter(talks::state.eq(TalkState::Accepted))
                .select((
                    talks::id,
                    talks::title,
                    talks::starts_at,
                    talks::cadence,
                    talks::time_zone,
                    talks::duration_minutes,
                ))
                .load::<(TalkId, String, NaiveDateTime, Cadence, String, i64)>(conn)?;
            for (id, title, first, cadence, zone, minutes) in accepted {
                let zone = stored_zone(&zone)?;
                for start in starts(utc(first), cadence, zone, now, until) {
                    entries.push(CalendarEntry {
                        uid: format!("talk-{id}-{}@kept", start.timestamp()),
                        starts_at: start,
                        ends_at: start + Duration::minutes(minutes),
                        summary: format!("Talk: {title}"),
                        description: None,
                    });
                }
            }
            let due = occ::table
                .inner_join(commitments::table)
                .filter(occ::space_id.eq_any(&open_spaces))
                .filter(commitments::committer_id.eq(user))
                .filter(occ::state.eq(OccurrenceState::Due))
                .filter(occ::due_at.ge(stored_time(now)))
                .filter(occ::due_at.le(stored_time(until)))
                .select((occ::id, occ::due_at, commitments::text))
                .load::<(String, NaiveDateTime, String)>(conn)?;
            for (id, due_at, text) in due {
                let due_at = utc(due_at);
                entries.push(CalendarEntry {
                    uid: format!("occurrence-{id}@kept"),
                    starts_at: due_at,
                    ends_at: due_at + Duration::minutes(15),
                    summary: format!("Commitment: {text}"),
                    description: Some("Mark it kept in Kept.".into()),
                });
            }
            entries.sort_by_key(|e| e.starts_at);
            Ok(entries)
        })
    }
}
