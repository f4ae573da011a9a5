//! Single-use links mailed to a person: verifying their address (sent on sign-up, and again on
//! request) and resetting a forgotten password. Tokens are stored as their SHA-256; the mail
//! carrying the plain token is written in the same transaction.

use crate::error::StoreResult;
use crate::outbox::{Mail, To, enqueue};
use crate::rows::{stored_json, stored_time};
use crate::schema::{deliveries, email_tokens, users};
use crate::sessions::end_all_sessions;
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::account::Email;
use kept_core::mail::{MailKind, MailPreferences};
use kept_core::{UserId, name_of};
use serde_json::json;

/// How long a verification link works.
pub const VERIFY_TTL: Duration = Duration::days(2);
/// How long a password reset link works.
pub const RESET_TTL: Duration = Duration::hours(1);

/// A freshly made secret for a link: the plain value goes into the mail, the digest into the
/// table.
#[derive(Debug, Clone)]
pub struct LinkSecret {
    pub plain: String,
    pub digest: String,
}

impl LinkSecret {
    pub fn from_plain(plain: impl Into<String>) -> Self {
        let plain = plain.into();
        let digest = crate::secret_digest(&plain);
        LinkSecret { plain, digest }
    }
}

/// What a mailed link is for; stored by its serde name, like every stored enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Purpose {
    VerifyEmail,
    PasswordReset,
}

/// Records a verification link for `user` and writes the mail that carries it.
pub(crate) fn send_verification(
    conn: &mut DbConnection,
    user: UserId,
    secret: &LinkSecret,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    insert_token(
        conn,
        user,
        Purpose::VerifyEmail,
        secret,
        now + VERIFY_TTL,
        now,
    )?;
    let mail = Mail {
        dedupe_key: format!("verify_email:{}", secret.digest),
        template: "verify_email",
        kind: None,
        about: None,
        data: json!({ "link": format!("/verify-email?token={}", secret.plain) }),
    };
    enqueue(conn, To::User(user), mail, now)?;
    Ok(())
}

pub(crate) fn insert_token(
    conn: &mut DbConnection,
    user: UserId,
    purpose: Purpose,
    secret: &LinkSecret,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::token_hash.eq(&secret.digest),
            email_tokens::user_id.eq(user),
            email_tokens::purpose.eq(name_of(purpose)),
            email_tokens::created_at.eq(stored_time(now)),
            email_tokens::expires_at.eq(stored_time(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Spends a token of `purpose`: its user if it was valid (known, unused, unexpired).
fn spend_token(
    conn: &mut DbConnection,
    digest: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> StoreResult<Option<UserId>> {
    let spent = diesel::update(email_tokens::table.find(digest))
        .filter(email_tokens::purpose.eq(name_of(purpose)))
        .filter(email_tokens::used_at.is_null())
        .filter(email_tokens::expires_at.gt(stored_time(now)))
        .set(email_tokens::used_at.eq(stored_time(now)))
        .execute(conn)?;
    if spent == 0 {
        return Ok(None);
    }
    let user: UserId = email_tokens::table
        .find(digest)
        .select(email_tokens::user_id)
        .first(conn)?;
    Ok(Some(user))
}

impl Store {
    /// Mails a new verification link, unless the address is already verified.
    pub fn resend_verification(&self, user: UserId, secret: LinkSecret) -> StoreResult<bool> {
        let now = self.now();
        self.write(|conn| {
            let verified: Option<NaiveDateTime> = users::table
                .find(user)
                .select(users::email_verified_at)
                .first(conn)?;
            if verified.is_some() {
                return Ok(false);
            }
            send_verification(conn, user, &secret, now)?;
            Ok(true)
        })
    }

    /// Marks the address of the token's user verified. `None`: the link is unknown, used or
    /// expired.
    pub fn verify_email(&self, digest: &str) -> StoreResult<Option<UserId>> {
        let now = self.now();
        self.write(|conn| {
            let Some(user) = spend_token(conn, digest, Purpose::VerifyEmail, now)? else {
                return Ok(None);
            };
            diesel::update(users::table.find(user))
                .filter(users::email_verified_at.is_null())
                .set(users::email_verified_at.eq(stored_time(now)))
                .execute(conn)?;
            Ok(Some(user))
        })
    }

    /// Mails a reset link if `email` belongs to an account with a verified address; says
    /// nothing either way (the caller answers 202 regardless).
    pub fn request_password_reset(&self, email: &Email, secret: LinkSecret) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            let user = users::table
                .filter(users::email.eq(email.as_str()))
                .filter(users::email_verified_at.is_not_null())
                .filter(users::disabled_at.is_null())
                .select(users::id)
                .first::<UserId>(conn)
                .optional()?;
            let Some(user) = user else {
                return Ok(());
            };
            insert_token(
                conn,
                user,
                Purpose::PasswordReset,
                &secret,
                now + RESET_TTL,
                now,
            )?;
            let mail = Mail {
                dedupe_key: format!("password_reset:{}", secret.digest),
                template: "password_reset",
                kind: None,
                about: None,
                data: json!({ "link": format!("/reset-password?token={}", secret.plain) }),
            };
            enqueue(conn, To::User(user), mail, now)?;
            Ok(())
        })
    }

    /// Sets a new password with a reset token and signs every session out. `None`: the link is
    /// unknown, used or expired.
    pub fn reset_password(&self, digest: &str, password_hash: &str) -> StoreResult<Option<UserId>> {
        let now = self.now();
        self.write(|conn| {
            let Some(user) = spend_token(conn, digest, Purpose::PasswordReset, now)? else {
                return Ok(None);
            };
            diesel::update(users::table.find(user))
                .set((
                    users::password_hash.eq(password_hash),
                    users::updated_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            end_all_sessions(conn, user, now)?;
            Ok(Some(user))
        })
    }

    /// Turns one kind of mail off for `user` (the one-click unsubscribe).
    pub fn unsubscribe(&self, user: UserId, kind: MailKind) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            let stored: Option<String> = users::table
                .find(user)
                .select(users::mail_preferences)
                .first(conn)
                .optional()?;
            let Some(stored) = stored else {
                return Ok(());
            };
            let mut preferences: MailPreferences = stored_json("mail preferences", &stored)?;
            preferences.turn_off(kind);
            diesel::update(users::table.find(user))
                .set((
                    users::mail_preferences.eq(preferences.to_stored()),
                    users::updated_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            // What mail is still waiting of that kind is not sent either (pushes follow the
            // devices' own choice of kinds, not the mail switches).
            diesel::update(deliveries::table)
                .filter(deliveries::recipient_id.eq(user))
                .filter(deliveries::push_subscription_id.is_null())
                .filter(deliveries::kind.eq(kind))
                .filter(deliveries::status.eq("pending"))
                .set((
                    deliveries::status.eq("cancelled"),
                    deliveries::last_error.eq("unsubscribed"),
                ))
                .execute(conn)?;
            Ok(())
        })
    }
}
