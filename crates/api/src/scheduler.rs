//! The one loop for time-driven work. Each tick asks the store to do what has come due
//! (occurrences turning missed, occurrences written ahead, notes released at `deliver_at`); what each of those means is decided
//! in core and store. It stops when the server goes away.

use kept_store::Store;
use std::time::Duration;
use tokio::sync::watch;

pub fn spawn(store: Store, tick: Duration, mut going_away: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = going_away.changed() => return,
            }
            let store = store.clone();
            let round = tokio::task::spawn_blocking(move || {
                let report = store.sweep_commitments()?;
                Ok::<_, kept_store::StoreError>((report, store.deliver_due_notes()?))
            });
            match round.await {
                Ok(Ok((report, delivered)))
                    if report.missed > 0 || report.extended > 0 || delivered > 0 =>
                {
                    tracing::info!(
                        missed = report.missed,
                        written_ahead = report.extended,
                        delivered,
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
