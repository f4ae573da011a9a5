//! The cross-instance doorbell: one dedicated PostgreSQL connection per instance, on its own
//! thread, that rings the other instances after this one commits and hears them ring.
//!
//! A doorbell carries no event: the log is the truth, and a rung session re-reads it from its
//! own position. So doorbells may come late, merged or twice without a session ever skipping,
//! repeating or reordering an event, and nothing is pushed that was not committed (a ring is
//! sent after the commit). A ring that is lost (an instance dying between its commit and its
//! ring) costs latency only: every session re-reads the log at each heartbeat anyway
//! (`live.ping_interval_millis`, 15 s by default), and a (re)connecting instance makes every
//! instance re-read at once.
//!
//! Rings leave the command's transaction: a transaction that `NOTIFY`s holds one global lock
//! through its commit, so every command would commit one at a time. Here they go out in
//! batches from the doorbell connection (`synchronous_commit = off`: a doorbell needs no flush),
//! and not at all while no other instance listens.
//!
//! Payloads on [`EVENTS_CHANNEL`]: `<space>:<seq>` rings a space; `hello` says an instance
//! (re)connected, and every other instance answers `ack` once it rings for it. Whoever hears
//! `hello` or `ack` re-reads every space, which covers any ring that was skipped or lost
//! before the two knew of each other.

use crate::hub::Hub;
use kept_core::SpaceId;
use kept_store::events::EVENTS_CHANNEL;
use kept_store::published::Appended;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_postgres::{AsyncMessage, Client, NoTls, Notification};

/// How the listener's connection shows in `pg_stat_activity` (and how instances count each
/// other).
pub const APPLICATION_NAME: &str = "kept-listener";

#[derive(Debug, Clone)]
pub struct ListenerOptions {
    /// How often the connection is proven alive and the other instances are counted.
    pub keepalive: Duration,
    pub max_backoff: Duration,
}

impl Default for ListenerOptions {
    fn default() -> Self {
        Self {
            keepalive: Duration::from_secs(5),
            max_backoff: Duration::from_secs(5),
        }
    }
}

/// The running doorbell; dropping it stops the thread.
#[derive(Debug)]
pub struct PgListener {
    rings: Option<mpsc::UnboundedSender<Appended>>,
    stop: watch::Sender<bool>,
    connects: Arc<AtomicU64>,
    counts: Arc<Counts>,
    /// Whether another instance listens: while none does, a commit does not even wake the
    /// doorbell's thread.
    peers: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl PgListener {
    pub fn start(url: String, hub: Arc<Hub>, options: ListenerOptions) -> std::io::Result<Self> {
        let (rings, queued) = mpsc::unbounded_channel();
        let (stop, stopped) = watch::channel(false);
        let connects = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&connects);
        let counts = Arc::new(Counts::default());
        let doorbell_counts = Arc::clone(&counts);
        let peers = Arc::new(AtomicBool::new(false));
        let doorbell_peers = Arc::clone(&peers);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name("kept-pg-listener".into())
            .spawn(move || {
                let doorbell = Doorbell {
                    url,
                    hub,
                    options,
                    connects: counted,
                    counts: doorbell_counts,
                    peers: doorbell_peers,
                };
                runtime.block_on(doorbell.run(queued, stopped));
            })?;
        Ok(Self {
            rings: Some(rings),
            stop,
            connects,
            counts,
            peers,
            thread: Some(thread),
        })
    }

    /// Rings the spaces of `appended` on the other instances (committed: call after commit).
    pub fn ring(&self, appended: &[Appended]) {
        // Read after the commit: if no peer was known then, any instance that joins later
        // re-reads the log when this one acknowledges it (see the module's protocol).
        if !self.peers.load(Ordering::SeqCst) {
            self.counts
                .skipped
                .fetch_add(appended.len() as u64, Ordering::SeqCst);
            return;
        }
        if let Some(rings) = &self.rings {
            for each in appended {
                // Fails only once the thread has ended, when nobody is left to tell.
                let _ = rings.send(*each);
            }
        }
    }

    /// How many times the listener has (re)connected; more than one means it recovered.
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }

    /// How many appended events were handled (skipped while no other instance listened, or
    /// taken by the doorbell), and how many ring notifications were sent.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.skipped.load(Ordering::SeqCst) + self.counts.taken.load(Ordering::SeqCst),
            self.counts.sent.load(Ordering::SeqCst),
        )
    }
}

#[derive(Debug, Default)]
struct Counts {
    skipped: AtomicU64,
    taken: AtomicU64,
    sent: AtomicU64,
}

impl Drop for PgListener {
    fn drop(&mut self) {
        self.rings = None;
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Doorbell {
    url: String,
    hub: Arc<Hub>,
    options: ListenerOptions,
    connects: Arc<AtomicU64>,
    counts: Arc<Counts>,
    peers: Arc<AtomicBool>,
}

/// Why serving a connection ended.
enum Ended {
    Stopped,
    Lost(String),
}

/// One connection's state.
struct Connected {
    client: Client,
    heard: mpsc::UnboundedReceiver<Notification>,
    /// This connection's backend: its own notifications come back to it, and are skipped.
    pid: i32,
    /// Whether another instance listens (otherwise rings are not sent at all); shared with
    /// [`PgListener::ring`].
    peers: Arc<AtomicBool>,
}

impl Doorbell {
    async fn run(
        self,
        mut queued: mpsc::UnboundedReceiver<Appended>,
        mut stopped: watch::Receiver<bool>,
    ) {
        let mut backoff = Duration::from_millis(50);
        loop {
            match self.connect().await {
                Ok(mut connected) => {
                    if self.connects.fetch_add(1, Ordering::Relaxed) > 0 {
                        tracing::info!(
                            "event listener reconnected; every live session re-reads the log"
                        );
                    }
                    // Also on the first connect: sessions may have subscribed before it was up.
                    self.hub.ring_all();
                    backoff = Duration::from_millis(50);
                    match self.serve(&mut connected, &mut queued, &mut stopped).await {
                        Ended::Stopped => return,
                        Ended::Lost(error) => {
                            tracing::warn!(%error, "event listener lost its connection")
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, retry_in = ?backoff, "event listener cannot connect")
                }
            }
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                _ = stopped.changed() => return,
            }
            backoff = (backoff * 2).min(self.options.max_backoff);
        }
    }

    async fn connect(&self) -> Result<Connected, tokio_postgres::Error> {
        let (client, mut connection) = tokio_postgres::connect(&self.url, NoTls).await?;
        let (tell, heard) = mpsc::unbounded_channel();
        // The connection object does the I/O; it ends (dropping `tell`) when the socket does.
        tokio::spawn(async move {
            while let Some(message) = std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(notification)) => {
                        if tell.send(notification).is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::debug!(%error, "event listener connection ended");
                        return;
                    }
                }
            }
        });
        client
            .batch_execute(&format!(
                "SET application_name = '{APPLICATION_NAME}'; SET synchronous_commit = off; \
                 LISTEN {EVENTS_CHANNEL}"
            ))
            .await?;
        let pid: i32 = client
            .query_one("SELECT pg_backend_pid()", &[])
            .await?
            .get(0);
        let mut connected = Connected {
            client,
            heard,
            pid,
            peers: Arc::clone(&self.peers),
        };
        connected.count_peers().await?;
        connected.send(&["hello".to_owned()]).await?;
        Ok(connected)
    }

    async fn serve(
        &self,
        connected: &mut Connected,
        queued: &mut mpsc::UnboundedReceiver<Appended>,
        stopped: &mut watch::Receiver<bool>,
    ) -> Ended {
        let mut keepalive = tokio::time::interval(self.options.keepalive);
        keepalive.reset();
        loop {
            let outcome = tokio::select! {
                biased;
                _ = stopped.changed() => return Ended::Stopped,
                notification = connected.heard.recv() => match notification {
                    Some(notification) => connected.heard_one(&notification, &self.hub).await,
                    None => return Ended::Lost("the connection closed".to_owned()),
                },
                first = queued.recv() => match first {
                    Some(first) => connected.ring(first, queued, &self.counts).await,
                    None => return Ended::Stopped,
                },
                _ = keepalive.tick() => connected.count_peers().await,
            };
            if let Err(error) = outcome {
                return Ended::Lost(error.to_string());
            }
        }
    }
}

impl Connected {
    /// Counts the other instances' doorbells. Only the keep-alive lowers the count to none; a
    /// `hello` raises it at once.
    async fn count_peers(&mut self) -> Result<(), tokio_postgres::Error> {
        let others: i64 = self
            .client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                 AND application_name = $1 AND pid <> pg_backend_pid()",
                &[&APPLICATION_NAME],
            )
            .await?
            .get(0);
        self.peers.store(others > 0, Ordering::SeqCst);
        Ok(())
    }

    /// Sends `first` and whatever else is queued, one notification per space, in one round trip;
    /// nothing while no other instance listens.
    async fn ring(
        &mut self,
        first: Appended,
        queued: &mut mpsc::UnboundedReceiver<Appended>,
        counts: &Counts,
    ) -> Result<(), tokio_postgres::Error> {
        let mut latest: HashMap<SpaceId, i64> = HashMap::new();
        let mut taken = 0;
        let mut next = Some(first);
        while let Some(appended) = next {
            let seq = latest.entry(appended.space).or_default();
            *seq = (*seq).max(appended.seq);
            taken += 1;
            next = queued.try_recv().ok();
        }
        if self.peers.load(Ordering::SeqCst) {
            let payloads: Vec<String> = latest
                .into_iter()
                .map(|(space, seq)| format!("{space}:{seq}"))
                .collect();
            self.send(&payloads).await?;
            counts
                .sent
                .fetch_add(payloads.len() as u64, Ordering::SeqCst);
        }
        counts.taken.fetch_add(taken, Ordering::SeqCst);
        Ok(())
    }

    async fn send(&self, payloads: &[String]) -> Result<(), tokio_postgres::Error> {
        self.client
            .execute(
                "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload",
                &[&EVENTS_CHANNEL, &payloads],
            )
            .await
            .map(drop)
    }

    async fn heard_one(
        &mut self,
        notification: &Notification,
        hub: &Hub,
    ) -> Result<(), tokio_postgres::Error> {
        if notification.process_id() == self.pid {
            return Ok(());
        }
        match notification.payload() {
            "hello" => {
                // Ring for the newcomer from now on, then tell it so: anything this instance
                // skipped committed before the `ack`, and the newcomer re-reads on hearing it.
                // (And it may have committed while it was away: re-read here too.)
                self.peers.store(true, Ordering::SeqCst);
                hub.ring_all();
                self.send(&["ack".to_owned()]).await?;
            }
            "ack" => {
                self.peers.store(true, Ordering::SeqCst);
                hub.ring_all();
            }
            payload => match parse(payload) {
                Some(space) => hub.ring(space),
                None => tracing::warn!(%payload, "ignoring a malformed event notification"),
            },
        }
        Ok(())
    }
}

/// `<space>:<seq>` → the space (the seq is informative: sessions read from their own position).
fn parse(payload: &str) -> Option<SpaceId> {
    let (space, seq) = payload.split_once(':')?;
    seq.parse::<i64>().ok()?;
    space.parse().ok()
}

#[cfg(test)]
mod tests;
