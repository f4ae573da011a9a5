//! The worker's side of the outbox: claiming due mail and pushes under a lease, and settling
//! each delivery as sent, to be retried or failed (or, for a push, its device gone).

use crate::dialect::load_claimed;
use crate::error::{StoreError, StoreResult};
use crate::rows::{stored_json, stored_name, stored_time};
use crate::schema::{deliveries, push_subscriptions as subs};
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use kept_core::mail::MailKind;
use kept_core::{PushSubscriptionId, UserId};
use serde_json::Value;
use std::collections::HashMap;

/// Templates whose data carries a secret (a single-use link): the data is cleared once sent.
const SECRET_TEMPLATES: &[&str] = &["verify_email", "password_reset", "invite"];

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
    /// For a push, the device it goes to (`data` is then its payload); `None` for mail.
    pub push: Option<PushTarget>,
}

/// The device a push goes to: the endpoint its push service gave it and its keys (base64url).
#[derive(Clone)]
pub struct PushTarget {
    pub subscription: PushSubscriptionId,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl std::fmt::Debug for PushTarget {
    // The endpoint and keys are secrets of the device: they stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushTarget")
            .field("subscription", &self.subscription)
            .finish_non_exhaustive()
    }
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
    push_subscription_id: Option<String>,
}

impl ClaimedDelivery {
    /// The row as the worker wants it; a push whose device is not among `devices` cannot be
    /// sent anywhere (removing a device removes its pushes, so this is a broken row).
    fn read(row: ClaimRow, devices: &HashMap<String, PushTarget>) -> StoreResult<Self> {
        let push = match &row.push_subscription_id {
            None => None,
            Some(device) => Some(devices.get(device).cloned().ok_or_else(|| {
                StoreError::Corrupt(format!("push device {device} is not stored"))
            })?),
        };
        Ok(ClaimedDelivery {
            push,
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

/// How one attempt ended, for the delivery `id` (to the device `push`, for a push).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub push: Option<PushSubscriptionId>,
    pub settlement: Settlement,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Sent,
    /// Failed this time; tried again at `at`.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    /// Failed for good.
    Failed {
        error: String,
    },
    /// The push service says the device is gone (404, 410): it is removed, and its pushes
    /// with it.
    DeviceGone {
        error: String,
    },
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
                    deliveries::push_subscription_id,
                ))
                .load(conn)?;
            let devices = push_targets(conn, &rows)?;
            // Each row is read on its own: one that cannot be read is logged and marked failed
            // (it would fail every time), and does not hold back the others.
            let mut claimed = Vec::with_capacity(rows.len());
            for row in rows {
                let id = row.id.clone();
                match ClaimedDelivery::read(row, &devices) {
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
    /// its data (single-use links), and a sent push marks its device used; a failure is retried
    /// at its time, or marked failed with its error kept; a device its push service says is
    /// gone is removed, with its pushes.
    pub fn settle_deliveries(&self, outcomes: &[Outcome]) -> StoreResult<()> {
        let now = stored_time(self.now());
        self.write(|conn| {
            // The devices reached, marked used in one statement (a batch often holds several
            // pushes to one device).
            let mut reached: Vec<PushSubscriptionId> = outcomes
                .iter()
                .filter(|outcome| outcome.settlement == Settlement::Sent)
                .filter_map(|outcome| outcome.push)
                .collect();
            reached.sort_unstable();
            reached.dedup();
            if !reached.is_empty() {
                diesel::update(subs::table.filter(subs::id.eq_any(&reached)))
                    .set(subs::last_used_at.eq(now))
                    .execute(conn)?;
            }
            for outcome in outcomes {
                let pending = deliveries::table
                    .find(&outcome.id)
                    .filter(deliveries::status.eq("pending"));
                match &outcome.settlement {
                    Settlement::Sent => {
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
                    Settlement::Retry { error, at } => {
                        diesel::update(pending)
                            .set((
                                deliveries::next_attempt_at.eq(stored_time(*at)),
                                deliveries::last_error.eq(error),
                            ))
                            .execute(conn)?;
                    }
                    Settlement::Failed { error } => {
                        diesel::update(pending)
                            .set((
                                deliveries::status.eq("failed"),
                                deliveries::last_error.eq(error),
                            ))
                            .execute(conn)?;
                    }
                    Settlement::DeviceGone { error } => {
                        tracing::info!(delivery = %outcome.id, %error, "a push device is gone; removed");
                        if let Some(device) = outcome.push {
                            diesel::delete(subs::table.find(device)).execute(conn)?;
                        }
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
}

/// The devices the claimed pushes among `rows` go to, by id, read in one query.
fn push_targets(
    conn: &mut DbConnection,
    rows: &[ClaimRow],
) -> StoreResult<HashMap<String, PushTarget>> {
    let ids: Vec<&str> = rows
        .iter()
        .filter_map(|row| row.push_subscription_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(PushSubscriptionId, String, String, String)> = subs::table
        .filter(subs::id.eq_any(ids))
        .select((subs::id, subs::endpoint, subs::p256dh, subs::auth))
        .load(conn)?;
    Ok(found
        .into_iter()
        .map(|(subscription, endpoint, p256dh, auth)| {
            let target = PushTarget {
                subscription,
                endpoint,
                p256dh,
                auth,
            };
            (subscription.to_string(), target)
        })
        .collect())
}
