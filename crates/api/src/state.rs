//! What every request handler can reach: the store, the clock, token keys, limits, config.

use crate::auth::{PasswordWork, TokenKeys};
use crate::config::Config;
use crate::help::HelpResource;
use crate::live::LiveOptions;
use crate::rate_limit::RateLimiter;
use kept_core::Clock;
use kept_notify::EventBus;
use kept_store::Store;
use std::sync::Arc;
use std::time::Duration;
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
    /// The embedded web app's page and headers, prepared from the configuration.
    pub web: crate::web_app::WebApp,
}

impl AppState {
    pub fn live_options(&self) -> LiveOptions {
        let live = &self.config.live;
        LiveOptions {
            ping_interval: Duration::from_millis(live.ping_interval_millis),
            idle_timeout: Duration::from_millis(live.idle_timeout_millis),
            send_timeout: Duration::from_millis(live.send_timeout_millis),
        }
    }
}
