//! A consistent copy of a SQLite database taken while the server writes to it (`kept backup`):
//! `VACUUM INTO` reads one snapshot of the file, so the copy holds every transaction committed
//! before it began and none half. The copy is then opened and checked before it is reported.
//! PostgreSQL has its own tool for this (`pg_dump`); the README says how.

use crate::db::{Backend, DatabaseUrl, MIGRATIONS};
use crate::error::{StoreError, StoreResult};
use diesel::connection::SimpleConnection;
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, SqliteConnection};
use std::path::Path;

/// What the checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupSummary {
    pub bytes: u64,
    pub users: i64,
    pub spaces: i64,
    pub events: i64,
    /// Migrations applied in the copy (as many as this version of Kept knows, when current).
    pub migrations: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Check {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Copies the SQLite database at `source` to `destination` (which must not exist yet), then
/// opens the copy and checks its integrity. For PostgreSQL, an error that says to use
/// `pg_dump`.
pub fn backup_sqlite(source: &DatabaseUrl, destination: &Path) -> StoreResult<BackupSummary> {
    if source.backend == Backend::Postgres {
        return Err(StoreError::Config(
            "kept backup copies SQLite databases; for PostgreSQL use pg_dump \
             (pg_dump --format=custom --file=kept.dump \"$DATABASE_URL\"), see the README"
                .to_owned(),
        ));
    }
    if source.sqlite_path().is_none() {
        return Err(StoreError::Config(
            "an in-memory database has nothing to back up".to_owned(),
        ));
    }
    if destination.exists() {
        return Err(StoreError::Config(format!(
            "{} exists already; a backup never overwrites a file",
            destination.display()
        )));
    }
    let target = destination
        .to_str()
        .ok_or_else(|| StoreError::Config("the backup path must be valid UTF-8".to_owned()))?;
    create_private(destination)?;
    let mut live = source.connect()?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(target)
        .execute(&mut live)?;
    drop(live);
    check_copy(destination)
}

/// Creates `path` empty and readable by this user only: the copy holds password hashes and every
/// private word, and `VACUUM INTO` fills an empty file as it finds it.
fn create_private(path: &Path) -> StoreResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .map(drop)
        .map_err(|e| StoreError::Config(format!("cannot create {}: {e}", path.display())))
}

/// Opens the copy read-only: it must pass SQLite's integrity check and hold Kept's tables.
fn check_copy(copy: &Path) -> StoreResult<BackupSummary> {
    let corrupt =
        |why: String| StoreError::Corrupt(format!("the backup {}: {why}", copy.display()));
    let uri = format!("file:{}?mode=ro", copy.display());
    let mut conn = SqliteConnection::establish(&uri).map_err(|e| corrupt(e.to_string()))?;
    conn.batch_execute("PRAGMA query_only = ON")?;
    let check: Vec<Check> = diesel::sql_query("PRAGMA integrity_check").load(&mut conn)?;
    let verdict: Vec<&str> = check.iter().map(|c| c.integrity_check.as_str()).collect();
    if verdict != ["ok"] {
        return Err(corrupt(verdict.join("; ")));
    }
    let mut count = |table: &str| -> StoreResult<i64> {
        let found: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result(&mut conn)
            .map_err(|e| corrupt(format!("{table}: {e}")))?;
        Ok(found.n)
    };
    let summary = BackupSummary {
        bytes: std::fs::metadata(copy)
            .map_err(|e| corrupt(e.to_string()))?
            .len(),
        users: count("users")?,
        spaces: count("spaces")?,
        events: count("events")?,
        migrations: count("__diesel_schema_migrations")?,
    };
    let known = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&MIGRATIONS)
        .map_or(0, |all| all.len());
    if usize::try_from(summary.migrations).unwrap_or(usize::MAX) > known {
        tracing::warn!(
            copied = summary.migrations,
            known,
            "the database is newer than this kept; restore it with the version that wrote it"
        );
    }
    Ok(summary)
}
