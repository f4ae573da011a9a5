//! The outbox worker: claims due deliveries, sends them concurrently (mail through the
//! [`Mailer`], pushes through the [`Pusher`]), and records each outcome. A failed send is retried
//! with exponential backoff and jitter (or later, when a push service asks for it) until the
//! attempt limit, then marked `failed` with its last error. Several instances may run it at
//! once: claims are leased rows, so no two workers hold the same delivery.

use crate::mailer::Mailer;
use crate::pusher::Pusher;
use crate::send_error::SendError;
use chrono::Duration as Span;
use kept_core::push::PushNotice;
use kept_store::Store;
use kept_store::outbox::{ClaimedDelivery, Outcome, Settlement};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Deliveries claimed (and sent concurrently) per round.
    pub batch: i64,
    /// How long a claim holds before another worker may take the mail.
    pub lease: Span,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: i32,
    /// Delay before the first retry; doubled per attempt, up to `max_backoff`.
    pub base_backoff: Span,
    pub max_backoff: Span,
    /// How often to look for due mail when nothing rings.
    pub poll: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            batch: 32,
            lease: Span::minutes(5),
            max_attempts: 8,
            base_backoff: Span::seconds(30),
            max_backoff: Span::hours(1),
            poll: Duration::from_millis(500),
        }
    }
}

/// The longest a push service's `Retry-After` is waited for (a longer one is cut to it).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3_600);

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent,
    /// Failed this time; another attempt is scheduled.
    Retrying,
    /// Failed for good (a permanent error, or out of attempts).
    Failed,
    /// A push whose device its push service no longer knows (the device is removed).
    DeviceGone,
}

/// Which channel a delivery went by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Mail,
    Push,
}

/// Told of every delivery attempt, with how long the send took (the server's metrics).
pub trait DeliveryObserver: Send + Sync + std::fmt::Debug {
    fn attempted(&self, channel: Channel, result: DeliveryResult, took: Duration);
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Pushes to devices their push service no longer knows (removed).
    pub gone: usize,
}

/// The worker; [`OutboxWorker::spawn`] runs it until `stop` turns true.
#[derive(Debug, Clone)]
pub struct OutboxWorker {
    store: Store,
    mailer: Mailer,
    pusher: Option<Pusher>,
    options: WorkerOptions,
    observer: Option<Arc<dyn DeliveryObserver>>,
}

/// A delivery's channel, ready to send on.
#[derive(Debug, Clone)]
struct Channels {
    mailer: Mailer,
    pusher: Option<Pusher>,
}

impl Channels {
    async fn send(&self, delivery: &ClaimedDelivery) -> Result<(), SendError> {
        let Some(target) = &delivery.push else {
            return Ok(self.mailer.send(delivery).await?);
        };
        let Some(pusher) = &self.pusher else {
            return Err(SendError::Permanent("push is not set up".into()));
        };
        let Some(notice) = delivery.kind.and_then(PushNotice::of) else {
            return Err(SendError::Permanent("not a kind that is pushed".into()));
        };
        let payload = delivery.data.to_string();
        pusher.send(target, payload.as_bytes(), notice).await
    }
}

impl OutboxWorker {
    pub fn new(store: Store, mailer: Mailer, options: WorkerOptions) -> Self {
        OutboxWorker {
            store,
            mailer,
            pusher: None,
            options,
            observer: None,
        }
    }

    /// Sends the outbox's pushes through `pusher` (without one they fail).
    pub fn with_pusher(mut self, pusher: Pusher) -> Self {
        self.pusher = Some(pusher);
        self
    }

    /// Tells `observer` of every attempt.
    pub fn with_observer(mut self, observer: Arc<dyn DeliveryObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Runs rounds until `stop` turns true: at once when `wake` is notified (a command wrote
    /// mail), otherwise every `poll`.
    pub fn spawn(self, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        tokio::spawn(async move {
            loop {
                match self.round().await {
                    // A full batch: more may be waiting.
                    Ok(report)
                        if report.sent + report.retrying + report.failed + report.gone > 0 =>
                    {
                        continue;
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "outbox round failed; retrying"),
                }
                tokio::select! {
                    _ = wake.notified() => {}
                    _ = tokio::time::sleep(self.options.poll) => {}
                    _ = stop.changed() => return,
                }
                if *stop.borrow() {
                    return;
                }
            }
        });
    }

    /// Claims one batch of due mail and sends it; returns what happened.
    pub async fn round(&self) -> Result<RoundReport, kept_store::StoreError> {
        let store = self.store.clone();
        let (batch, lease) = (self.options.batch, self.options.lease);
        let claimed = tokio::task::spawn_blocking(move || store.claim_deliveries(batch, lease))
            .await
            .map_err(|e| kept_store::StoreError::Internal(e.to_string()))??;
        let mut sends = JoinSet::new();
        let channels = Channels {
            mailer: self.mailer.clone(),
            pusher: self.pusher.clone(),
        };
        for delivery in claimed {
            let channels = channels.clone();
            sends.spawn(async move {
                let started = std::time::Instant::now();
                let outcome = channels.send(&delivery).await;
                (delivery, outcome, started.elapsed())
            });
        }
        let mut report = RoundReport::default();
        let mut outcomes = Vec::new();
        while let Some(joined) = sends.join_next().await {
            let Ok((delivery, sent, took)) = joined else {
                continue; // A panicked send: its lease runs out and it comes back.
            };
            let outcome = self.outcome(&delivery, sent, &mut report);
            if let Some(observer) = &self.observer {
                let result = match &outcome.settlement {
                    Settlement::Sent => DeliveryResult::Sent,
                    Settlement::Retry { .. } => DeliveryResult::Retrying,
                    Settlement::Failed { .. } => DeliveryResult::Failed,
                    Settlement::DeviceGone { .. } => DeliveryResult::DeviceGone,
                };
                let channel = match delivery.push {
                    Some(_) => Channel::Push,
                    None => Channel::Mail,
                };
                observer.attempted(channel, result, took);
            }
            outcomes.push(outcome);
        }
        if outcomes.is_empty() {
            return Ok(report);
        }
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.settle_deliveries(&outcomes))
            .await
            .map_err(|e| kept_store::StoreError::Internal(e.to_string()))??;
        Ok(report)
    }

    /// What to record for one attempt: sent, retry later (with backoff, or when the push
    /// service asked), give up, or forget a device that is gone.
    fn outcome(
        &self,
        delivery: &ClaimedDelivery,
        sent: Result<(), SendError>,
        report: &mut RoundReport,
    ) -> Outcome {
        let settlement = match sent {
            Ok(()) => {
                report.sent += 1;
                Settlement::Sent
            }
            Err(error) => {
                tracing::warn!(
                    delivery = %delivery.id,
                    template = %delivery.template,
                    attempts = delivery.attempts,
                    %error,
                    "not delivered"
                );
                let out_of_attempts = delivery.attempts >= self.options.max_attempts;
                match error {
                    SendError::Gone(error) => {
                        report.gone += 1;
                        Settlement::DeviceGone { error }
                    }
                    SendError::Retry { error, after } if !out_of_attempts => {
                        report.retrying += 1;
                        let asked = after
                            .and_then(|wait| Span::from_std(wait.min(MAX_RETRY_AFTER)).ok())
                            .unwrap_or_default();
                        let at = self.store.now() + self.backoff(delivery).max(asked);
                        Settlement::Retry { error, at }
                    }
                    SendError::Retry { error, .. } | SendError::Permanent(error) => {
                        report.failed += 1;
                        Settlement::Failed { error }
                    }
                }
            }
        };
        Outcome {
            id: delivery.id.clone(),
            push: delivery.push.as_ref().map(|target| target.subscription),
            settlement,
        }
    }

    /// base · 2^(attempts−1), capped, times a jitter in [0.5, 1.5) so that mail that failed
    /// together does not retry together.
    fn backoff(&self, delivery: &ClaimedDelivery) -> Span {
        let exponent = u32::try_from(delivery.attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
        let base = self.options.base_backoff.num_milliseconds().max(1);
        let raw = base.saturating_mul(1_i64 << exponent);
        let capped = raw.min(self.options.max_backoff.num_milliseconds());
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write(delivery.id.as_bytes());
        let jitter = 0.5 + (hasher.finish() % 1000) as f64 / 1000.0;
        Span::milliseconds((capped as f64 * jitter) as i64)
    }
}
