//! What every request handler can reach: the store, the clock, token keys, limits, config.

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::help::HelpResource;
use crate::rate_limit::RateLimiter;
use kept_core::Clock;
use kept_store::Store;
use std::sync::Arc;

#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub tokens: TokenKeys,
    pub limiter: RateLimiter,
    pub help: Vec<HelpResource>,
}
