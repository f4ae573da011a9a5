//! Building and running the server: the one place where config, store, keys and routes are
//! put together. Tests build the same `Application` on port 0 with their own clock.

use crate::auth::{TokenKeys, random_secret};
use crate::config::Config;
use crate::json::BodyLimit;
use crate::rate_limit::RateLimiter;
use crate::state::AppState;
use crate::{help, routes};
use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpServer, web};
use chrono::Duration;
use kept_core::Clock;
use kept_store::{DatabaseUrl, PoolOptions, Store};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use tracing::Instrument;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{0}")]
    Config(String),
    #[error("database: {0}")]
    Store(#[from] kept_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A built server, bound and ready to run.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the store (running migrations), binds the listener and builds the server.
    /// `handle_signals`: the binary stops on SIGINT/SIGTERM; tests stop by dropping the task.
    pub fn build(
        config: Config,
        clock: Arc<dyn Clock>,
        handle_signals: bool,
    ) -> Result<Self, StartError> {
        let url = DatabaseUrl::parse(config.database.url.expose())?;
        let options = PoolOptions {
            max_size: config.database.pool_size,
            connect_timeout: std::time::Duration::from_secs(config.database.connect_timeout_secs),
        };
        let store = Store::open(&url, &options, clock.clone())?;
        let secret = signing_key(&config)?;
        let tokens = TokenKeys::new(
            secret.as_bytes(),
            Duration::minutes(config.auth.access_token_minutes),
        );
        let help = help::load(&config.help.resources_file).map_err(StartError::Config)?;
        let listener =
            TcpListener::bind(&config.server.bind).map_err(|source| StartError::Bind {
                addr: config.server.bind.clone(),
                source,
            })?;
        let port = listener.local_addr()?.port();
        let (body_limit, workers, shutdown) = (
            config.server.body_limit_bytes,
            config.server.workers,
            config.server.shutdown_timeout_secs,
        );
        let state = web::Data::new(AppState {
            limiter: RateLimiter::new(clock.clone()),
            config,
            store,
            clock,
            tokens,
            help,
        });

        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(BodyLimit(body_limit))
                .wrap_fn(|req, srv| {
                    let request_id = uuid::Uuid::new_v4().simple().to_string();
                    let span = tracing::info_span!("request", id = %request_id, method = %req.method(), path = %req.path());
                    let response = srv.call(req);
                    async move {
                        let mut response = response.await?;
                        tracing::info!(status = response.status().as_u16(), "handled");
                        if let Ok(value) = HeaderValue::from_str(&request_id) {
                            response.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
                        }
                        Ok(response)
                    }
                    .instrument(span)
                })
                .configure(routes::configure)
                .default_service(web::to(routes::not_found))
        })
        .listen(listener)?
        .shutdown_timeout(shutdown);
        if workers > 0 {
            server = server.workers(workers);
        }
        if !handle_signals {
            server = server.disable_signals();
        }
        Ok(Self {
            port,
            server: server.run(),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// Serves until stopped (a signal, or the server handle).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn server_handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

/// The access-token key: from config, or on the embedded default a random one kept in
/// `data.dir/jwt.key` so that sessions survive a restart.
fn signing_key(config: &Config) -> Result<String, StartError> {
    let configured = config.auth.jwt_secret.expose();
    if !configured.is_empty() {
        return Ok(configured.to_owned());
    }
    let path = config.data.dir.join("jwt.key");
    match std::fs::read_to_string(&path) {
        Ok(key) if key.trim().len() >= 32 => Ok(key.trim().to_owned()),
        Ok(_) => Err(StartError::Config(format!(
            "{} is too short; delete it to generate a new key",
            path.display()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_secret(32).map_err(|e| StartError::Config(e.to_string()))?;
            write_private(&path, &key)?;
            tracing::info!(path = %path.display(), "generated a new access-token signing key");
            Ok(key)
        }
        Err(e) => Err(StartError::Config(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn write_private(path: &Path, contents: &str) -> Result<(), StartError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path)?, contents.as_bytes())?;
    Ok(())
}
