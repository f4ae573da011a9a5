//! The doorbell against a real PostgreSQL: relaying, surviving termination, and ringing only
//! while another instance listens.

#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use kept_store::test_db::TestDb;

#[test]
fn payloads_name_a_space_and_a_seq() {
    let space = SpaceId::new_at(chrono::Utc::now());
    assert_eq!(parse(&format!("{space}:12")), Some(space));
    assert_eq!(parse(&format!("{space}")), None);
    assert_eq!(parse("nonsense:1"), None);
    assert_eq!(parse(&format!("{space}:x")), None);
}

async fn rung_soon(subscription: &mut crate::Subscription) {
    tokio::time::timeout(Duration::from_secs(5), subscription.rung())
        .await
        .expect("rung in time");
}

/// A NOTIFY rings the hub; after the listener's connection is terminated it reconnects
/// and rings every space, and later notifications arrive again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_relays_notifications_and_survives_termination() {
    let Some(db) = TestDb::postgres() else { return };
    let hub = Hub::new();
    let space = SpaceId::new_at(chrono::Utc::now());
    let mut subscription = hub.subscribe(space);
    let options = ListenerOptions {
        keepalive: Duration::from_millis(200),
        ..ListenerOptions::default()
    };
    let listener = PgListener::start(db.url().to_owned(), Arc::clone(&hub), options).unwrap();
    rung_soon(&mut subscription).await; // the ring of the first connect

    let mut admin = PgConnection::establish(db.url()).unwrap();
    admin
        .batch_execute(&format!("NOTIFY {EVENTS_CHANNEL}, '{space}:1'"))
        .unwrap();
    rung_soon(&mut subscription).await;

    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = '{APPLICATION_NAME}' AND datname = current_database()"
        ))
        .unwrap();
    rung_soon(&mut subscription).await; // the ring-all after reconnecting
    assert!(listener.connects() >= 2);
    admin
        .batch_execute(&format!("NOTIFY {EVENTS_CHANNEL}, '{space}:2'"))
        .unwrap();
    rung_soon(&mut subscription).await;
}

/// Waits (bounded) until `done` holds.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what} did not happen");
}

/// Alone, an instance sends no ring at all; once a second instance listens (it says hello,
/// the first answers), the first's rings reach the second's hub, and the second's the
/// first's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rings_go_out_only_while_another_instance_listens() {
    let Some(db) = TestDb::postgres() else { return };
    let space = SpaceId::new_at(chrono::Utc::now());
    let (hub_a, hub_b) = (Hub::new(), Hub::new());
    let options = ListenerOptions::default();
    let a = PgListener::start(db.url().to_owned(), Arc::clone(&hub_a), options.clone()).unwrap();
    eventually("a connects", || a.connects() == 1).await;
    a.ring(&[Appended { space, seq: 1 }]);
    eventually("a takes its ring", || a.counts().0 == 1).await;
    assert_eq!(a.counts().1, 0, "nobody else listens: nothing is sent");

    let b = PgListener::start(db.url().to_owned(), Arc::clone(&hub_b), options).unwrap();
    let mut at_b = hub_b.subscribe(space);
    // Until `a` has heard `b`'s hello, its rings are skipped; `b` re-reads when `a` acks.
    let mut seq = 1;
    for _ in 0..400 {
        seq += 1;
        a.ring(&[Appended { space, seq }]);
        tokio::time::sleep(Duration::from_millis(25)).await;
        if a.counts().1 > 0 {
            break;
        }
    }
    assert!(a.counts().1 > 0, "a rings once b listens");
    let mut at_b_later = hub_b.subscribe(space);
    a.ring(&[Appended {
        space,
        seq: seq + 1,
    }]);
    rung_soon(&mut at_b_later).await;
    rung_soon(&mut at_b).await;

    let mut at_a = hub_a.subscribe(space);
    b.ring(&[Appended {
        space,
        seq: seq + 2,
    }]);
    rung_soon(&mut at_a).await;
    eventually("b's ring is sent", || b.counts().1 >= 1).await;
}
