//! A fresh database per test, on either backend. SQLite: a file in a temporary directory.
//! PostgreSQL: a database cloned from a migrated template (made once per migration set, under
//! an advisory lock so parallel test processes agree), dropped when the test ends.
//!
//! PostgreSQL comes from `KEPT_TEST_POSTGRES_URL`. Without it PostgreSQL tests say plainly
//! that they were skipped — except under CI, where a missing database fails the run.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test support: failing loudly is the point

use crate::db::{DatabaseUrl, MIGRATIONS, run_migrations};
use crate::{DbConnection, secret_digest};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use std::io::Write;
use std::sync::Once;

pub const POSTGRES_URL_VAR: &str = "KEPT_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test. Drop the app's pool before this.
#[derive(Debug)]
pub struct TestDb {
    url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database, or `None` for PostgreSQL when no test server is configured.
    pub fn new(flavor: Flavor) -> Option<Self> {
        match flavor {
            Flavor::Sqlite => Some(Self::sqlite()),
            Flavor::Postgres => Self::postgres(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite://{}", dir.path().join("kept.db").display());
        Self {
            url,
            _dir: Some(dir),
            postgres: None,
        }
    }

    pub fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_URL_VAR} must be set under CI: PostgreSQL tests are never skipped there"
            );
            static SAID: Once = Once::new();
            SAID.call_once(|| {
                // Written past the test harness's capture so that it is seen.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** PostgreSQL SKIPPED: set {POSTGRES_URL_VAR}='postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable' \
                     to run every storage test on PostgreSQL too ***\n"
                );
            });
            return None;
        };
        let template = ensure_template(&admin_url);
        let name = format!("kept_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={admin_url} is unreachable: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .expect("create test database");
        Some(Self {
            url: with_database(&admin_url, &name),
            _dir: None,
            postgres: Some((admin_url, name)),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn database_url(&self) -> DatabaseUrl {
        DatabaseUrl::parse(&self.url).expect("test database URL")
    }

    /// A direct connection, for tests that inspect the schema or the rows.
    pub fn connect(&self) -> DbConnection {
        self.database_url()
            .connect()
            .expect("connect to test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The same server, another database: replaces the path of a `postgres://…/db?opts` URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = base[scheme_end..].split('/').next().unwrap_or_default();
    let mut out = format!("{}{host_part}/{database}", &base[..scheme_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

/// The migrated template's name, made on first use. Named by the migrations' content, so a
/// changed migration gets a new template instead of a stale one.
fn ensure_template(admin_url: &str) -> String {
    let mut fingerprint = String::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let mut files: Vec<_> = walk(std::path::Path::new(dir));
    files.sort();
    for file in files {
        fingerprint.push_str(&file.display().to_string());
        fingerprint.push_str(&std::fs::read_to_string(file).unwrap_or_default());
    }
    let template = format!("kept_template_{}", &secret_digest(&fingerprint)[..16]);

    let mut admin = PgConnection::establish(admin_url)
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={admin_url} is unreachable: {e}"));
    admin
        .batch_execute("SELECT pg_advisory_lock(4242001)")
        .expect("advisory lock");
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}')"
    )))
    .get_result(&mut admin)
    .expect("look up template");
    if !exists {
        // Built under another name and renamed, so that a crash half-way leaves no broken template.
        let building = format!("{template}_building");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
            .expect("drop stale template");
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .expect("create template");
        {
            let mut conn = DbConnection::Postgres(
                PgConnection::establish(&with_database(admin_url, &building))
                    .expect("connect template"),
            );
            run_migrations(&mut conn).expect("migrate template");
            assert!(!conn.has_pending_migration(MIGRATIONS).expect("pending"));
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .expect("rename template");
    }
    admin
        .batch_execute("SELECT pg_advisory_unlock(4242001)")
        .expect("advisory unlock");
    template
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path))
        } else {
            out.push(path)
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn swaps_only_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t3"), "postgres://h/t3");
    }
}
