//! What every request handler can reach: the store, the clock, token keys, limits, config.

use crate::auth::{PasswordWork, TokenKeys};
use crate::config::Config;
use crate::help::HelpResource;
use crate::rate_limit::RateLimiter;
use kept_core::Clock;
use kept_notify::EventBus;
use kept_store::Store;
use std::sync::Arc;
use tokio::sync::watch;

#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub tokens: TokenKeys,
    pub passwords: PasswordWork,
    pub limiter: RateLimiter,
    pub help: Vec<HelpResource>,
    /// How committed events reach the live sessions that wait for them.
    pub bus: Arc<dyn EventBus>,
    /// Turns true when the server is shutting down: sessions close with 1001.
    pub going_away: watch::Receiver<bool>,
    /// `/api/openapi.json`, built once at start-up from the route registration.
    pub openapi: Arc<str>,
    /// What `/metrics` reports.
    pub metrics: crate::metrics::Metrics,
    /// Signs Web Push messages; its public half is what browsers subscribe with.
    pub vapid: crate::VapidKey,
}
