//! The cross-instance doorbell: one dedicated PostgreSQL connection per instance that LISTENs
//! on the events channel and rings the hub for each `<space>:<seq>` notification.
//!
//! diesel's `notifications_iter` never blocks, so the connection is polled every few
//! milliseconds on its own thread. A lost connection is noticed by a failed poll or the periodic
//! keep-alive query; the listener reconnects with backoff and then rings every space, because
//! notifications sent while it was away are gone — the log is not, so sessions re-read it.

use crate::hub::Hub;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use kept_core::SpaceId;
use kept_store::events::EVENTS_CHANNEL;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How the listener's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "kept-listener";

#[derive(Debug, Clone)]
pub struct ListenerOptions {
    /// How often pending notifications are collected: the added latency, at worst.
    pub poll: Duration,
    /// How often an idle connection is proven alive.
    pub keepalive: Duration,
    pub max_backoff: Duration,
}

impl Default for ListenerOptions {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(5),
            keepalive: Duration::from_secs(5),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// The running listener; dropping it stops the thread.
#[derive(Debug)]
pub struct PgListener {
    stop: Arc<AtomicBool>,
    connects: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl PgListener {
    pub fn start(url: String, hub: Arc<Hub>, options: ListenerOptions) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let connects = Arc::new(AtomicU64::new(0));
        let (thread_stop, thread_connects) = (Arc::clone(&stop), Arc::clone(&connects));
        let thread = std::thread::Builder::new()
            .name("kept-pg-listener".into())
            .spawn(move || listen(&url, &hub, &options, &thread_stop, &thread_connects))?;
        Ok(Self {
            stop,
            connects,
            thread: Some(thread),
        })
    }

    /// How many times the listener has (re)connected; more than one means it recovered.
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }
}

impl Drop for PgListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn listen(
    url: &str,
    hub: &Hub,
    options: &ListenerOptions,
    stop: &AtomicBool,
    connects: &AtomicU64,
) {
    let mut backoff = Duration::from_millis(50);
    while !stop.load(Ordering::Relaxed) {
        match connect(url) {
            Ok(mut conn) => {
                let reconnected = connects.fetch_add(1, Ordering::Relaxed) > 0;
                if reconnected {
                    tracing::info!(
                        "event listener reconnected; every live session re-reads the log"
                    );
                }
                // Also on the first connect: sessions may have subscribed before it was up.
                hub.ring_all();
                backoff = Duration::from_millis(50);
                if let Err(error) = relay(&mut conn, hub, options, stop) {
                    tracing::warn!(%error, "event listener lost its connection");
                }
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?backoff, "event listener cannot connect")
            }
        }
        sleep_unless_stopped(backoff, stop);
        backoff = (backoff * 2).min(options.max_backoff);
    }
}

fn connect(url: &str) -> Result<PgConnection, Box<dyn std::error::Error>> {
    let mut conn = PgConnection::establish(url)?;
    conn.batch_execute(&format!(
        "SET application_name = '{APPLICATION_NAME}'; LISTEN {EVENTS_CHANNEL}"
    ))?;
    Ok(conn)
}

/// Rings the hub for every notification until the connection fails or the listener stops.
fn relay(
    conn: &mut PgConnection,
    hub: &Hub,
    options: &ListenerOptions,
    stop: &AtomicBool,
) -> diesel::QueryResult<()> {
    let mut proven_alive = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        for notification in conn.notifications_iter() {
            let notification = notification?;
            match parse(&notification.payload) {
                Some(space) => hub.ring(space),
                None => {
                    tracing::warn!(payload = %notification.payload, "ignoring a malformed event notification")
                }
            }
        }
        if proven_alive.elapsed() >= options.keepalive {
            conn.batch_execute("SELECT 1")?;
            proven_alive = Instant::now();
        }
        std::thread::sleep(options.poll);
    }
    Ok(())
}

/// `<space>:<seq>` → the space (the seq is informative: sessions read from their own position).
fn parse(payload: &str) -> Option<SpaceId> {
    let (space, seq) = payload.split_once(':')?;
    seq.parse::<i64>().ok()?;
    space.parse().ok()
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let deadline = Instant::now() + total;
    while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(10).min(total));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
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
}
