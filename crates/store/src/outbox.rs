//! The outbox: mail is written here inside the command's transaction (so it exists exactly when
//! the command committed), then claimed, sent and settled by the worker in `kept-notify`.
//! Whether a person gets a mail at all (verified address, preferences) and when (quiet hours) is
//! decided at writing time, from core's rules.

use crate::dialect::{insert_unless_taken, load_claimed};
use crate::error::{StoreError, StoreResult};
use crate::rows::{stored_json, stored_name, stored_time, stored_zone};
use crate::schema::{deliveries, memberships, users};
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::mail::{ActivityMail, MailKind, MailPreferences};
use kept_core::{SpaceId, UserId};
use serde_json::{Value, json};

/// Templates whose data carries a secret (a single-use link): the data is cleared once sent.
const SECRET_TEMPLATES: &[&str] = &["verify_email", "password_reset", "invite"];

/// One mail to write. `dedupe_key` makes writing it twice harmless and names the message
/// (its `Message-ID` derives from it).
#[derive(Debug, Clone)]
pub struct Mail {
    pub dedupe_key: String,
    pub template: &'static str,
    /// `None` for account mail, which is always sent and has no unsubscribe.
    pub kind: Option<MailKind>,
    /// Whose doing the mail is about (so a safety exit can stop it).
    pub about: Option<UserId>,
    pub data: Value,
}

/// Who a mail goes to.
#[derive(Debug, Clone)]
pub enum To {
    /// A person with an account: their preferences and quiet hours apply.
    User(UserId),
    /// An address without an account (an invite).
    Address(String),
}

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
    let row = users::table
        .find(user)
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
            kind: Some(MailKind::Activity),
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

/// A delivery handed to the worker, leased until its outcome is recorded.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: String,
    pub dedupe_key: String,
    pub to_address: String,
    pub recipient: Option<UserId>,
    pub template: String,
    pub kind: Option<MailKind>,
    pub data: Value,
    /// Attempts so far, this one included.
    pub attempts: i32,
}

#[derive(Queryable)]
struct ClaimRow {
    id: String,
    dedupe_key: String,
    to_address: String,
    recipient_id: Option<String>,
    template: String,
    kind: Option<String>,
    data: String,
    attempts: i32,
}

impl ClaimedDelivery {
    fn read(row: ClaimRow) -> StoreResult<Self> {
        Ok(ClaimedDelivery {
            recipient: row
                .recipient_id
                .as_deref()
                .map(|id| stored_name("recipient id", id))
                .transpose()?,
            kind: row
                .kind
                .as_deref()
                .map(|kind| stored_name("mail kind", kind))
                .transpose()?,
            data: stored_json("mail data", &row.data)?,
            id: row.id,
            dedupe_key: row.dedupe_key,
            to_address: row.to_address,
            template: row.template,
            attempts: row.attempts,
        })
    }
}

/// How one attempt ended: sent, or an error with the time to try again (`None`: give up).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub result: Result<(), (String, Option<DateTime<Utc>>)>,
}

/// Counts of the outbox by status, for tests, `/metrics` and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub cancelled: i64,
}

/// Mail the outbox still owes: due now and not sent, or given up on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Pending deliveries whose next attempt is due (not those held for quiet hours).
    pub due: i64,
    /// Deliveries given up on (a permanent error, or out of attempts).
    pub failed: i64,
}

impl Store {
    /// What the outbox still owes at this moment (for operators, and for tests that check no
    /// mail was left behind).
    pub fn outbox_backlog(&self) -> StoreResult<Backlog> {
        let now = self.now();
        self.read(|conn| {
            let due = deliveries::table
                .filter(deliveries::status.eq("pending"))
                .filter(deliveries::next_attempt_at.le(stored_time(now)))
                .count()
                .get_result(conn)?;
            let failed = deliveries::table
                .filter(deliveries::status.eq("failed"))
                .count()
                .get_result(conn)?;
            Ok(Backlog { due, failed })
        })
    }

    /// Claims up to `limit` due deliveries for `lease`: they are not due again until then, so a
    /// crashed sender's mail comes back, and two workers never hold the same row at once.
    pub fn claim_deliveries(
        &self,
        limit: i64,
        lease: Duration,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let now = self.now();
        self.write(|conn| {
            let due = deliveries::table
                .filter(deliveries::status.eq("pending"))
                .filter(deliveries::next_attempt_at.le(stored_time(now)))
                .order(deliveries::next_attempt_at)
                .limit(limit)
                .select(deliveries::id);
            let ids: Vec<String> = load_claimed!(conn, due)?;
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            diesel::update(deliveries::table.filter(deliveries::id.eq_any(&ids)))
                .set((
                    deliveries::next_attempt_at.eq(stored_time(now + lease)),
                    deliveries::attempts.eq(deliveries::attempts + 1),
                ))
                .execute(conn)?;
            let rows: Vec<ClaimRow> = deliveries::table
                .filter(deliveries::id.eq_any(&ids))
                .select((
                    deliveries::id,
                    deliveries::dedupe_key,
                    deliveries::to_address,
                    deliveries::recipient_id,
                    deliveries::template,
                    deliveries::kind,
                    deliveries::data,
                    deliveries::attempts,
                ))
                .load(conn)?;
            // Each row is read on its own: one that cannot be read is logged and marked failed
            // (it would fail every time), and does not hold back the others.
            let mut claimed = Vec::with_capacity(rows.len());
            for row in rows {
                let id = row.id.clone();
                match ClaimedDelivery::read(row) {
                    Ok(delivery) => claimed.push(delivery),
                    Err(StoreError::Corrupt(cause)) => {
                        tracing::error!(delivery = %id, %cause, "a delivery's stored data is corrupt");
                        diesel::update(deliveries::table.find(&id))
                            .set((
                                deliveries::status.eq("failed"),
                                deliveries::last_error.eq(format!("corrupt stored value: {cause}")),
                            ))
                            .execute(conn)?;
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(claimed)
        })
    }

    /// Records the outcome of each attempt in one transaction. Sent mail loses the secrets in
    /// its data (single-use links); a failure is retried at its time, or marked failed with
    /// its error kept.
    pub fn settle_deliveries(&self, outcomes: &[Outcome]) -> StoreResult<()> {
        let now = stored_time(self.now());
        self.write(|conn| {
            for outcome in outcomes {
                let pending = deliveries::table
                    .find(&outcome.id)
                    .filter(deliveries::status.eq("pending"));
                match &outcome.result {
                    Ok(()) => {
                        diesel::update(pending)
                            .set((
                                deliveries::status.eq("sent"),
                                deliveries::sent_at.eq(now),
                                deliveries::last_error.eq(None::<String>),
                            ))
                            .execute(conn)?;
                        diesel::update(deliveries::table.find(&outcome.id))
                            .filter(deliveries::template.eq_any(SECRET_TEMPLATES))
                            .set(deliveries::data.eq("{}"))
                            .execute(conn)?;
                    }
                    Err((error, Some(retry_at))) => {
                        diesel::update(pending)
                            .set((
                                deliveries::next_attempt_at.eq(stored_time(*retry_at)),
                                deliveries::last_error.eq(error),
                            ))
                            .execute(conn)?;
                    }
                    Err((error, None)) => {
                        diesel::update(pending)
                            .set((
                                deliveries::status.eq("failed"),
                                deliveries::last_error.eq(error),
                            ))
                            .execute(conn)?;
                    }
                }
            }
            Ok(())
        })
    }

    pub fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        self.read(|conn| {
            let rows: Vec<(String, i64)> = deliveries::table
                .group_by(deliveries::status)
                .select((deliveries::status, diesel::dsl::count_star()))
                .load(conn)?;
            let mut counts = OutboxCounts::default();
            for (status, count) in rows {
                match status.as_str() {
                    "pending" => counts.pending = count,
                    "sent" => counts.sent = count,
                    "failed" => counts.failed = count,
                    _ => counts.cancelled = count,
                }
            }
            Ok(counts)
        })
    }

    /// Writes one mail in its own transaction (for mail not tied to another command).
    pub fn enqueue_mail(&self, to: To, mail: Mail) -> StoreResult<bool> {
        let now = self.now();
        self.write(|conn| enqueue(conn, to, mail, now))
    }
}
