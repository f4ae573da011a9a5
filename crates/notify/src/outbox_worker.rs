//! The outbox worker: claims due deliveries, sends them concurrently through the [`Mailer`], and
//! records each outcome. A failed send is retried with exponential backoff and jitter until the
//! attempt limit, then marked `failed` with its last error. Several instances may run it at once:
//! claims are leased rows, so no two workers hold the same mail.

use crate::mailer::{MailError, Mailer};
use chrono::Duration as Span;
use kept_store::Store;
use kept_store::outbox::{ClaimedDelivery, Outcome};
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

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent,
    /// Failed this time; another attempt is scheduled.
    Retrying,
    /// Failed for good (a permanent error, or out of attempts).
    Failed,
}

/// Told of every delivery attempt, with how long the send took (the server's metrics).
pub trait DeliveryObserver: Send + Sync + std::fmt::Debug {
    fn attempted(&self, result: DeliveryResult, took: Duration);
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// The worker; [`OutboxWorker::spawn`] runs it until `stop` turns true.
#[derive(Debug, Clone)]
pub struct OutboxWorker {
    store: Store,
    mailer: Mailer,
    options: WorkerOptions,
    observer: Option<Arc<dyn DeliveryObserver>>,
}

impl OutboxWorker {
    pub fn new(store: Store, mailer: Mailer, options: WorkerOptions) -> Self {
        OutboxWorker {
            store,
            mailer,
            options,
            observer: None,
        }
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
                    Ok(report) if report.sent + report.retrying + report.failed > 0 => continue,
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
        for delivery in claimed {
            let mailer = self.mailer.clone();
            sends.spawn(async move {
                let started = std::time::Instant::now();
                let outcome = mailer.send(&delivery).await;
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
                let result = match &outcome.result {
                    Ok(()) => DeliveryResult::Sent,
                    Err((_, Some(_))) => DeliveryResult::Retrying,
                    Err((_, None)) => DeliveryResult::Failed,
                };
                observer.attempted(result, took);
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

    /// What to record for one attempt: sent, retry later (with backoff), or give up.
    fn outcome(
        &self,
        delivery: &ClaimedDelivery,
        sent: Result<(), MailError>,
        report: &mut RoundReport,
    ) -> Outcome {
        let result = match sent {
            Ok(()) => {
                report.sent += 1;
                Ok(())
            }
            Err(error) => {
                tracing::warn!(
                    delivery = %delivery.id,
                    template = %delivery.template,
                    attempts = delivery.attempts,
                    %error,
                    "mail not sent"
                );
                let give_up =
                    error.is_permanent() || delivery.attempts >= self.options.max_attempts;
                if give_up {
                    report.failed += 1;
                    Err((error.to_string(), None))
                } else {
                    report.retrying += 1;
                    let retry_at = self.store.now() + self.backoff(delivery);
                    Err((error.to_string(), Some(retry_at)))
                }
            }
        };
        Outcome {
            id: delivery.id.clone(),
            result,
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
