//! What the person running the server does from the command line (`kept users …`): list the
//! accounts, add one with a set-password link, disable and enable one. These pass no
//! registration policy and confirm no session: the operator is trusted by having the database.
//! Deleting an account is [`Store::delete_account`], the same as a person deleting their own.

use crate::Store;
use crate::account_tokens::{LinkSecret, Purpose, insert_token, send_verification};
use crate::accounts::{NewAccount, insert_account};
use crate::error::StoreResult;
use crate::rows::{stored_time, utc};
use crate::schema::{calendar_tokens, email_tokens, memberships, users};
use crate::sessions::end_all_sessions;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::UserId;
use kept_core::account::Email;
use serde::Serialize;

/// How long the set-password link of an account the operator added works.
pub const SET_PASSWORD_TTL: Duration = Duration::days(7);

/// One account as the operator sees it: no words of the person, only what running the server
/// needs.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSummary {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub created_at: DateTime<Utc>,
    pub email_verified: bool,
    pub disabled: bool,
    /// Spaces the person is a member of now.
    pub spaces: i64,
}

impl Store {
    /// Every account, oldest first.
    pub fn accounts(&self) -> StoreResult<Vec<AccountSummary>> {
        self.read(|conn| {
            let rows = users::table
                .filter(users::deleted_at.is_null())
                .order(users::created_at.asc())
                .select((
                    users::id,
                    users::email,
                    users::display_name,
                    users::created_at,
                    users::email_verified_at,
                    users::disabled_at,
                ))
                .load::<(
                    UserId,
                    String,
                    String,
                    NaiveDateTime,
                    Option<NaiveDateTime>,
                    Option<NaiveDateTime>,
                )>(conn)?;
            let mut current: Vec<(UserId, i64)> = memberships::table
                .filter(memberships::left_at.is_null())
                .group_by(memberships::user_id)
                .select((memberships::user_id, diesel::dsl::count_star()))
                .load(conn)?;
            current.sort_unstable_by_key(|(user, _)| *user);
            Ok(rows
                .into_iter()
                .map(|(id, email, display_name, created, verified, disabled)| {
                    let spaces = current
                        .binary_search_by_key(&id, |(user, _)| *user)
                        .map_or(0, |at| current[at].1);
                    AccountSummary {
                        id,
                        email,
                        display_name,
                        created_at: utc(created),
                        email_verified: verified.is_some(),
                        disabled: disabled.is_some(),
                        spaces,
                    }
                })
                .collect())
        })
    }

    /// Adds an account whose password the person sets through `set_password` (a link the
    /// operator hands over, valid for [`SET_PASSWORD_TTL`]); the address is verified by mail as
    /// on sign-up. `account.policy` and `account.invite` are not consulted.
    pub fn add_account(
        &self,
        account: NewAccount,
        set_password: &LinkSecret,
    ) -> StoreResult<AccountSummary> {
        let now = self.now();
        let id = UserId::new_at(now);
        self.write(|conn| {
            insert_account(conn, id, &account, now)?;
            send_verification(conn, id, &account.verification, now)?;
            let expires = now + SET_PASSWORD_TTL;
            insert_token(conn, id, Purpose::PasswordReset, set_password, expires, now)?;
            Ok(AccountSummary {
                id,
                email: account.email.as_str().to_owned(),
                display_name: account.display_name.as_str().to_owned(),
                created_at: now,
                email_verified: false,
                disabled: false,
                spaces: 0,
            })
        })
    }

    /// Disables the account of `email`: every session ends now, it cannot sign in or reset its
    /// password, its calendar feed stops, and no mail goes to it. Its spaces and words stay as they are.
    /// `NotFound` when no account has the address.
    pub fn disable_account(&self, email: &Email) -> StoreResult<UserId> {
        let now = self.now();
        self.write(|conn| {
            let user = account_of(conn, email)?;
            diesel::update(users::table.find(user))
                .filter(users::disabled_at.is_null())
                .set(users::disabled_at.eq(stored_time(now)))
                .execute(conn)?;
            end_all_sessions(conn, user, now)?;
            // Links already mailed (a reset, a verification) open nothing any more.
            diesel::update(email_tokens::table)
                .filter(email_tokens::user_id.eq(user))
                .filter(email_tokens::used_at.is_null())
                .set(email_tokens::used_at.eq(stored_time(now)))
                .execute(conn)?;
            crate::outbox::cancel_mail_to(conn, user, "account disabled")?;
            // The calendar feed would go on serving the space's talks and commitments.
            diesel::delete(calendar_tokens::table.filter(calendar_tokens::user_id.eq(user)))
                .execute(conn)?;
            // Reminder rows stay (their mail is refused while disabled), so that they go on
            // as before once the account is enabled again.
            Ok(user)
        })
    }

    /// The id of the account with `email` (`NotFound` if none).
    pub fn account_id(&self, email: &Email) -> StoreResult<UserId> {
        self.read(|conn| account_of(conn, email))
    }

    /// Lets a disabled account sign in again; its reminders mail it again.
    pub fn enable_account(&self, email: &Email) -> StoreResult<UserId> {
        self.write(|conn| {
            let user = account_of(conn, email)?;
            diesel::update(users::table.find(user))
                .set(users::disabled_at.eq(None::<NaiveDateTime>))
                .execute(conn)?;
            Ok(user)
        })
    }
}

fn account_of(conn: &mut crate::DbConnection, email: &Email) -> StoreResult<UserId> {
    Ok(users::table
        .filter(users::email.eq(email.as_str()))
        .filter(users::deleted_at.is_null())
        .select(users::id)
        .first(conn)?)
}
