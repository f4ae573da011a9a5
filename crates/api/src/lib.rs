//! Kept's HTTP API: routes, authentication, configuration, and the server that hosts them.
//! The `kept` binary (src/main.rs) is a thin command line over [`app::Application`].

pub mod app;
pub mod auth;
pub mod caller;
pub mod config;
pub mod error;
pub mod handler;
pub mod help;
pub mod json;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod operator;
pub mod rate_limit;
pub mod request_log;
pub mod routes;
pub mod scheduler;
mod signing_key;
pub mod state;
pub mod telemetry;
mod vapid_key;
pub use vapid_key::VapidKey;
pub mod web_app;

pub use app::Application;
pub use config::Config;
