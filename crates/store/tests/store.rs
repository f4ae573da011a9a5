//! Store tests that need a real database, run on SQLite and on PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use kept_core::account::{DisplayName, Email, TimeZone};
use kept_core::space::SpaceName;
use kept_core::{ManualClock, UserId};
use kept_store::account_tokens::LinkSecret;
use kept_store::accounts::NewAccount;
use kept_store::test_db::{Flavor, TestDb};
use kept_store::{PoolOptions, Store};
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
            policy: Default::default(),
            invite: None,
        })
        .unwrap()
        .user
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
