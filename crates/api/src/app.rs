//! Building and running the server: the one place where config, store, keys and routes are
//! put together. Tests build the same `Application` on port 0 with their own clock.

use crate::auth::{PasswordWork, TokenKeys};
use crate::config::Config;
use crate::json::BodyLimit;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;
use crate::state::AppState;
use crate::{help, routes};
use actix_web::dev::{Server, Service};
use actix_web::http::header::HeaderName;
use actix_web::{App, HttpServer, web};
use chrono::Duration;
use kept_core::Clock;
use kept_notify::pg_listener::ListenerOptions;
use kept_notify::{
    EventBus, Hub, InProcessBus, Mailer, MailerOptions, OutboxWorker, PostgresBus,
    UnsubscribeLinks, WorkerOptions,
};
use kept_store::published::Committed;
use kept_store::reminders::ReminderSettings;
use kept_store::{Backend, DatabaseUrl, PoolOptions, Store};
use std::net::TcpListener;
use std::sync::Arc;
use tokio::sync::{Notify, watch};
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
    shutdown: Shutdown,
}

/// Stops the server gracefully: live sockets are closed with 1001 (going away), then in-flight
/// requests are drained.
#[derive(Clone, Debug)]
pub struct Shutdown {
    server: actix_web::dev::ServerHandle,
    going_away: Arc<watch::Sender<bool>>,
    hub: Arc<Hub>,
}

impl Shutdown {
    /// Stops at once, without closing sessions first (the stop command is sent before the
    /// returned future is polled, so it may be dropped).
    pub fn server_stop_now(&self) -> impl std::future::Future<Output = ()> + use<> {
        let _ = self.going_away.send(true);
        self.server.stop(false)
    }

    pub async fn stop(&self) {
        let _ = self.going_away.send(true);
        // Give sessions a moment to send their close frames before the workers stop.
        for _ in 0..100 {
            if self.hub.subscriptions() == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.server.stop(true).await;
    }
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Opens the store (running migrations), binds the listener and builds the server. Signals
    /// are not handled here: the binary calls [`Shutdown::stop`] on SIGINT/SIGTERM.
    pub fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Self, StartError> {
        let url = DatabaseUrl::parse(config.database.url.expose())?;
        let options = PoolOptions {
            max_size: config.database.pool_size,
            connect_timeout: std::time::Duration::from_secs(config.database.connect_timeout_secs),
        };
        let bus: Arc<dyn EventBus> = match url.backend {
            Backend::Postgres => Arc::new(PostgresBus::start(
                config.database.url.expose().to_owned(),
                ListenerOptions::default(),
            )?),
            Backend::Sqlite => Arc::new(InProcessBus::new()),
        };
        let publish = Arc::clone(&bus);
        let metrics = Metrics::new().map_err(|e| StartError::Config(format!("metrics: {e}")))?;
        let count_events = metrics.clone();
        // A command that wrote mail due now wakes the outbox worker.
        let mail_written = Arc::new(Notify::new());
        let wake_outbox = Arc::clone(&mail_written);
        let reminders = ReminderSettings {
            talk_leads: config
                .scheduler
                .talk_reminder_minutes
                .iter()
                .map(|m| Duration::minutes(*m))
                .collect(),
            commitment_lead: Duration::minutes(config.scheduler.commitment_reminder_minutes),
        };
        let store = Store::open(&url, &options, clock.clone())?
            .with_reminder_settings(reminders)
            .with_commit_hook(Arc::new(move |committed: &Committed| {
                if !committed.appended.is_empty() {
                    count_events.events_appended(committed.appended.len());
                    publish.published(&committed.appended);
                }
                if committed.mail_due {
                    wake_outbox.notify_one();
                }
            }));
        let hub = Arc::clone(bus.hub());
        let (going_away, going_away_rx) = watch::channel(false);
        crate::scheduler::spawn(
            store.clone(),
            metrics.clone(),
            Duration::days(config.retention.closed_space_days),
            std::time::Duration::from_millis(config.scheduler.tick_millis),
            config.scheduler.reminder_batch,
            going_away_rx.clone(),
        );
        let secret = crate::signing_key::signing_key(&config).map_err(StartError::Config)?;
        let vapid = crate::vapid_key::vapid_key(&config).map_err(StartError::Config)?;
        let tokens = TokenKeys::new(
            secret.as_bytes(),
            Duration::minutes(config.auth.access_token_minutes),
        );
        OutboxWorker::new(
            store.clone(),
            mailer(&config, tokens.clone())?,
            worker_options(&config),
        )
        .with_pusher(crate::vapid_key::pusher(&config, &vapid).map_err(StartError::Config)?)
        .with_observer(Arc::new(metrics.clone()))
        .spawn(mail_written, going_away_rx.clone());
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
        let web_app = crate::web_app::WebApp::new(&config);
        let state = web::Data::new(AppState {
            limiter: RateLimiter::new(clock.clone()),
            config,
            store,
            clock,
            tokens,
            passwords: PasswordWork::start()?,
            help,
            bus,
            going_away: going_away_rx,
            openapi: openapi_json()?,
            metrics: metrics.clone(),
            vapid,
        });
        let web_app = web::Data::new(web_app);

        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let metrics = metrics.clone();
            App::new()
                .app_data(app_state.clone())
                .app_data(web_app.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::PathConfig::default().error_handler(crate::handler::path_not_found))
                .app_data(BodyLimit(body_limit))
                .wrap_fn(move |req, srv| {
                    let metrics = metrics.clone();
                    let id = crate::request_log::RequestId::next();
                    let method = req.method().clone();
                    let span = tracing::info_span!("request", id = %id);
                    let started = std::time::Instant::now();
                    let response = srv.call(req);
                    async move {
                        let mut response = response.await?;
                        let route = response.request().match_pattern();
                        let route = route
                            .as_deref()
                            .unwrap_or(crate::request_log::WEB_APP_ROUTE);
                        let (status, elapsed) = (response.status(), started.elapsed());
                        crate::request_log::handled(&method, route, status, elapsed);
                        metrics.request(route, &method, status, elapsed);
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id.header());
                        Ok(response)
                    }
                    .instrument(span)
                })
                .configure(routes::configure)
                .default_service(web::to(crate::web_app::serve))
        })
        .listen(listener)?
        .shutdown_timeout(shutdown);
        if workers > 0 {
            server = server.workers(workers);
        }
        let server = server.disable_signals().run();
        let shutdown = Shutdown {
            server: server.handle(),
            going_away: Arc::new(going_away),
            hub,
        };
        Ok(Self {
            port,
            server,
            state,
            shutdown,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> Store {
        self.state.store.clone()
    }

    /// Serves until [`Shutdown::stop`].
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The hub, for observing live sessions after the application has been moved into its task.
    pub fn hub(&self) -> Arc<Hub> {
        Arc::clone(self.state.bus.hub())
    }
}

/// The mail transport from `[mail]`; unsubscribe links are signed with the token keys.
fn mailer(config: &Config, tokens: TokenKeys) -> Result<Mailer, StartError> {
    let base_url = config.public_url().to_owned();
    let links_base = base_url.clone();
    let unsubscribe: UnsubscribeLinks = Arc::new(move |user, kind| {
        let token = tokens
            .issue_unsubscribe(user, kind)
            .map_err(|e| e.to_string())?;
        Ok(format!("{links_base}/api/v1/unsubscribe?token={token}"))
    });
    let options = MailerOptions {
        smtp_url: config.mail.smtp_url.expose().to_owned(),
        outbox_dir: config.mail.outbox_dir.clone(),
        from: config.mail.from.clone(),
        base_url,
        pool_size: config.mail.pool_size,
        concurrency: usize::try_from(config.mail.pool_size.max(1)).unwrap_or(1),
        timeout: std::time::Duration::from_secs(config.mail.timeout_secs),
    };
    Mailer::new(&options, unsubscribe).map_err(|e| StartError::Config(e.to_string()))
}

fn worker_options(config: &Config) -> WorkerOptions {
    WorkerOptions {
        batch: config.mail.batch,
        max_attempts: config.mail.max_attempts,
        base_backoff: Duration::seconds(config.mail.retry_base_secs),
        max_backoff: Duration::seconds(config.mail.retry_max_secs),
        poll: std::time::Duration::from_millis(config.mail.poll_millis),
        ..WorkerOptions::default()
    }
}

/// The OpenAPI document of every route, serialised once.
pub fn openapi_json() -> Result<Arc<str>, StartError> {
    crate::openapi::document_of(routes::routes)
        .to_json()
        .map(Arc::from)
        .map_err(|e| StartError::Config(format!("OpenAPI document: {e}")))
}
