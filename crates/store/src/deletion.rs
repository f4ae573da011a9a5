//! Deleting an account, by the person (`DELETE /me`) or the operator (`kept users delete`), in
//! one transaction: every session ends, the person leaves every space (the partner learns only
//! that they left), waiting mail and reminders are cancelled, and the profile, tokens and every
//! word they wrote are removed from the rows and from the timeline's events. What the partner's
//! history needs stays: the items, their states and times, attributed to the same id, whose
//! profile now reads "A former member".

use crate::error::StoreResult;
use crate::events::{REDACTABLE, scrub_payloads};
use crate::rows::stored_time;
use crate::schema::{
    activities, calendar_tokens, check_ins, commitment_occurrences, commitments, deliveries,
    email_tokens, events, invites, memberships, notes, requests, sessions, talk_occurrences, talks,
    trust_ratings, users,
};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::space::LeaveMode;
use kept_core::{SpaceId, UserId};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The name a deleted account's past actions are shown under.
pub const FORMER_MEMBER: &str = "A former member";

/// The payload fields that hold what a person wrote (a space's name is the couple's, and stays).
const WORDS: &[&str] = &["text", "reply", "note", "reason", "title", "notes", "item"];

impl Store {
    /// Deletes `user`'s account (see the module). Deleting an account already deleted is
    /// harmless; an unknown one is `NotFound`.
    pub fn delete_account(&self, user: UserId) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            users::table
                .find(user)
                .select(users::id)
                .first::<UserId>(conn)?;
            crate::sessions::end_all_sessions(conn, user, now)?;
            let current: Vec<SpaceId> = memberships::table
                .filter(memberships::user_id.eq(user))
                .filter(memberships::left_at.is_null())
                .select(memberships::space_id)
                .load(conn)?;
            for space in current {
                crate::spaces::leave(conn, user, space, LeaveMode::Normal, now)?;
            }
            crate::outbox::cancel_mail_of(conn, user)?;
            crate::reminders::schedule::drop_person(conn, user)?;
            remove_agenda_items(conn, user)?;
            redact_rows(conn, user, now)?;
            redact_events(conn, user)?;
            forget_person(conn, user, now)
        })
    }
}

/// The spaces `user` ever belonged to.
fn spaces_of(conn: &mut DbConnection, user: UserId) -> StoreResult<Vec<SpaceId>> {
    Ok(memberships::table
        .filter(memberships::user_id.eq(user))
        .select(memberships::space_id)
        .load(conn)?)
}

/// Blanks every text column `user` wrote. In a space of two, what the partner did not write in
/// a shared item (a reply to the partner's request, a dispute of the partner's commitment) was
/// written by `user`.
fn redact_rows(conn: &mut DbConnection, user: UserId, now: DateTime<Utc>) -> StoreResult<()> {
    let at = stored_time(now);
    let spaces = spaces_of(conn, user)?;
    // Their check-ins and notes leave the events that carried them, whoever appended those (a
    // held note is released by the scheduler).
    let written: Vec<(SpaceId, String)> = check_ins::table
        .filter(check_ins::author_id.eq(user))
        .select((check_ins::space_id, check_ins::id))
        .load(conn)?;
    for (space, id) in written {
        scrub_payloads(conn, space, "check_in_id", &id)?;
    }
    let written: Vec<(SpaceId, String)> = notes::table
        .filter(notes::author_id.eq(user))
        .select((notes::space_id, notes::id))
        .load(conn)?;
    for (space, id) in written {
        scrub_payloads(conn, space, "note_id", &id)?;
    }
    diesel::update(check_ins::table.filter(check_ins::author_id.eq(user)))
        .set(check_ins::text.eq(""))
        .execute(conn)?;
    diesel::update(check_ins::table.filter(check_ins::author_id.eq(user)))
        .filter(check_ins::redacted_at.is_null())
        .set(check_ins::redacted_at.eq(at))
        .execute(conn)?;
    diesel::update(notes::table.filter(notes::author_id.eq(user)))
        .set(notes::text.eq(""))
        .execute(conn)?;
    diesel::update(notes::table.filter(notes::author_id.eq(user)))
        .filter(notes::redacted_at.is_null())
        .set(notes::redacted_at.eq(at))
        .execute(conn)?;
    diesel::update(requests::table.filter(requests::author_id.eq(user)))
        .set(requests::text.eq(""))
        .execute(conn)?;
    diesel::update(requests::table)
        .filter(requests::space_id.eq_any(&spaces))
        .filter(requests::author_id.ne(user))
        .filter(requests::reply.is_not_null())
        .set(requests::reply.eq(""))
        .execute(conn)?;
    diesel::update(commitments::table.filter(commitments::committer_id.eq(user)))
        .set(commitments::text.eq(""))
        .execute(conn)?;
    let own: Vec<String> = commitments::table
        .filter(commitments::committer_id.eq(user))
        .select(commitments::id)
        .load(conn)?;
    diesel::update(commitment_occurrences::table)
        .filter(commitment_occurrences::commitment_id.eq_any(&own))
        .filter(commitment_occurrences::note.is_not_null())
        .set(commitment_occurrences::note.eq(""))
        .execute(conn)?;
    let reviewed: Vec<String> = commitments::table
        .filter(commitments::partner_id.eq(user))
        .select(commitments::id)
        .load(conn)?;
    diesel::update(commitment_occurrences::table)
        .filter(commitment_occurrences::commitment_id.eq_any(&reviewed))
        .filter(commitment_occurrences::dispute_reason.is_not_null())
        .set(commitment_occurrences::dispute_reason.eq(""))
        .execute(conn)?;
    // A rating kept private was never part of the partner's history.
    diesel::delete(trust_ratings::table.filter(trust_ratings::author_id.eq(user)))
        .filter(trust_ratings::shared.eq(false))
        .execute(conn)?;
    diesel::update(trust_ratings::table.filter(trust_ratings::author_id.eq(user)))
        .set(trust_ratings::note.eq(None::<String>))
        .execute(conn)?;
    diesel::update(activities::table.filter(activities::author_id.eq(user)))
        .set(activities::title.eq(""))
        .execute(conn)?;
    diesel::update(talks::table.filter(talks::proposer_id.eq(user)))
        .set(talks::title.eq(""))
        .execute(conn)?;
    diesel::update(talk_occurrences::table.filter(talk_occurrences::marked_by.eq(user)))
        .filter(talk_occurrences::notes.is_not_null())
        .set(talk_occurrences::notes.eq(""))
        .execute(conn)?;
    // An address they typed to invite someone is not the partner's history.
    diesel::update(invites::table.filter(invites::created_by.eq(user)))
        .set(invites::email.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// Takes the agenda items `user` wrote (when proposing a talk, or added later) out of the
/// talks' agendas; the partner's own items stay. Read from the events, before they are scrubbed.
fn remove_agenda_items(conn: &mut DbConnection, user: UserId) -> StoreResult<()> {
    let written: Vec<String> = events::table
        .filter(events::actor_id.eq(user))
        .filter(events::kind.eq_any(["talk.proposed", "talk.agenda_added"]))
        .select(events::payload)
        .load(conn)?;
    let mut theirs: HashMap<String, Vec<String>> = HashMap::new();
    for payload in written {
        let Ok(payload) = serde_json::from_str::<Value>(&payload) else {
            continue;
        };
        let Some(talk) = payload["talk_id"].as_str() else {
            continue;
        };
        let items = theirs.entry(talk.to_owned()).or_default();
        if let Some(item) = payload["item"].as_str() {
            items.push(item.to_owned());
        }
        for item in payload["agenda"].as_array().into_iter().flatten() {
            items.extend(item.as_str().map(str::to_owned));
        }
    }
    for (talk, items) in theirs {
        let stored: Option<String> = talks::table
            .find(&talk)
            .select(talks::agenda)
            .first(conn)
            .optional()?;
        let Some(stored) = stored else { continue };
        let mut agenda: Vec<String> = crate::rows::stored_json("agenda", &stored)?;
        for item in &items {
            if let Some(at) = agenda.iter().position(|kept| kept == item) {
                agenda.remove(at);
            }
        }
        diesel::update(talks::table.find(&talk))
            .set(talks::agenda.eq(json!(agenda).to_string()))
            .execute(conn)?;
    }
    Ok(())
}

/// Removes `user`'s words from the events they acted in: the fields holding words are emptied
/// (the redactable kinds already took their redacted form with their rows). Kind, seq, actor
/// and time stay.
fn redact_events(conn: &mut DbConnection, user: UserId) -> StoreResult<()> {
    type Row = (String, i64, String, String);
    let acted: Vec<Row> = events::table
        .filter(events::actor_id.eq(user))
        .select((events::space_id, events::seq, events::kind, events::payload))
        .load(conn)?;
    for (space, seq, kind, payload) in acted {
        // Check-ins and notes were scrubbed with their rows (`redact_rows`).
        if REDACTABLE.iter().any(|(k, _)| *k == kind) {
            continue;
        }
        let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(&payload) else {
            continue;
        };
        let mut changed = false;
        for (name, value) in &mut fields {
            let blank = match value {
                Value::String(_) if WORDS.contains(&name.as_str()) => json!(""),
                Value::String(_) if name == "display_name" => json!(FORMER_MEMBER),
                Value::Array(_) if name == "agenda" => json!([]),
                _ => continue,
            };
            *value = blank;
            changed = true;
        }
        if changed {
            diesel::update(events::table.find((&space, seq)))
                .set(events::payload.eq(Value::Object(fields).to_string()))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Ends everything that belonged to the person and leaves their row as a tombstone: the id, a
/// neutral name, and an address that cannot be anyone's.
fn forget_person(conn: &mut DbConnection, user: UserId, now: DateTime<Utc>) -> StoreResult<()> {
    let address: String = users::table.find(user).select(users::email).first(conn)?;
    // The invite that brought them in may have been mailed to their address.
    diesel::update(invites::table.filter(invites::used_by.eq(user)))
        .set(invites::email.eq(None::<String>))
        .execute(conn)?;
    diesel::update(invites::table.filter(invites::email.eq(&address)))
        .set(invites::email.eq(None::<String>))
        .execute(conn)?;
    diesel::delete(deliveries::table.filter(deliveries::to_address.eq(&address))).execute(conn)?;
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user))).execute(conn)?;
    // Their weekly answers are theirs alone until shown, and go with them.
    crate::weekly::forget_answers_of(conn, user)?;
    diesel::delete(email_tokens::table.filter(email_tokens::user_id.eq(user))).execute(conn)?;
    diesel::delete(calendar_tokens::table.filter(calendar_tokens::user_id.eq(user)))
        .execute(conn)?;
    diesel::delete(deliveries::table.filter(deliveries::recipient_id.eq(user.to_string())))
        .execute(conn)?;
    // Mail that went to the partner about them may have quoted their words.
    diesel::update(deliveries::table.filter(deliveries::about_user_id.eq(user.to_string())))
        .set(deliveries::data.eq("{}"))
        .execute(conn)?;
    let at = stored_time(now);
    diesel::update(users::table.find(user))
        .set((
            users::email.eq(format!("deleted-{user}@invalid")),
            users::password_hash.eq(""),
            users::display_name.eq(FORMER_MEMBER),
            users::time_zone.eq("UTC"),
            users::email_verified_at.eq(None::<NaiveDateTime>),
            users::check_in_times.eq("[]"),
            users::mail_preferences.eq(kept_core::mail::MailPreferences::default().to_stored()),
            users::updated_at.eq(at),
            users::disabled_at.eq(at),
            users::deleted_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}
