//! One live session: a task per socket that first replays the events after `after`, then
//! sends each new one as the space's doorbell rings — strictly in `seq` order, without gaps or
//! duplicates, because every send comes from reading the log after the last `seq` sent.
//!
//! The subscription is taken before the replay, so a commit during the replay rings and is
//! read next. Nothing is queued in memory per session: a client that does not read blocks only
//! its own task, and is cut off when one frame waits longer than the send timeout (it resumes
//! later with `?after=`). The subscription is dropped on every exit path, deregistering.

use crate::caller::Caller;
use crate::config::LiveConfig;
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use kept_core::SpaceId;
use kept_notify::Subscription;
use kept_store::{Store, StoreError};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::time::timeout;

/// The session was signed out (log out everywhere, safety exit).
pub const CLOSE_SESSION_ENDED: u16 = 4401;
/// The viewer left the space (or was never in it).
pub const CLOSE_NOT_MEMBER: u16 = 4403;
/// The client did not take frames fast enough; reconnect with `?after=<last seq>`.
pub const CLOSE_TOO_SLOW: u16 = 4408;
/// Events read from the log per query.
const PAGE: i64 = 200;

#[derive(Debug, Clone, Copy)]
pub struct LiveOptions {
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    pub send_timeout: Duration,
}

impl From<&LiveConfig> for LiveOptions {
    fn from(live: &LiveConfig) -> Self {
        LiveOptions {
            ping_interval: Duration::from_millis(live.ping_interval_millis),
            idle_timeout: Duration::from_millis(live.idle_timeout_millis),
            send_timeout: Duration::from_millis(live.send_timeout_millis),
        }
    }
}

pub(super) struct Live {
    pub store: Store,
    pub subscription: Subscription,
    pub going_away: watch::Receiver<bool>,
    pub viewer: Caller,
    pub space: SpaceId,
    pub after: i64,
    pub options: LiveOptions,
}

/// Why the loop ended: with a close frame to send, or with nobody left to send it to.
enum End {
    Close(u16, &'static str),
    Gone,
}

impl Live {
    pub async fn run(mut self, mut ws: Session, mut incoming: MessageStream) {
        let end = self.serve(&mut ws, &mut incoming).await;
        if let End::Close(code, reason) = end {
            let reason = CloseReason {
                code: CloseCode::from(code),
                description: Some(reason.to_owned()),
            };
            // A client that stopped reading cannot take even this; do not wait on it for long.
            let _ = timeout(self.options.send_timeout, ws.close(Some(reason))).await;
        }
        tracing::debug!(space = %self.space, user = %self.viewer.user, "live session ended");
    }

    async fn serve(&mut self, ws: &mut Session, incoming: &mut MessageStream) -> End {
        let mut sent = self.after;
        let mut heartbeat = tokio::time::interval(self.options.ping_interval);
        heartbeat.reset(); // the first tick comes one interval from now, not at once
        let mut last_heard = Instant::now();
        if *self.going_away.borrow() {
            return End::Close(1001, "server shutting down");
        }
        loop {
            if let Err(end) = self.send_new(ws, &mut sent).await {
                return end;
            }
            tokio::select! {
                () = self.subscription.rung() => {}
                message = incoming.recv() => match message {
                    Some(Ok(Message::Ping(bytes))) => {
                        last_heard = Instant::now();
                        if ws.pong(&bytes).await.is_err() {
                            return End::Gone;
                        }
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return End::Gone,
                    Some(Ok(_)) => last_heard = Instant::now(),
                },
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() >= self.options.idle_timeout {
                        return End::Close(1001, "no answer to pings");
                    }
                    match timeout(self.options.send_timeout, ws.ping(b"")).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return End::Gone,
                        Err(_) => return End::Close(CLOSE_TOO_SLOW, "too slow; reconnect with ?after="),
                    }
                    // Looping re-reads the log, which also re-checks session and membership.
                }
                _ = self.going_away.changed() => return End::Close(1001, "server shutting down"),
            }
        }
    }

    /// Sends every visible event after `sent`, advancing it frame by frame.
    async fn send_new(&self, ws: &mut Session, sent: &mut i64) -> Result<(), End> {
        loop {
            tracing::trace!(after = *sent, "reading the log");
            let (store, viewer, space, after) =
                (self.store.clone(), self.viewer, self.space, *sent);
            let page = actix_web::web::block(move || {
                store.live_events(viewer.user, viewer.session, space, after, PAGE)
            })
            .await
            .map_err(|_| End::Close(1011, "temporarily unavailable; reconnect with ?after="))?
            .map_err(|error: StoreError| {
                let (code, reason) = close_for(&error);
                End::Close(code, reason)
            })?;
            for event in &page.items {
                let frame =
                    serde_json::to_string(event).map_err(|_| End::Close(1011, "internal error"))?;
                match timeout(self.options.send_timeout, ws.text(frame)).await {
                    Ok(Ok(())) => {
                        tracing::trace!(seq = event.seq, "sent");
                        *sent = event.seq;
                    }
                    Ok(Err(_)) => return Err(End::Gone),
                    Err(_) => {
                        return Err(End::Close(
                            CLOSE_TOO_SLOW,
                            "too slow; reconnect with ?after=",
                        ));
                    }
                }
            }
            if page.next.is_none() {
                return Ok(());
            }
        }
    }
}

/// The store errors a running session can meet, as the close it should send.
pub(super) fn close_for(error: &StoreError) -> (u16, &'static str) {
    match error {
        StoreError::Unauthenticated => (CLOSE_SESSION_ENDED, "session ended; sign in again"),
        StoreError::NotFound => (CLOSE_NOT_MEMBER, "no longer a member of this space"),
        _ => (1011, "temporarily unavailable; reconnect with ?after="),
    }
}
