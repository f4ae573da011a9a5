//! Accounts and sign-in sessions. A session is one device; its refresh tokens rotate within it,
//! so it is also the token family: presenting a token that was already rotated means someone
//! holds a stolen copy, and the whole session is revoked.

use crate::account_tokens::{LinkSecret, send_verification};
use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::rows::{stored_json, stored_time, utc};
use crate::schema::{refresh_tokens, sessions, users};
use crate::sessions::end_all_sessions;
use crate::spaces::{SpaceView, join_by_invite, load_space};
use crate::{DbConnection, Store};
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::account::{DisplayName, Email, RegistrationPolicy, TimeZone};
use kept_core::check_in::CheckInTimes;
use kept_core::mail::MailPreferences;
use kept_core::{DomainError, SessionId, UserId};
use serde::Serialize;

/// What a person sees of their own account.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = User))]
pub struct UserView {
    pub id: UserId,
    pub email: Email,
    pub display_name: String,
    pub time_zone: TimeZone,
    pub email_verified: bool,
    /// Local times of day for check-in reminders.
    pub check_in_times: CheckInTimes,
    pub mail: MailPreferences,
    pub created_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: UserId,
    email: String,
    display_name: String,
    time_zone: String,
    email_verified_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    check_in_times: String,
    mail_preferences: String,
}

impl TryFrom<UserRow> for UserView {
    type Error = StoreError;
    fn try_from(row: UserRow) -> StoreResult<Self> {
        Ok(Self {
            id: row.id,
            email: Email::from_trusted(row.email),
            display_name: row.display_name,
            time_zone: TimeZone::parse(&row.time_zone).map_err(StoreError::Corrupt)?,
            email_verified: row.email_verified_at.is_some(),
            check_in_times: stored_json("check-in times", &row.check_in_times)?,
            mail: stored_json("mail preferences", &row.mail_preferences)?,
            created_at: utc(row.created_at),
        })
    }
}

#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    /// An argon2id PHC string; the store never sees the password.
    pub password_hash: String,
    pub display_name: DisplayName,
    pub time_zone: TimeZone,
    /// The link that verifies the address, mailed in the same transaction.
    pub verification: LinkSecret,
    /// Who may sign up on this server.
    pub policy: RegistrationPolicy,
    /// The digest of an invite code: the new account joins its space in the same transaction
    /// (and under `invite_only` it is what admits the sign-up).
    pub invite: Option<String>,
}

/// An account as a login attempt sees it.
#[derive(Debug)]
pub struct Credentials {
    pub user: UserId,
    /// An argon2id PHC string.
    pub password_hash: String,
    /// Disabled by the operator: the right password still opens no session.
    pub disabled: bool,
}

/// A new account, and the space its invite joined it to.
#[derive(Debug)]
pub struct Registered {
    pub user: UserView,
    pub joined: Option<SpaceView>,
}

/// A profile edit: `None` leaves the field as it is.
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub display_name: Option<DisplayName>,
    pub time_zone: Option<TimeZone>,
    pub check_in_times: Option<CheckInTimes>,
    /// Fields of [`MailPreferences`] to change (a partial JSON object), merged in the transaction.
    pub mail: Option<serde_json::Value>,
}

/// Diesel leaves a `None` field out of the `SET` clause.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct ProfileUpdate<'a> {
    display_name: Option<&'a str>,
    time_zone: Option<&'a str>,
    check_in_times: Option<String>,
    mail_preferences: Option<String>,
    updated_at: NaiveDateTime,
}

enum Rotation {
    Rotated(UserId, SessionId),
    Refused,
}

impl Store {
    /// Creates an account, if the registration policy admits it, and mails the link that
    /// verifies its address. With an invite, the account joins its space too: a bad invite
    /// refuses the whole sign-up.
    pub fn register(&self, account: NewAccount) -> StoreResult<Registered> {
        let now = self.now();
        let id = UserId::new_at(now);
        self.write(|conn| {
            let first_account = account.policy == RegistrationPolicy::InviteOnly
                && account.invite.is_none()
                && no_account_yet(conn)?;
            account
                .policy
                .admits(account.invite.is_some(), first_account)?;
            // An unknown code is refused before the address is looked at, so that a made-up
            // code cannot tell an outsider which addresses have accounts.
            if let Some(digest) = &account.invite {
                crate::spaces::invite_exists(conn, digest)?;
            }
            insert_account(conn, id, &account, now)?;
            send_verification(conn, id, &account.verification, now)?;
            let joined = match &account.invite {
                Some(digest) => {
                    let space = join_by_invite(conn, id, digest, now)?;
                    Some(load_space(conn, space)?)
                }
                None => None,
            };
            Ok(Registered {
                user: load_user(conn, id)?,
                joined,
            })
        })
    }

    /// What a login attempt is checked against, if the email is known.
    pub fn credentials(&self, email: &Email) -> StoreResult<Option<Credentials>> {
        self.read(|conn| {
            let found = users::table
                .filter(users::email.eq(email.as_str()))
                .select((users::id, users::password_hash, users::disabled_at))
                .first::<(UserId, String, Option<NaiveDateTime>)>(conn)
                .optional()?;
            Ok(found.map(|(user, password_hash, disabled_at)| Credentials {
                user,
                password_hash,
                disabled: disabled_at.is_some(),
            }))
        })
    }

    /// The password hash of `user`, to confirm a grave step (deleting the account) with it.
    pub fn password_hash(&self, user: UserId) -> StoreResult<String> {
        self.read(|conn| {
            Ok(users::table
                .find(user)
                .select(users::password_hash)
                .first(conn)?)
        })
    }

    /// Opens a session for a device with its first refresh token.
    pub fn start_session(
        &self,
        user: UserId,
        refresh_digest: &str,
        refresh_ttl: Duration,
    ) -> StoreResult<SessionId> {
        let now = self.now();
        let session = SessionId::new_at(now);
        self.write(|conn| {
            // Checked here, in the session's own transaction: a disable or deletion that
            // committed while the password was being checked still wins.
            let usable = users::table
                .find(user)
                .filter(users::disabled_at.is_null())
                .filter(users::deleted_at.is_null())
                .count()
                .get_result::<i64>(conn)?;
            if usable == 0 {
                return Err(StoreError::Unauthenticated);
            }
            diesel::insert_into(sessions::table)
                .values((
                    sessions::id.eq(session),
                    sessions::user_id.eq(user),
                    sessions::created_at.eq(stored_time(now)),
                    sessions::last_used_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            insert_refresh_token(conn, session, refresh_digest, now, refresh_ttl)?;
            Ok(session)
        })
    }

    /// Exchanges a refresh token for the next one in its session. A token already exchanged
    /// revokes the session (the revocation is committed, then the caller is refused).
    pub fn rotate_refresh_token(
        &self,
        presented_digest: &str,
        next_digest: &str,
        refresh_ttl: Duration,
    ) -> StoreResult<(UserId, SessionId)> {
        let now = self.now();
        let rotation = self.write(|conn| {
            let found = refresh_tokens::table
                .inner_join(sessions::table)
                .filter(refresh_tokens::token_hash.eq(presented_digest))
                .select((sessions::id, sessions::user_id, sessions::revoked_at, refresh_tokens::expires_at, refresh_tokens::rotated_at))
                .first::<(SessionId, UserId, Option<NaiveDateTime>, NaiveDateTime, Option<NaiveDateTime>)>(conn)
                .optional()?;
            let Some((session_id, user_id, revoked_at, expires_at, rotated_at)) = found else {
                return Ok(Rotation::Refused);
            };
            let session = session_id;
            if rotated_at.is_some() {
                tracing::warn!(%session, "rotated refresh token presented again; revoking its session");
                revoke_session(conn, session, now)?;
                return Ok(Rotation::Refused);
            }
            if revoked_at.is_some() || utc(expires_at) <= now {
                return Ok(Rotation::Refused);
            }
            diesel::update(refresh_tokens::table.find(presented_digest))
                .set(refresh_tokens::rotated_at.eq(stored_time(now)))
                .execute(conn)?;
            diesel::update(sessions::table.find(session))
                .set(sessions::last_used_at.eq(stored_time(now)))
                .execute(conn)?;
            insert_refresh_token(conn, session, next_digest, now, refresh_ttl)?;
            Ok(Rotation::Rotated(user_id, session))
        })?;
        match rotation {
            Rotation::Rotated(user, session) => Ok((user, session)),
            Rotation::Refused => Err(StoreError::Unauthenticated),
        }
    }

    /// Signs one device out.
    pub fn end_session(&self, user: UserId, session: SessionId) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            let owned = sessions::table
                .filter(sessions::id.eq(session))
                .filter(sessions::user_id.eq(user))
                .count()
                .get_result::<i64>(conn)?;
            if owned == 1 {
                revoke_session(conn, session, now)
            } else {
                Err(StoreError::NotFound)
            }
        })
    }

    /// Signs every device of `user` out.
    pub fn end_all_sessions(&self, user: UserId) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| end_all_sessions(conn, user, now))
    }

    pub fn user(&self, user: UserId) -> StoreResult<UserView> {
        self.read(|conn| load_user(conn, user))
    }

    pub fn update_profile(&self, user: UserId, change: ProfileChange) -> StoreResult<UserView> {
        let now = stored_time(self.now());
        self.write(|conn| {
            let mail_preferences = match &change.mail {
                Some(fields) => {
                    let stored: String = users::table
                        .find(user)
                        .select(users::mail_preferences)
                        .first(conn)?;
                    let merged = stored_json::<MailPreferences>("mail preferences", &stored)?
                        .changed_by(fields)
                        .map_err(DomainError::from)?;
                    Some(merged.to_stored())
                }
                None => None,
            };
            let update = ProfileUpdate {
                display_name: change.display_name.as_ref().map(|name| name.as_str()),
                time_zone: change.time_zone.map(|zone| zone.name()),
                check_in_times: change
                    .check_in_times
                    .as_ref()
                    .map(|times| serde_json::to_string(times).unwrap_or_else(|_| "[]".into())),
                mail_preferences,
                updated_at: now,
            };
            diesel::update(users::table.find(user))
                .set(update)
                .execute(conn)?;
            crate::reminders::schedule::sync_person(conn, user, self.now())?;
            load_user(conn, user)
        })
    }
}

fn load_user(conn: &mut DbConnection, user: UserId) -> StoreResult<UserView> {
    users::table
        .find(user)
        .select(UserRow::as_select())
        .first(conn)?
        .try_into()
}

fn insert_refresh_token(
    conn: &mut DbConnection,
    session: SessionId,
    digest: &str,
    now: DateTime<Utc>,
    ttl: Duration,
) -> StoreResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(digest),
            refresh_tokens::session_id.eq(session),
            refresh_tokens::created_at.eq(stored_time(now)),
            refresh_tokens::expires_at.eq(stored_time(now + ttl)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Revokes one session (a device signed out, or a token family whose old token was replayed).
fn revoke_session(
    conn: &mut DbConnection,
    session: SessionId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    // The caller's own session is confirmed before any is ended (it may be this one).
    crate::scope::confirm_pending_session(conn)?;
    diesel::update(sessions::table.find(session))
        .filter(sessions::revoked_at.is_null())
        .set(sessions::revoked_at.eq(stored_time(now)))
        .execute(conn)?;
    Ok(())
}

/// Writes the account's row; a taken address is `EmailTaken`, even when a concurrent sign-up
/// took it first.
pub(crate) fn insert_account(
    conn: &mut DbConnection,
    id: UserId,
    account: &NewAccount,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let taken = users::table
        .filter(users::email.eq(account.email.as_str()))
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Err(DomainError::EmailTaken.into());
    }
    let now = stored_time(now);
    diesel::insert_into(users::table)
        .values((
            users::id.eq(id),
            users::email.eq(account.email.as_str()),
            users::password_hash.eq(&account.password_hash),
            users::display_name.eq(account.display_name.as_str()),
            users::time_zone.eq(account.time_zone.name()),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map_err(|e| {
            if is_unique_violation(&e) {
                DomainError::EmailTaken.into()
            } else {
                StoreError::from(e)
            }
        })?;
    Ok(())
}

/// Whether the server has no account yet. On PostgreSQL the table is locked against other
/// sign-ups first, so that two at once cannot both be the first (SQLite's writers already take
/// turns).
fn no_account_yet(conn: &mut DbConnection) -> StoreResult<bool> {
    if let DbConnection::Postgres(pg) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            pg,
            "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE",
        )?;
    }
    Ok(users::table
        .select(users::id)
        .first::<UserId>(conn)
        .optional()?
        .is_none())
}
