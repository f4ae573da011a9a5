//! Store tests that need a real database, run on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::{QueryableByName, RunQueryDsl, sql_query};
use kept_core::account::{DisplayName, Email, TimeZone};
use kept_core::space::SpaceName;
use kept_core::{ManualClock, UserId};
use kept_store::account_tokens::LinkSecret;
use kept_store::accounts::NewAccount;
use kept_store::test_db::{Flavor, TestDb};
use kept_store::{DbConnection, PoolOptions, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

fn open(db: &TestDb) -> Store {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let options = PoolOptions {
        max_size: 8,
        connect_timeout: Duration::from_secs(10),
    };
    Store::open(&db.database_url(), &options, clock).expect("open store")
}

fn register(store: &Store, email: &str) -> UserId {
    store
        .register(NewAccount {
            email: Email::parse(email).unwrap(),
            password_hash: "not-a-real-hash".into(),
            display_name: DisplayName::parse("Someone").unwrap(),
            time_zone: TimeZone::parse("Europe/Berlin").unwrap(),
            verification: LinkSecret::from_plain(format!("verify-{email}")),
        })
        .unwrap()
        .id
}

/// Many writers on one space at once: every command succeeds (no SQLITE_BUSY) and the log's
/// `seq`s are exactly 1..=n, without gap or duplicate.
fn concurrent_writers_get_gapless_seqs(flavor: Flavor) {
    let Some(db) = TestDb::new(flavor) else {
        return;
    };
    let store = open(&db);
    let owner = register(&store, "owner@example.org");
    let space = store
        .create_space(owner, SpaceName::parse("us").unwrap())
        .unwrap()
        .id;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    store
                        .create_invite(
                            owner,
                            space,
                            &LinkSecret::from_plain(format!("code-{t}-{i}")),
                            None,
                        )
                        .unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let page = store.events(owner, space, 0, 500).unwrap();
    let seqs: Vec<i64> = page.items.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=81).collect::<Vec<_>>());
    assert_eq!(store.space(owner, space).unwrap().last_seq, 81);
}

#[test]
fn concurrent_writers_get_gapless_seqs_sqlite() {
    concurrent_writers_get_gapless_seqs(Flavor::Sqlite);
}

#[test]
fn concurrent_writers_get_gapless_seqs_postgres() {
    concurrent_writers_get_gapless_seqs(Flavor::Postgres);
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

fn columns(conn: &mut DbConnection) -> BTreeMap<String, BTreeSet<String>> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        DbConnection::Postgres(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public'"
        }
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for column in sql_query(query).load::<Column>(conn).unwrap() {
        out.entry(column.table_name)
            .or_default()
            .insert(column.column_name);
    }
    out
}

fn migration_names(backend: &str) -> Vec<String> {
    let dir = format!("{}/../../migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations_tables_and_columns() {
    assert_eq!(migration_names("sqlite"), migration_names("postgres"));
    let sqlite = TestDb::sqlite();
    drop(open(&sqlite));
    let sqlite_columns = columns(&mut sqlite.connect());
    assert!(sqlite_columns.contains_key("events"), "{sqlite_columns:?}");
    let Some(postgres) = TestDb::postgres() else {
        return;
    };
    drop(open(&postgres));
    assert_eq!(sqlite_columns, columns(&mut postgres.connect()));
}
