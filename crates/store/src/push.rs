//! A person's Web Push subscriptions, one per device: added from the device (an endpoint another
//! account used moves to this one: a device belongs to one account at a time), listed, renamed
//! or narrowed to some kinds, removed. Ending all of a person's sessions (sign out everywhere,
//! the safety exit, a password reset, account deletion) removes every one of them at once.

use crate::error::{StoreError, StoreResult};
use crate::rows::{stored_json, stored_time, utc};
use crate::schema::{deliveries, push_subscriptions as subs};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::mail::MailKind;
use kept_core::push::{DeviceKeys, DeviceLabel, Endpoint, PushKinds, base64url, parse_endpoint};
use kept_core::{PushSubscriptionId, UserId};
use serde::Serialize;

/// A device as its owner sees it in their list: never its secret endpoint, only the origin.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = PushSubscription))]
pub struct SubscriptionView {
    pub id: PushSubscriptionId,
    pub label: String,
    pub kinds: PushKinds,
    /// The push service's origin (`https://fcm.googleapis.com`).
    pub service: String,
    pub created_at: DateTime<Utc>,
    /// The last push it accepted.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A subscription as the device sends it, checked.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub endpoint: Endpoint,
    pub keys: DeviceKeys,
    pub label: DeviceLabel,
    pub kinds: PushKinds,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = subs)]
struct Row {
    id: PushSubscriptionId,
    endpoint: String,
    label: String,
    kinds: String,
    created_at: NaiveDateTime,
    last_used_at: Option<NaiveDateTime>,
}

/// The push service's origin of a stored endpoint (checked when stored; read back, only the
/// origin is wanted, never the secret rest).
pub(crate) fn service_of(endpoint: &str) -> StoreResult<String> {
    parse_endpoint(endpoint, true)
        .map(|endpoint| endpoint.origin())
        .map_err(|e| StoreError::Corrupt(format!("push endpoint {e}")))
}

fn view(row: Row) -> StoreResult<SubscriptionView> {
    let service = service_of(&row.endpoint)?;
    Ok(SubscriptionView {
        id: row.id,
        label: row.label,
        kinds: stored_json("push kinds", &row.kinds)?,
        service,
        created_at: utc(row.created_at),
        last_used_at: row.last_used_at.map(utc),
    })
}

fn load(
    conn: &mut DbConnection,
    user: UserId,
    id: PushSubscriptionId,
) -> StoreResult<SubscriptionView> {
    let row: Row = subs::table
        .find(id)
        .filter(subs::user_id.eq(user))
        .select(Row::as_select())
        .first(conn)?;
    view(row)
}

fn kinds_json(kinds: &PushKinds) -> StoreResult<String> {
    serde_json::to_string(kinds).map_err(|e| StoreError::Internal(format!("push kinds: {e}")))
}

impl Store {
    /// Stores the device's subscription for `user`, replacing any for the same endpoint.
    pub fn add_push_subscription(
        &self,
        user: UserId,
        new: NewSubscription,
    ) -> StoreResult<SubscriptionView> {
        let now = self.now();
        let id = PushSubscriptionId::new_at(now);
        self.write(|conn| {
            diesel::delete(subs::table.filter(subs::endpoint.eq(new.endpoint.as_str())))
                .execute(conn)?;
            diesel::insert_into(subs::table)
                .values((
                    subs::id.eq(id),
                    subs::user_id.eq(user),
                    subs::endpoint.eq(new.endpoint.as_str()),
                    subs::p256dh.eq(base64url(&new.keys.p256dh)),
                    subs::auth.eq(base64url(&new.keys.auth)),
                    subs::label.eq(new.label.as_str()),
                    subs::kinds.eq(kinds_json(&new.kinds)?),
                    subs::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            load(conn, user, id)
        })
    }

    /// The person's devices, newest first.
    pub fn push_subscriptions(&self, user: UserId) -> StoreResult<Vec<SubscriptionView>> {
        self.read(|conn| {
            subs::table
                .filter(subs::user_id.eq(user))
                .order((subs::created_at.desc(), subs::id.desc()))
                .select(Row::as_select())
                .load(conn)?
                .into_iter()
                .map(view)
                .collect()
        })
    }

    /// Renames a device or changes what it receives; another person's is not found.
    pub fn change_push_subscription(
        &self,
        user: UserId,
        id: PushSubscriptionId,
        label: Option<DeviceLabel>,
        kinds: Option<PushKinds>,
    ) -> StoreResult<SubscriptionView> {
        self.write(|conn| {
            let mine = subs::table.find(id).filter(subs::user_id.eq(user));
            if let Some(label) = label {
                diesel::update(mine)
                    .set(subs::label.eq(label.as_str()))
                    .execute(conn)?;
            }
            if let Some(kinds) = kinds {
                let changed = diesel::update(mine)
                    .set(subs::kinds.eq(kinds_json(&kinds)?))
                    .execute(conn)?;
                if changed > 0 {
                    drop_waiting_unless(conn, id, kinds)?;
                }
            }
            load(conn, user, id)
        })
    }

    /// Removes one of the person's devices; another person's is not found.
    pub fn remove_push_subscription(
        &self,
        user: UserId,
        id: PushSubscriptionId,
    ) -> StoreResult<()> {
        self.write(|conn| {
            let removed = diesel::delete(subs::table.find(id).filter(subs::user_id.eq(user)))
                .execute(conn)?;
            if removed == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
    }
}

/// Pushes still waiting for device `id` of a kind it no longer takes are not sent.
fn drop_waiting_unless(
    conn: &mut DbConnection,
    id: PushSubscriptionId,
    kinds: PushKinds,
) -> StoreResult<()> {
    let waiting: Vec<(String, Option<MailKind>)> = deliveries::table
        .filter(deliveries::push_subscription_id.eq(id.to_string()))
        .filter(deliveries::status.eq("pending"))
        .select((deliveries::id, deliveries::kind))
        .load(conn)?;
    let unwanted: Vec<String> = waiting
        .into_iter()
        .filter(|(_, kind)| !kind.is_some_and(|kind| kinds.admits(kind)))
        .map(|(delivery, _)| delivery)
        .collect();
    if !unwanted.is_empty() {
        diesel::delete(deliveries::table.filter(deliveries::id.eq_any(&unwanted))).execute(conn)?;
    }
    Ok(())
}

/// Every device of `user` stops receiving pushes (their sessions all ended).
pub(crate) fn remove_all_of(conn: &mut DbConnection, user: UserId) -> StoreResult<()> {
    diesel::delete(subs::table.filter(subs::user_id.eq(user))).execute(conn)?;
    Ok(())
}
