//! The hub: one doorbell per space that has live sessions. A ring carries no event, only "the
//! log of this space has grown"; each session then reads what it has not sent yet from the log.
//! Rings coalesce (a `watch` channel keeps only the latest), so a burst of commits costs a slow
//! session one read, never a queue that grows.

use kept_core::SpaceId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::watch;

#[derive(Debug, Default)]
pub struct Hub {
    bells: Mutex<HashMap<SpaceId, watch::Sender<u64>>>,
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Listens to `space`'s doorbell until the subscription is dropped.
    pub fn subscribe(self: &Arc<Self>, space: SpaceId) -> Subscription {
        let mut bells = self.bells.lock().unwrap_or_else(PoisonError::into_inner);
        let receiver = bells
            .entry(space)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Subscription {
            hub: Arc::clone(self),
            space,
            receiver: Some(receiver),
        }
    }

    /// Wakes every session of `space` (no-op when there are none on this instance).
    pub fn ring(&self, space: SpaceId) {
        let bells = self.bells.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(bell) = bells.get(&space) {
            bell.send_modify(|rung| *rung = rung.wrapping_add(1));
        }
    }

    /// Wakes every session of every space: after the cross-instance listener reconnects, any
    /// NOTIFY sent while it was away is lost, so every session re-reads the log.
    pub fn ring_all(&self) {
        let bells = self.bells.lock().unwrap_or_else(PoisonError::into_inner);
        for bell in bells.values() {
            bell.send_modify(|rung| *rung = rung.wrapping_add(1));
        }
    }

    /// Live subscriptions on this instance (sessions, in practice).
    pub fn subscriptions(&self) -> usize {
        let bells = self.bells.lock().unwrap_or_else(PoisonError::into_inner);
        bells.values().map(watch::Sender::receiver_count).sum()
    }

    /// Spaces with at least one subscription.
    pub fn spaces(&self) -> usize {
        self.bells
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// One session's hold on a space's doorbell. Dropping it deregisters, on every exit path.
#[derive(Debug)]
pub struct Subscription {
    hub: Arc<Hub>,
    space: SpaceId,
    receiver: Option<watch::Receiver<u64>>,
}

impl Subscription {
    /// Waits for the next ring. Rings that came while the caller was busy count as one.
    pub async fn rung(&mut self) {
        match self.receiver.as_mut() {
            Some(receiver) => {
                // The sender lives as long as any subscription to it, so this cannot fail.
                let _ = receiver.changed().await;
            }
            None => std::future::pending().await,
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        drop(self.receiver.take());
        let mut bells = self
            .hub
            .bells
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if bells
            .get(&self.space)
            .is_some_and(|bell| bell.receiver_count() == 0)
        {
            bells.remove(&self.space);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::time::timeout;

    fn space() -> SpaceId {
        SpaceId::new_at(chrono::Utc::now())
    }

    #[tokio::test]
    async fn a_ring_wakes_the_subscribers_of_that_space_only() {
        let hub = Hub::new();
        let (ours, theirs) = (space(), space());
        let mut a = hub.subscribe(ours);
        let mut b = hub.subscribe(theirs);
        hub.ring(ours);
        assert!(timeout(Duration::from_millis(100), a.rung()).await.is_ok());
        assert!(timeout(Duration::from_millis(50), b.rung()).await.is_err());
        hub.ring_all();
        assert!(timeout(Duration::from_millis(100), b.rung()).await.is_ok());
    }

    #[tokio::test]
    async fn rings_coalesce_and_dropping_deregisters() {
        let hub = Hub::new();
        let ours = space();
        let mut a = hub.subscribe(ours);
        let b = hub.subscribe(ours);
        for _ in 0..1000 {
            hub.ring(ours);
        }
        a.rung().await;
        assert!(
            timeout(Duration::from_millis(50), a.rung()).await.is_err(),
            "a burst is one wake-up"
        );
        assert_eq!((hub.subscriptions(), hub.spaces()), (2, 1));
        drop(a);
        drop(b);
        assert_eq!((hub.subscriptions(), hub.spaces()), (0, 0));
    }
}
