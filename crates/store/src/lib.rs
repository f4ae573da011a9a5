//! Kept's storage: one [`Store`] over SQLite or PostgreSQL with the same code and the same
//! migrations. Every command runs in one transaction that checks membership, asks core what may
//! happen, writes the rows and appends the event — all of it or none of it.

pub mod account_tokens;
pub mod accounts;
pub mod backup;
pub mod calendar;
pub mod check_ins;
pub mod commitments;
pub mod db;
pub mod deletion;
mod dialect;
pub mod error;
pub mod events;
pub mod live;
mod membership;
pub mod notes;
pub mod operator;
pub mod outbox;
pub mod published;
pub mod push;
pub mod reminders;
pub mod requests;
pub mod retention;
pub mod schema;
pub mod scope;
mod sessions;
pub mod spaces;
pub mod stats;
pub mod talks;
#[cfg(feature = "test-support")]
pub mod test_db;
pub mod together;
mod typed_columns;
pub mod weekly;

#[cfg(feature = "openapi")]
mod openapi;
mod rows;

pub use db::{Backend, DatabaseUrl, DbConnection, PoolOptions};
pub use error::{StoreError, StoreResult};

use chrono::{DateTime, Utc};
use db::{Pool, Purpose, finish};
use kept_core::{Clock, SessionId, UserId};
use published::CommitHook;
use scope::SessionToConfirm;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// The database, the pool and the clock every command reads the time from. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    on_commit: Option<CommitHook>,
    reminder_settings: Arc<reminders::ReminderSettings>,
    /// The caller's session, confirmed inside every transaction (see [`Store::for_session`]).
    session: Option<SessionToConfirm>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects and brings the schema up to date.
    pub fn open(
        url: &DatabaseUrl,
        options: &PoolOptions,
        clock: Arc<dyn Clock>,
    ) -> StoreResult<Self> {
        let pool = db::build_pool(url, options)?;
        let applied = db::run_migrations(&mut *pool.get()?)?;
        if applied > 0 {
            tracing::info!(applied, backend = ?url.backend, "database migrations applied");
        }
        Ok(Self {
            pool,
            backend: url.backend,
            clock,
            on_commit: None,
            reminder_settings: Arc::default(),
            session: None,
        })
    }

    /// Calls `hook` after every commit that appended events (to ring the live streams) or wrote
    /// mail due now (to wake the outbox worker).
    pub fn with_commit_hook(mut self, hook: CommitHook) -> Self {
        self.on_commit = Some(hook);
        self
    }

    /// This store for a signed-in caller: every command and query also confirms, inside its own
    /// transaction, that `session` is still active (`SessionEnded` if not), so signing out
    /// takes effect at once without a separate round trip.
    pub fn for_session(&self, user: UserId, session: SessionId) -> Self {
        Self {
            session: Some(SessionToConfirm { user, session }),
            ..self.clone()
        }
    }

    /// Confirms the session of a [`Store::for_session`] store, asking nothing else.
    pub fn confirm_session(&self) -> StoreResult<()> {
        self.read(|_| Ok(()))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The pool's connections and running totals, for monitoring.
    pub fn pool_stats(&self) -> db::PoolStats {
        self.pool.stats()
    }

    /// Database reachable and every migration applied.
    pub fn is_ready(&self) -> StoreResult<bool> {
        db::migrations_current(&mut *self.pool.get()?)
    }

    pub(crate) fn write<T>(
        &self,
        command: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut transaction = self.pool.begin(Purpose::Write)?;
        published::reset();
        scope::begin(self.session);
        let outcome = finish(&mut transaction, |conn| {
            let outcome = command(conn);
            let outcome = scope::settle(conn, outcome)?;
            scope::release_unused_reservation(conn)?;
            Ok(outcome)
        });
        // The writer's turn ends with the transaction, before the doorbell rings.
        drop(transaction);
        let committed = published::take();
        if let (Ok(_), Some(hook)) = (&outcome, &self.on_commit)
            && !committed.is_empty()
        {
            hook(&committed);
        }
        outcome
    }

    pub(crate) fn read<T>(
        &self,
        query: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut transaction = self.pool.begin(Purpose::Read)?;
        scope::begin(self.session);
        finish(&mut transaction, |conn| {
            let outcome = query(conn);
            scope::settle(conn, outcome)
        })
    }
}

/// The stored form of a bearer secret (refresh token, invite code): its SHA-256 in hex. The
/// secrets are 128+ random bits, so a fast hash is enough; a leaked table reveals none of them.
pub fn secret_digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
