//! Pushes written beside mail: one delivery row per device of the recipient that takes the
//! notice's kind, due when the mail would be (quiet hours hold both). The row's data is the
//! payload the device receives, `{kind, link}`: a lock screen shows no words of the partner's.

use super::message::Mail;
use crate::DbConnection;
use crate::dialect::insert_unless_taken;
use crate::error::StoreResult;
use crate::rows::{stored_json, stored_time};
use crate::schema::{deliveries, push_subscriptions as subs};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use kept_core::ids::DeliveryId;
use kept_core::mail::MailKind;
use kept_core::push::PushKinds;
use kept_core::{PushSubscriptionId, UserId};
use serde_json::json;

/// Writes a push of `mail` for each of `user`'s devices that takes `kind`. Returns how many.
pub(super) fn enqueue_pushes(
    conn: &mut DbConnection,
    user: UserId,
    mail: &Mail,
    kind: MailKind,
    due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<usize> {
    let devices: Vec<(PushSubscriptionId, String, String)> = subs::table
        .filter(subs::user_id.eq(user))
        .select((subs::id, subs::endpoint, subs::kinds))
        .load(conn)?;
    if devices.is_empty() {
        return Ok(0);
    }
    let Some(link) = mail.data.get("link").and_then(|link| link.as_str()) else {
        tracing::error!(
            template = mail.template,
            "a notice without a link; not pushed"
        );
        return Ok(0);
    };
    let payload = json!({ "kind": kind, "link": link }).to_string();
    let mut written = 0;
    for (device, endpoint, kinds) in devices {
        // A device whose stored choice cannot be read is skipped, not the command failed.
        let admits = stored_json::<PushKinds>("push kinds", &kinds).map(|k| k.admits(kind));
        match admits {
            Ok(true) => {}
            Ok(false) => continue,
            Err(error) => {
                tracing::error!(%device, %error, "a device's push kinds are corrupt; not pushed");
                continue;
            }
        }
        let service = crate::push::service_of(&endpoint).unwrap_or_default();
        let row = (
            deliveries::id.eq(DeliveryId::new_at(now).to_string()),
            deliveries::dedupe_key.eq(format!("{}:push:{device}", mail.dedupe_key)),
            deliveries::recipient_id.eq(user.to_string()),
            deliveries::to_address.eq(service),
            deliveries::about_user_id.eq(mail.about),
            deliveries::template.eq("push"),
            deliveries::kind.eq(kind),
            deliveries::data.eq(&payload),
            deliveries::status.eq("pending"),
            deliveries::next_attempt_at.eq(stored_time(due)),
            deliveries::created_at.eq(stored_time(now)),
            deliveries::push_subscription_id.eq(device.to_string()),
        );
        written += insert_unless_taken!(conn, deliveries::table, row, deliveries::dedupe_key)?;
    }
    if written > 0 && due <= now {
        crate::published::record_mail_due();
    }
    Ok(written)
}
