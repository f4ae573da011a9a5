//! What the operator's monitoring scrapes at `GET /metrics` (Prometheus text format): requests
//! by route template, method and status with their durations; open live sockets; events
//! appended; mail deliveries and their send time; reminders fired and how late; the database
//! pool. Each application has its own registry, so two servers in one process (the tests)
//! count apart. Labels hold route templates and names only, never anything a person wrote.

use actix_web::http::{Method, StatusCode};
use kept_notify::{Channel, DeliveryObserver, DeliveryResult};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::time::Duration;

/// The server's instruments, registered once at start-up.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    live_sockets: IntGauge,
    events_appended: IntCounter,
    deliveries: IntCounterVec,
    send_seconds: Histogram,
    reminders_fired: IntCounter,
    scheduler_lag: prometheus::Gauge,
    pool_connections: IntGaugeVec,
    pool_acquired: IntCounter,
    pool_wait_seconds: prometheus::Counter,
}

/// What the instruments read at scrape time rather than count as it happens.
#[derive(Debug, Clone, Copy, Default)]
pub struct Readings {
    pub live_sockets: usize,
    pub pool: kept_store::db::PoolStats,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new("kept_http_requests_total", "HTTP requests answered"),
            &["route", "method", "status"],
        )?;
        let request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "kept_http_request_duration_seconds",
                "Time from a request's arrival to its answer",
            ),
            &["route", "method"],
        )?;
        let live_sockets = IntGauge::new("kept_live_sockets", "Live-stream sockets open now")?;
        let events_appended = IntCounter::new(
            "kept_events_appended_total",
            "Events appended to the spaces' timelines",
        )?;
        let deliveries = IntCounterVec::new(
            Opts::new(
                "kept_outbox_deliveries_total",
                "Delivery attempts by channel (mail, push) and result: sent, retrying (a later attempt), failed (given up), gone (a push device its service no longer knows)",
            ),
            &["channel", "status"],
        )?;
        let send_seconds = Histogram::with_opts(HistogramOpts::new(
            "kept_outbox_send_duration_seconds",
            "Time one delivery took to hand to the SMTP server or push service (or to fail)",
        ))?;
        let reminders_fired = IntCounter::new(
            "kept_reminders_fired_total",
            "Reminders that wrote their event and mail",
        )?;
        let scheduler_lag = prometheus::Gauge::new(
            "kept_scheduler_lag_seconds",
            "How late the latest scheduler round fired its most overdue reminder (0: none was due)",
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "kept_db_pool_connections",
                "Database connections of this instance by state",
            ),
            &["state"],
        )?;
        let pool_acquired = IntCounter::new(
            "kept_db_pool_acquired_total",
            "Connections handed out by the pool",
        )?;
        let pool_wait_seconds = prometheus::Counter::new(
            "kept_db_pool_wait_seconds_total",
            "Time spent waiting for a pooled connection (divide by kept_db_pool_acquired_total)",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(request_seconds.clone()))?;
        registry.register(Box::new(live_sockets.clone()))?;
        registry.register(Box::new(events_appended.clone()))?;
        registry.register(Box::new(deliveries.clone()))?;
        registry.register(Box::new(send_seconds.clone()))?;
        registry.register(Box::new(reminders_fired.clone()))?;
        registry.register(Box::new(scheduler_lag.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        registry.register(Box::new(pool_acquired.clone()))?;
        registry.register(Box::new(pool_wait_seconds.clone()))?;
        Ok(Self {
            registry,
            requests,
            request_seconds,
            live_sockets,
            events_appended,
            deliveries,
            send_seconds,
            reminders_fired,
            scheduler_lag,
            pool_connections,
            pool_acquired,
            pool_wait_seconds,
        })
    }

    /// Counts one answered request under its route template.
    pub fn request(&self, route: &str, method: &Method, status: StatusCode, took: Duration) {
        let method = method_label(method);
        self.requests
            .with_label_values(&[route, method, status.as_str()])
            .inc();
        self.request_seconds
            .with_label_values(&[route, method])
            .observe(took.as_secs_f64());
    }

    pub fn events_appended(&self, count: usize) {
        self.events_appended
            .inc_by(u64::try_from(count).unwrap_or(u64::MAX));
    }

    /// One scheduler round: reminders that wrote something, and how late the most overdue was.
    pub fn scheduler_round(&self, fired: usize, most_late: Duration) {
        self.reminders_fired
            .inc_by(u64::try_from(fired).unwrap_or(u64::MAX));
        self.scheduler_lag.set(most_late.as_secs_f64());
    }

    /// The text a Prometheus server scrapes, with the readings of this moment.
    pub fn render(&self, now: Readings) -> String {
        self.live_sockets
            .set(i64::try_from(now.live_sockets).unwrap_or(i64::MAX));
        let gauge = |state: &str, value: u32| {
            self.pool_connections
                .with_label_values(&[state])
                .set(i64::from(value));
        };
        gauge("in_use", now.pool.connections - now.pool.idle);
        gauge("idle", now.pool.idle);
        // Counters only grow: bring them up to the pool's own running totals.
        let acquired = now.pool.acquired.saturating_sub(self.pool_acquired.get());
        self.pool_acquired.inc_by(acquired);
        let waited = now.pool.waited.as_secs_f64() - self.pool_wait_seconds.get();
        if waited > 0.0 {
            self.pool_wait_seconds.inc_by(waited);
        }
        let mut text = Vec::new();
        let encoded = TextEncoder::new().encode(&self.registry.gather(), &mut text);
        match encoded {
            Ok(()) => String::from_utf8_lossy(&text).into_owned(),
            Err(error) => format!("# metrics could not be encoded: {error}\n"),
        }
    }
}

impl DeliveryObserver for Metrics {
    fn attempted(&self, channel: Channel, result: DeliveryResult, took: Duration) {
        let channel = match channel {
            Channel::Mail => "mail",
            Channel::Push => "push",
        };
        let status = match result {
            DeliveryResult::Sent => "sent",
            DeliveryResult::Retrying => "retrying",
            DeliveryResult::Failed => "failed",
            DeliveryResult::DeviceGone => "gone",
        };
        self.deliveries.with_label_values(&[channel, status]).inc();
        self.send_seconds.observe(took.as_secs_f64());
    }
}

/// The method as a label: the standard ones by name, anything else as `other` (a client may
/// send any token as a method; labels must stay few).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}
