//! The outbox: mail (and the Web Push notices beside it) is written here inside the command's
//! transaction (so it exists exactly when the command committed), then claimed, sent and settled
//! by the worker in `kept-notify`.
//! Whether a person gets a mail at all (verified address, preferences) and when (quiet hours) is
//! decided at writing time, from core's rules.

use crate::dialect::insert_unless_taken;
use crate::error::{StoreError, StoreResult};
use crate::rows::{stored_json, stored_time, stored_zone};
use crate::schema::{deliveries, memberships, users};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::activity_mail::ActivityMail;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::mail::{MailKind, MailPreferences};
use kept_core::{SpaceId, UserId};
use serde_json::{Value, json};

mod delivery;
mod message;
mod push_rows;
pub use delivery::{Backlog, ClaimedDelivery, OutboxCounts, Outcome, PushTarget, Settlement};
pub use message::{Mail, To};

/// What the outbox needs to know about a recipient.
struct Recipient {
    email: String,
    display_name: String,
    verified: bool,
    zone: chrono_tz::Tz,
    preferences: MailPreferences,
}

/// The person `user`, if they exist and their settings can be read. Unreadable settings are
/// logged and the mail is not written: one person's corrupt row must not fail the command that
/// the other partner is making, and guessing their preferences could mail what they turned off.
fn recipient(conn: &mut DbConnection, user: UserId) -> StoreResult<Option<Recipient>> {
    // A disabled account gets no mail at all.
    let row = users::table
        .find(user)
        .filter(users::disabled_at.is_null())
        .select((
            users::email,
            users::display_name,
            users::email_verified_at,
            users::time_zone,
            users::mail_preferences,
        ))
        .first::<(String, String, Option<NaiveDateTime>, String, String)>(conn)
        .optional()?;
    let Some((email, display_name, verified_at, zone, preferences)) = row else {
        return Ok(None);
    };
    let settings = stored_zone(&zone)
        .and_then(|zone| Ok((zone, stored_json("mail preferences", &preferences)?)));
    match settings {
        Ok((zone, preferences)) => Ok(Some(Recipient {
            email,
            display_name,
            verified: verified_at.is_some(),
            zone,
            preferences,
        })),
        Err(StoreError::Corrupt(cause)) => {
            tracing::error!(%user, %cause, "a person's mail settings are corrupt; no mail written");
            Ok(None)
        }
        Err(other) => Err(other),
    }
}

/// Writes `mail` to `to`, unless their preferences or an unverified address rule it out.
/// Returns whether a row was written (a duplicate dedupe key writes nothing).
pub(crate) fn enqueue(
    conn: &mut DbConnection,
    to: To,
    mut mail: Mail,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (recipient_id, address, due) = match to {
        To::Address(address) => (None, address, now),
        To::User(user) => {
            let Some(person) = recipient(conn, user)? else {
                return Ok(false);
            };
            // The person's devices are told too, by their own choice of kinds rather than the
            // mail switches, and held by the same quiet hours.
            if let Some(kind) = mail.kind {
                let due = person.preferences.release(now, person.zone);
                push_rows::enqueue_pushes(conn, user, &mail, kind, due, now)?;
            }
            // An unverified address gets only the mail that verifies it.
            if !person.verified && mail.template != "verify_email" {
                return Ok(false);
            }
            let due = match mail.kind {
                Some(kind) if !person.preferences.allows(kind) => return Ok(false),
                Some(_) => person.preferences.release(now, person.zone),
                None => now,
            };
            if let Some(fields) = mail.data.as_object_mut() {
                fields.insert("name".to_owned(), json!(person.display_name));
                if !person.preferences.quote_text {
                    // Kept, as nothing: the template asks for every value it may show.
                    fields.insert("quote".to_owned(), Value::Null);
                }
            }
            (Some(user.to_string()), person.email, due)
        }
    };
    let row = (
        deliveries::id.eq(kept_core::ids::DeliveryId::new_at(now).to_string()),
        deliveries::dedupe_key.eq(&mail.dedupe_key),
        deliveries::recipient_id.eq(recipient_id),
        deliveries::to_address.eq(address),
        deliveries::about_user_id.eq(mail.about),
        deliveries::template.eq(mail.template),
        deliveries::kind.eq(mail.kind),
        deliveries::data.eq(mail.data.to_string()),
        deliveries::status.eq("pending"),
        deliveries::next_attempt_at.eq(stored_time(due)),
        deliveries::created_at.eq(stored_time(now)),
    );
    // The same mail written twice (a retried command, two instances) is one row.
    let written = insert_unless_taken!(conn, deliveries::table, row, deliveries::dedupe_key)? == 1;
    (written && due <= now).then(crate::published::record_mail_due);
    Ok(written)
}

/// Mails the partner about `event` (see [`ActivityMail`]); a missed occurrence also notifies
/// the committer. Runs inside the event's transaction.
pub(crate) fn mail_about_event(
    conn: &mut DbConnection,
    space: SpaceId,
    actor: UserId,
    audience: Audience,
    event: &SpaceEvent,
    seq: i64,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(activity) = ActivityMail::for_event(space, event) else {
        return Ok(());
    };
    let members: Vec<UserId> = memberships::table
        .filter(memberships::space_id.eq(space))
        .filter(memberships::left_at.is_null())
        .select(memberships::user_id)
        .load(conn)?;
    let actor_name = users::table
        .find(actor)
        .select(users::display_name)
        .first::<String>(conn)
        .optional()?
        .unwrap_or_default();
    for member in members {
        let allowed = match audience {
            Audience::Members => true,
            Audience::Only(user) => user == member,
        };
        if member == actor || !allowed {
            continue;
        }
        let mail = Mail {
            dedupe_key: format!("event:{space}:{seq}:{member}"),
            template: "activity",
            kind: Some(activity.activity.mail_kind()),
            about: activity.activity.names_actor().then_some(actor),
            data: json!({
                "actor": if activity.activity.names_actor() { Value::from(actor_name.clone()) } else { Value::Null },
                "activity": activity.activity,
                "link": activity.link,
                "quote": activity.private_text,
            }),
        };
        enqueue(conn, To::User(member), mail, now)?;
    }
    if let SpaceEvent::OccurrenceMissed {
        commitment_id,
        occurrence_id,
        ..
    } = event
    {
        let notice = Mail {
            dedupe_key: format!("missed:{occurrence_id}"),
            template: "missed_notice",
            kind: Some(MailKind::MissedNotice),
            about: Some(actor),
            data: json!({ "link": format!("/spaces/{space}/commitments/{commitment_id}") }),
        };
        enqueue(conn, To::User(actor), notice, now)?;
    }
    Ok(())
}

/// After a safety exit: nothing more goes to the leaver, or about what they did.
pub(crate) fn cancel_mail_of(conn: &mut DbConnection, user: UserId) -> StoreResult<()> {
    let user = user.to_string();
    diesel::update(deliveries::table)
        .filter(deliveries::status.eq("pending"))
        .filter(
            deliveries::recipient_id
                .eq(&user)
                .or(deliveries::about_user_id.eq(&user)),
        )
        .set((
            deliveries::status.eq("cancelled"),
            deliveries::last_error.eq("cancelled by a safety exit"),
        ))
        .execute(conn)?;
    Ok(())
}

/// Cancels every mail still waiting for `user` (a disabled account), keeping `why`.
pub(crate) fn cancel_mail_to(conn: &mut DbConnection, user: UserId, why: &str) -> StoreResult<()> {
    diesel::update(deliveries::table)
        .filter(deliveries::status.eq("pending"))
        .filter(deliveries::recipient_id.eq(user.to_string()))
        .set((
            deliveries::status.eq("cancelled"),
            deliveries::last_error.eq(why),
        ))
        .execute(conn)?;
    Ok(())
}

impl Store {
    /// Writes one mail in its own transaction (for mail not tied to another command).
    pub fn enqueue_mail(&self, to: To, mail: Mail) -> StoreResult<bool> {
        let now = self.now();
        self.write(|conn| enqueue(conn, to, mail, now))
    }
}
