//! The operator's commands, run against the configured database while the server runs or not:
//! the accounts (`kept users …`) and a backup (`kept backup PATH`). Output is lines for a
//! terminal, or with `--json` one JSON document for scripts.

use crate::auth::{Scratch, hash_password, random_secret};
use crate::config::Config;
use clap::Subcommand;
use kept_core::SystemClock;
use kept_core::account::{DisplayName, Email, RegistrationPolicy, TimeZone};
use kept_store::account_tokens::LinkSecret;
use kept_store::accounts::NewAccount;
use kept_store::operator::{AccountSummary, SET_PASSWORD_TTL};
use kept_store::{DatabaseUrl, PoolOptions, Store};
use serde_json::json;
use std::sync::Arc;

/// Secrets in links: 256 bits, as for the links Kept mails.
const LINK_BYTES: usize = 32;

/// `kept users …`: the accounts of this server.
#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Every account: address, name, when it was made, whether verified or disabled, spaces.
    List,
    /// Add an account and print a one-time link where the person sets their password.
    Add {
        email: String,
        /// The name their partner sees.
        #[arg(long)]
        name: String,
        /// Their IANA time zone (they can change it in settings).
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// Sign the account out everywhere; it cannot sign in and gets no mail until enabled.
    Disable { email: String },
    /// Let a disabled account sign in again.
    Enable { email: String },
    /// Delete the account as its owner can: signed out, out of every space, every word they
    /// wrote removed. It cannot be undone.
    Delete {
        email: String,
        /// Confirms the deletion (without it nothing is deleted).
        #[arg(long)]
        yes: bool,
    },
}

/// Why an operator command failed, said in a line.
pub type OperatorError = Box<dyn std::error::Error>;

/// Runs `command` and returns what to print.
pub fn users(
    config: &Config,
    command: UsersCommand,
    as_json: bool,
) -> Result<String, OperatorError> {
    let store = open_store(config)?;
    match command {
        UsersCommand::List => {
            let accounts = store.accounts()?;
            Ok(if as_json {
                json!({ "accounts": accounts }).to_string()
            } else {
                account_table(&accounts)
            })
        }
        UsersCommand::Add {
            email,
            name,
            time_zone,
        } => add(config, &store, &email, &name, &time_zone, as_json),
        UsersCommand::Disable { email } => {
            let user = store
                .disable_account(&parse_email(&email)?)
                .map_err(not_found(&email))?;
            Ok(done(as_json, "disabled", &email, user))
        }
        UsersCommand::Delete { email, yes } => {
            if !yes {
                return Err(format!(
                    "deleting {email} removes everything they wrote and cannot be undone; \
                     add --yes to delete"
                )
                .into());
            }
            let user = store
                .account_id(&parse_email(&email)?)
                .map_err(not_found(&email))?;
            store.delete_account(user)?;
            Ok(done(as_json, "deleted", &email, user))
        }
        UsersCommand::Enable { email } => {
            let user = store
                .enable_account(&parse_email(&email)?)
                .map_err(not_found(&email))?;
            Ok(done(as_json, "enabled", &email, user))
        }
    }
}

/// `kept backup PATH`: a consistent, checked copy of the SQLite database (see
/// [`kept_store::backup`]); for PostgreSQL, an error pointing at `pg_dump`.
pub fn backup(
    config: &Config,
    destination: &std::path::Path,
    as_json: bool,
) -> Result<String, OperatorError> {
    let url = DatabaseUrl::parse(config.database.url.expose())?;
    let copied = kept_store::backup::backup_sqlite(&url, destination)?;
    Ok(if as_json {
        json!({ "path": destination, "copy": copied }).to_string()
    } else {
        format!(
            "Backed up to {} ({} bytes): {} accounts, {} spaces, {} events; integrity ok.",
            destination.display(),
            copied.bytes,
            copied.users,
            copied.spaces,
            copied.events,
        )
    })
}

/// The configured database, with a pool of one: a command does one thing at a time.
fn open_store(config: &Config) -> Result<Store, OperatorError> {
    let url = DatabaseUrl::parse(config.database.url.expose())?;
    let options = PoolOptions {
        max_size: 1,
        connect_timeout: std::time::Duration::from_secs(config.database.connect_timeout_secs),
    };
    Ok(Store::open(&url, &options, Arc::new(SystemClock))?)
}

fn add(
    config: &Config,
    store: &Store,
    email: &str,
    name: &str,
    time_zone: &str,
    as_json: bool,
) -> Result<String, OperatorError> {
    let email = parse_email(email)?;
    let display_name = DisplayName::parse(name).map_err(|why| format!("--name: {why}"))?;
    let time_zone = TimeZone::parse(time_zone).map_err(|why| format!("--time-zone: {why}"))?;
    // Nobody knows this password; the person sets theirs through the link.
    let secret = || random_secret(LINK_BYTES).map_err(|e| e.to_string());
    let password_hash =
        hash_password(&secret()?, &mut Scratch::default()).map_err(|e| e.to_string())?;
    let set_password = LinkSecret::from_plain(secret()?);
    let account = NewAccount {
        email,
        password_hash,
        display_name,
        time_zone,
        verification: LinkSecret::from_plain(secret()?),
        policy: RegistrationPolicy::Open,
        invite: None,
    };
    let added = store.add_account(account, &set_password)?;
    let link = format!(
        "{}/reset-password?token={}",
        config.public_url(),
        set_password.plain
    );
    let expires_at = added.created_at + SET_PASSWORD_TTL;
    Ok(if as_json {
        json!({ "account": added, "set_password_link": link, "link_expires_at": expires_at })
            .to_string()
    } else {
        format!(
            "Added {} ({}).\nSend them this link to set their password; it works once, until {}:\n{link}",
            added.email,
            added.display_name,
            expires_at.format("%Y-%m-%d %H:%M UTC"),
        )
    })
}

fn parse_email(raw: &str) -> Result<Email, OperatorError> {
    Ok(Email::parse(raw).map_err(|why| format!("{raw}: {why}"))?)
}

fn not_found(email: &str) -> impl FnOnce(kept_store::StoreError) -> OperatorError + '_ {
    move |error| match error {
        kept_store::StoreError::NotFound => format!("no account has the address {email}").into(),
        other => other.into(),
    }
}

fn done(as_json: bool, what: &str, email: &str, user: kept_core::UserId) -> String {
    if as_json {
        json!({ "id": user, "email": email, "done": what }).to_string()
    } else {
        format!("{email}: {what}.")
    }
}

/// The accounts as aligned columns, a header first.
fn account_table(accounts: &[AccountSummary]) -> String {
    let header = ["EMAIL", "NAME", "CREATED", "VERIFIED", "DISABLED", "SPACES"];
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_owned();
    let rows: Vec<[String; 6]> = accounts
        .iter()
        .map(|a| {
            [
                a.email.clone(),
                a.display_name.clone(),
                a.created_at.format("%Y-%m-%d").to_string(),
                yes_no(a.email_verified),
                yes_no(a.disabled),
                a.spaces.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        padded.join("  ").trim_end().to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|row| line(row.iter().map(String::as_str).collect())),
    );
    if accounts.is_empty() {
        out.push("(no accounts yet)".to_owned());
    }
    out.join("\n")
}
