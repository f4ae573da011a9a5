//! The event bus: how a committed event reaches the live sessions that wait for it.
//!
//! Both implementations ring the local [`Hub`] after a commit (the lowest latency for sessions
//! on this instance). With PostgreSQL a [`PgListener`] also rings the other instances after the
//! commit, and rings this instance's hub for commits made on theirs.

use crate::hub::{Hub, Subscription};
use crate::pg_listener::{ListenerOptions, PgListener};
use kept_core::SpaceId;
use kept_store::published::Appended;
use std::fmt::Debug;
use std::sync::Arc;

pub trait EventBus: Send + Sync + Debug {
    /// Called after a transaction that appended events has committed.
    fn published(&self, appended: &[Appended]);
    /// Waits on `space`'s doorbell until the subscription is dropped.
    fn subscribe(&self, space: SpaceId) -> Subscription;
    /// The local hub, for observing sessions.
    fn hub(&self) -> &Arc<Hub>;
}

/// One instance on SQLite: commits and sessions live in the same process.
#[derive(Debug, Default)]
pub struct InProcessBus {
    hub: Arc<Hub>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self { hub: Hub::new() }
    }
}

impl EventBus for InProcessBus {
    fn published(&self, appended: &[Appended]) {
        appended.iter().for_each(|a| self.hub.ring(a.space));
    }

    fn subscribe(&self, space: SpaceId) -> Subscription {
        self.hub.subscribe(space)
    }

    fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

/// Several instances on one PostgreSQL: LISTEN/NOTIFY is the doorbell between them.
#[derive(Debug)]
pub struct PostgresBus {
    local: InProcessBus,
    listener: PgListener,
}

impl PostgresBus {
    /// Starts this instance's listener on `database_url`.
    pub fn start(database_url: String, options: ListenerOptions) -> std::io::Result<Self> {
        let local = InProcessBus::new();
        let listener = PgListener::start(database_url, Arc::clone(&local.hub), options)?;
        Ok(Self { local, listener })
    }

    /// This instance's doorbell, for observing it.
    pub fn listener(&self) -> &PgListener {
        &self.listener
    }
}

impl EventBus for PostgresBus {
    fn published(&self, appended: &[Appended]) {
        self.local.published(appended);
        self.listener.ring(appended);
    }

    fn subscribe(&self, space: SpaceId) -> Subscription {
        self.local.subscribe(space)
    }

    fn hub(&self) -> &Arc<Hub> {
        self.local.hub()
    }
}
