//! Configuration in three layers: `config/default.toml` compiled in, then an optional file,
//! then `KEPT__SECTION__KEY` environment variables. Every error names the key at fault, and
//! secrets never reach a log or `check-config` unmasked.

use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

mod layers;
mod secret;

use layers::{apply_env, merge};
pub use secret::Secret;

pub const DEFAULT_TOML: &str = include_str!("../../../../config/default.toml");
const ENV_PREFIX: &str = "KEPT__";

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
    pub live: LiveConfig,
    pub scheduler: SchedulerConfig,
    pub mail: MailConfig,
    pub data: DataConfig,
    pub help: HelpConfig,
    pub web: WebConfig,
    pub log: LogConfig,
    pub metrics: MetricsConfig,
    pub retention: RetentionConfig,
    pub push: PushConfig,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: String,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub workers: usize,
    pub trust_proxy_headers: bool,
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub url: Secret,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub jwt_secret: Secret,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub secure_cookies: bool,
    pub registration: kept_core::account::RegistrationPolicy,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    pub register_per_minute: u32,
    pub login_per_minute: u32,
    pub invite_accept_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LiveConfig {
    pub ticket_ttl_secs: i64,
    pub ping_interval_millis: u64,
    pub idle_timeout_millis: u64,
    pub send_timeout_millis: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerConfig {
    pub tick_millis: u64,
    /// Minutes before a talk that each partner is reminded (one reminder per entry).
    pub talk_reminder_minutes: Vec<i64>,
    /// Minutes before a commitment falls due that the committer is reminded.
    pub commitment_reminder_minutes: i64,
    /// Reminders fired per transaction.
    pub reminder_batch: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub from: String,
    pub smtp_url: Secret,
    pub outbox_dir: PathBuf,
    pub pool_size: u32,
    pub timeout_secs: u64,
    pub batch: i64,
    pub max_attempts: i32,
    pub retry_base_secs: i64,
    pub retry_max_secs: i64,
    pub poll_millis: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DataConfig {
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HelpConfig {
    pub resources_file: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// Where the web app's quick exit sends the page: a neutral site.
    pub quick_exit_url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days a space both partners have left is kept before it is deleted.
    pub closed_space_days: i64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    pub enabled: bool,
    /// When set, `/metrics` answers only a request bearing it (`Authorization: Bearer …`).
    pub token: Secret,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    /// The VAPID private key (PKCS#8 PEM); empty: generated once into `data.dir/vapid.pem`.
    pub vapid_private_key: Secret,
    /// Accept push endpoints on loopback and private networks, over plain http too. Only for
    /// tests and closed networks: a client chooses the endpoint the server then connects to.
    pub allow_private_endpoints: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    pub filter: String,
    pub format: crate::telemetry::LogFormat,
}

#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Defaults, then `file`, then the `KEPT__…` variables among `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let defaults: Table = DEFAULT_TOML
            .parse()
            .map_err(|e| ConfigError(format!("built-in defaults: {e}")))?;
        let mut merged = defaults.clone();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            let overrides: Table = text
                .parse()
                .map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
            merge(&mut merged, overrides);
        }
        for (name, raw) in env {
            if let Some(key) = name.strip_prefix(ENV_PREFIX) {
                apply_env(&mut merged, &defaults, &name, key, &raw).map_err(ConfigError)?;
            }
        }
        let config: Self = serde_path_to_error::deserialize(Value::Table(merged))
            .map_err(|e| ConfigError(format!("{}: {}", e.path(), e.inner())))?;
        config.check()?;
        Ok(config)
    }

    /// The defaults alone (what `cargo run` gets with nothing set).
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::load(None, std::iter::empty())
    }

    fn check(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError(format!("{key}: {why}")));
        if let Err(e) = self.server.bind.parse::<SocketAddr>() {
            return fail(
                "server.bind",
                format!(
                    "`{}` is not an address like 127.0.0.1:8080 ({e})",
                    self.server.bind
                ),
            );
        }
        let url = self.server.public_url.trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://"))
            || url.len() <= "https://".len()
        {
            return fail(
                "server.public_url",
                "must be an http:// or https:// URL".into(),
            );
        }
        let exit = &self.web.quick_exit_url;
        if !(exit.starts_with("https://") || exit.starts_with("http://"))
            || exit.contains(char::is_whitespace)
        {
            return fail(
                "web.quick_exit_url",
                "must be an http:// or https:// address (a neutral site)".into(),
            );
        }
        if self.server.body_limit_bytes < 1024 {
            return fail("server.body_limit_bytes", "must be at least 1024".into());
        }
        if let Err(e) = kept_store::DatabaseUrl::parse(self.database.url.expose()) {
            return fail("database.url", e.to_string());
        }
        if self.database.pool_size == 0 {
            return fail("database.pool_size", "must be at least 1".into());
        }
        if !(1..=24 * 60).contains(&self.auth.access_token_minutes) {
            return fail(
                "auth.access_token_minutes",
                "must be between 1 and 1440".into(),
            );
        }
        if !(1..=365).contains(&self.auth.refresh_token_days) {
            return fail(
                "auth.refresh_token_days",
                "must be between 1 and 365".into(),
            );
        }
        let secret = self.auth.jwt_secret.expose();
        if !secret.is_empty() && secret.len() < 32 {
            return fail(
                "auth.jwt_secret",
                "must be empty (generated) or at least 32 characters".into(),
            );
        }
        if self.scheduler.tick_millis == 0 {
            return fail("scheduler.tick_millis", "must be above 0".into());
        }
        if !(1..=60).contains(&self.live.ticket_ttl_secs) {
            return fail("live.ticket_ttl_secs", "must be between 1 and 60".into());
        }
        if self.live.ping_interval_millis == 0
            || self.live.idle_timeout_millis <= self.live.ping_interval_millis
        {
            return fail(
                "live.idle_timeout_millis",
                "must be longer than live.ping_interval_millis (> 0)".into(),
            );
        }
        if self.live.send_timeout_millis == 0 {
            return fail("live.send_timeout_millis", "must be above 0".into());
        }
        if !(1..=3650).contains(&self.retention.closed_space_days) {
            return fail(
                "retention.closed_space_days",
                "must be between 1 and 3650".into(),
            );
        }
        let token = self.metrics.token.expose();
        if !token.is_empty() && (token.len() < 16 || token.contains(char::is_whitespace)) {
            return fail(
                "metrics.token",
                "must be empty (no token) or at least 16 characters without spaces".into(),
            );
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.filter) {
            return fail("log.filter", e.to_string());
        }
        Ok(())
    }

    /// The effective configuration as TOML, secrets masked (for `kept check-config`).
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(self)
            .unwrap_or_else(|e| format!("# cannot render configuration: {e}\n"))
    }

    pub fn public_url(&self) -> &str {
        self.server.public_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests;
