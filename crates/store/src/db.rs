//! Connections: one `DbConnection` over SQLite and PostgreSQL, the pool (which stops waiting
//! as soon as the database is known to be down), the embedded migrations, and the two kinds of
//! transaction a command runs in.
//!
//! The backend is chosen from the URL scheme, never by trial: diesel's `establish` on a
//! `MultiConnection` tries each backend in turn and SQLite accepts any string as a file name.

use crate::error::{StoreError, StoreResult};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Postgres(_) => "DbConnection::Postgres",
            Self::Sqlite(_) => "DbConnection::Sqlite",
        })
    }
}

/// The migrations, one SQL for both backends: written in what SQLite and PostgreSQL read alike,
/// and checked to build the same schema on both. A migration that had to differ would get its
/// own folder per backend for that step alone.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the database is: the backend and what to hand its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    pub backend: Backend,
    target: String,
}

impl DatabaseUrl {
    /// `postgres://…` / `postgresql://…`, or `sqlite://path` / `sqlite:path` (a file path;
    /// `sqlite::memory:` for a private in-memory database).
    pub fn parse(url: &str) -> StoreResult<Self> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some("") | None => Err(StoreError::Config(
                "database.url must start with postgres://, postgresql:// or sqlite://".to_owned(),
            )),
            Some(path) => Ok(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            }),
        }
    }

    pub fn sqlite_path(&self) -> Option<&Path> {
        (self.backend == Backend::Sqlite && self.target != ":memory:")
            .then(|| Path::new(&self.target))
    }

    pub fn connect(&self) -> StoreResult<DbConnection> {
        match self.backend {
            Backend::Postgres => Ok(DbConnection::Postgres(PgConnection::establish(
                &self.target,
            )?)),
            Backend::Sqlite => {
                let parent = self.sqlite_path().and_then(Path::parent);
                if let Some(dir) = parent.filter(|dir| !dir.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                let mut conn = SqliteConnection::establish(&self.target)?;
                // Writers of this process take turns before they reach SQLite (`Pool::begin`);
                // busy_timeout covers another process on the same file (the command line).
                // SQLite leaves foreign keys off unless asked. (WAL is set once per file: see
                // `build_pool`.)
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// Opens pooled connections of the backend the URL names, and notes whether the latest attempt
/// reached the database.
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
    reachable: Arc<AtomicBool>,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = StoreError;

    fn connect(&self) -> Result<DbConnection, StoreError> {
        let connected = self.url.connect();
        self.reachable.store(connected.is_ok(), Ordering::Relaxed);
        connected
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), StoreError> {
        conn.ping().map_err(StoreError::from)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// How long a request waits for a connection once the database is known to be unreachable: it
/// is answered 503 about this soon instead of after the whole connect timeout.
const KNOWN_DOWN_WAIT: Duration = Duration::from_millis(100);

/// The pool, whether the database answered the latest connection attempt, and (SQLite) the
/// writers' turn.
#[derive(Debug, Clone)]
pub struct Pool {
    pool: r2d2::Pool<Manager>,
    reachable: Arc<AtomicBool>,
    connect_timeout: Duration,
    /// SQLite has one write lock per file, and a writer that finds it taken sleeps and polls in
    /// the busy handler. Writers of this process queue here instead and are woken in turn;
    /// readers never take it (WAL lets them read beside the writer).
    sqlite_writer: Option<Arc<Mutex<()>>>,
    /// Connections handed out, and the time spent waiting for them (nanoseconds), since start.
    acquired: Arc<AtomicU64>,
    waited_nanos: Arc<AtomicU64>,
}

/// The pool as monitoring sees it: connections open and idle now, and running totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub connections: u32,
    pub idle: u32,
    pub acquired: u64,
    pub waited: Duration,
}

/// What a transaction is for. A write on SQLite begins `IMMEDIATE`: a deferred transaction that
/// reads and then writes fails at once with SQLITE_BUSY when another connection wrote
/// meanwhile, whatever busy_timeout says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Read,
    Write,
}

/// An open transaction on a pooled connection, holding the writer's turn while it lasts.
/// Finish it with [`finish`].
pub struct Transaction<'pool> {
    conn: PooledConnection,
    _turn: Option<MutexGuard<'pool, ()>>,
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("writer_turn", &self._turn.is_some())
            .finish_non_exhaustive()
    }
}

impl Deref for Transaction<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl Pool {
    /// Begins a transaction. There is no ping before a connection is handed out (a round trip
    /// on every command); instead a pooled connection the server has closed (a restart, an
    /// administrator) fails its `BEGIN` at once, is thrown away, and the next one is tried.
    pub fn begin(&self, purpose: Purpose) -> StoreResult<Transaction<'_>> {
        let turn = match (&self.sqlite_writer, purpose) {
            (Some(writer), Purpose::Write) => {
                // A writer that panicked rolled back with its connection; the turn is free.
                Some(writer.lock().unwrap_or_else(PoisonError::into_inner))
            }
            _ => None,
        };
        let mut attempts_left = self.pool.max_size() + 1;
        loop {
            let mut conn = self.get()?;
            let begun = match (&mut *conn, purpose) {
                (DbConnection::Sqlite(inner), Purpose::Write) => {
                    AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
                }
                _ => <DbConnection as Connection>::TransactionManager::begin_transaction(&mut conn),
            };
            match begun {
                Ok(()) => return Ok(Transaction { conn, _turn: turn }),
                Err(error) if crate::error::is_connection_lost(&error) => {
                    discard(&mut conn);
                    attempts_left -= 1;
                    if attempts_left == 0 {
                        return Err(error.into());
                    }
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Connections now and the running totals of handing them out.
    pub fn stats(&self) -> PoolStats {
        let state = self.pool.state();
        PoolStats {
            connections: state.connections,
            idle: state.idle_connections,
            acquired: self.acquired.load(Ordering::Relaxed),
            waited: Duration::from_nanos(self.waited_nanos.load(Ordering::Relaxed)),
        }
    }

    /// A connection within the connect timeout, or — once an attempt to connect has failed —
    /// the failure within [`KNOWN_DOWN_WAIT`] (a connection that frees up meanwhile is taken).
    pub fn get(&self) -> StoreResult<PooledConnection> {
        let started = Instant::now();
        let deadline = started + self.connect_timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.pool.get_timeout(remaining.min(KNOWN_DOWN_WAIT)) {
                Ok(conn) => {
                    let waited = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                    self.acquired.fetch_add(1, Ordering::Relaxed);
                    self.waited_nanos.fetch_add(waited, Ordering::Relaxed);
                    // A connection handed out means the database answers, whatever an earlier
                    // attempt said.
                    self.reachable.store(true, Ordering::Relaxed);
                    return Ok(conn);
                }
                Err(error) => {
                    let down = !self.reachable.load(Ordering::Relaxed);
                    if down || Instant::now() >= deadline {
                        return Err(error.into());
                    }
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_size: u32,
    pub connect_timeout: Duration,
}

pub fn build_pool(url: &DatabaseUrl, options: &PoolOptions) -> StoreResult<Pool> {
    if url.sqlite_path().is_some() {
        // WAL lets readers run beside the one writer. It is a property of the file, so switch it
        // once here: switching from several new connections at once fails with "database is
        // locked", which busy_timeout does not cover.
        let mut conn = url.connect()?;
        conn.batch_execute("PRAGMA journal_mode = WAL")?;
    }
    // A private in-memory SQLite database exists once per connection: keep exactly one.
    let max_size = if url.sqlite_path().is_none() && url.backend == Backend::Sqlite {
        1
    } else {
        options.max_size
    };
    let reachable = Arc::new(AtomicBool::new(true));
    let manager = Manager {
        url: url.clone(),
        reachable: Arc::clone(&reachable),
    };
    let pool = r2d2::Pool::builder()
        .max_size(max_size.max(1))
        // See `Pool::begin`: a dead connection shows at BEGIN, which every use sends anyway.
        .test_on_check_out(false)
        .connection_timeout(options.connect_timeout)
        .error_handler(Box::new(r2d2::LoggingErrorHandler))
        .build(manager)
        .map_err(|e| StoreError::Unavailable(e.to_string()))?;
    Ok(Pool {
        pool,
        reachable,
        connect_timeout: options.connect_timeout,
        sqlite_writer: (url.backend == Backend::Sqlite).then(Arc::default),
        acquired: Arc::default(),
        waited_nanos: Arc::default(),
    })
}

/// Any fixed number, the same in every instance: the key of the migration lock.
const MIGRATION_LOCK: i64 = 0x006b_6570_746d_6967; // "keptmig"

/// Applies every pending migration; returns how many ran. On PostgreSQL several instances may
/// start at once, so they take turns under an advisory lock (SQLite serves one instance).
pub fn run_migrations(conn: &mut DbConnection) -> StoreResult<usize> {
    let postgres = matches!(conn, DbConnection::Postgres(_));
    if postgres {
        conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    }
    let outcome = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|done| done.len())
        .map_err(|e| StoreError::Internal(format!("migrations failed: {e}")));
    if postgres {
        conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
    }
    outcome
}

/// True when the database has every migration this build knows.
pub fn migrations_current(conn: &mut DbConnection) -> StoreResult<bool> {
    conn.has_pending_migration(MIGRATIONS)
        .map(|pending| !pending)
        .map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// Runs `body` in the begun transaction and commits, or rolls back if it fails. A connection
/// found lost on the way is marked broken, so that the pool drops it instead of handing it out.
pub fn finish<T>(
    transaction: &mut Transaction<'_>,
    body: impl FnOnce(&mut DbConnection) -> StoreResult<T>,
) -> StoreResult<T> {
    type Manager = <DbConnection as Connection>::TransactionManager;
    let conn: &mut DbConnection = transaction;
    let outcome = match body(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(commit_error) => {
                // A failed COMMIT may leave the transaction open; close it before reuse.
                let _ = Manager::rollback_transaction(conn);
                Err(commit_error.into())
            }
        },
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) => Err(error),
            Err(rollback_error) => Err(StoreError::from(rollback_error)),
        },
    };
    if matches!(outcome, Err(StoreError::Unavailable(_))) {
        discard(conn);
    }
    outcome
}

/// Marks `conn` broken: the pool closes it when it comes back instead of reusing it.
fn discard(conn: &mut DbConnection) {
    type Manager = <DbConnection as Connection>::TransactionManager;
    Manager::transaction_manager_status_mut(conn).set_in_error();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_comes_from_the_scheme() {
        let pg = DatabaseUrl::parse("postgres://kept@db/kept")
            .map(|u| u.backend)
            .ok();
        assert_eq!(pg, Some(Backend::Postgres));
        let file = DatabaseUrl::parse("sqlite://data/kept.db").ok();
        assert_eq!(
            file.as_ref().and_then(|u| u.sqlite_path()),
            Some(Path::new("data/kept.db"))
        );
        assert!(DatabaseUrl::parse("mysql://x").is_err());
        assert!(
            DatabaseUrl::parse("kept.db").is_err(),
            "no guessing from a bare path"
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }
}
