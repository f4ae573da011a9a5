//! The one loop for time-driven work. Each tick asks the store to do what has come due
//! (occurrences turning missed, occurrences written ahead, notes released at `deliver_at`,
//! reminders, spaces past their retention); what each of those means is decided in core and
//! store. It stops when the server goes away.

use crate::metrics::Metrics;
use kept_store::Store;
use std::time::Duration;
use tokio::sync::watch;

/// Reminder batches fired per tick at most (each its own transaction); more wait a tick.
const MAX_REMINDER_BATCHES: usize = 100;

pub fn spawn(
    store: Store,
    metrics: Metrics,
    retention: chrono::Duration,
    tick: Duration,
    reminder_batch: i64,
    mut going_away: watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        // Spaces paired before the weekly check-in existed get their openings now.
        let starting = store.clone();
        match tokio::task::spawn_blocking(move || starting.schedule_missing_weekly_openings()).await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(filled)) => tracing::info!(filled, "weekly check-in openings scheduled"),
            Ok(Err(error)) => tracing::warn!(%error, "weekly openings could not be scheduled"),
            Err(error) => tracing::error!(%error, "scheduling weekly openings panicked"),
        }
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = going_away.changed() => return,
            }
            let (store, metrics) = (store.clone(), metrics.clone());
            let round = tokio::task::spawn_blocking(move || {
                let report = store.sweep_commitments()?;
                let delivered = store.deliver_due_notes()?;
                let closed = store.close_due_weekly_rounds()?;
                if closed > 0 {
                    tracing::info!(closed, "weekly rounds closed unrevealed");
                }
                let purged = store.purge_abandoned_spaces(store.now() - retention)?;
                if purged > 0 {
                    tracing::info!(purged, "spaces both partners left were deleted");
                }
                let (mut reminded, mut most_late) = (0, Duration::ZERO);
                for batch in 0..MAX_REMINDER_BATCHES {
                    let fired = store.fire_due_reminders(reminder_batch)?;
                    reminded += fired.sent;
                    if batch == 0 {
                        most_late = fired.most_late;
                    }
                    if i64::try_from(fired.due).unwrap_or(0) < reminder_batch {
                        break;
                    }
                }
                metrics.scheduler_round(reminded, most_late);
                Ok::<_, kept_store::StoreError>((report, delivered, reminded))
            });
            match round.await {
                Ok(Ok((report, delivered, reminded)))
                    if report.missed > 0
                        || report.extended > 0
                        || delivered > 0
                        || reminded > 0 =>
                {
                    tracing::info!(
                        missed = report.missed,
                        written_ahead = report.extended,
                        delivered,
                        reminded,
                        "scheduler round"
                    );
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::warn!(%error, "scheduler round failed; retrying next tick")
                }
                Err(error) => tracing::error!(%error, "scheduler round panicked"),
            }
        }
    });
}
