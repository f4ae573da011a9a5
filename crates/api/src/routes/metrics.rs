//! `GET /metrics`: this instance's metrics for Prometheus (see [`crate::metrics`]). Off when
//! `metrics.enabled` is false (a 404 like any unknown path); with `metrics.token` set, only a
//! scrape bearing that token is answered.

use crate::error::{ApiError, ApiResult};
use crate::metrics::Readings;
use crate::openapi::{Api, Op, text_body};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

/// Prometheus's text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub fn routes(api: &mut Api<'_>) {
    api.get(
        "/metrics",
        metrics,
        Op::new(
            "getMetrics",
            "This instance's metrics in Prometheus text format (names start with kept_)",
        )
        .public()
        .media(200, "text/plain", text_body(), "The metrics.")
        .fails(
            401,
            "`invalid_token`: the server has a metrics token and the request did not bear it.",
        )
        .fails(
            404,
            "`not_found`: metrics are turned off (`metrics.enabled = false`).",
        ),
    );
}

async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let config = &state.config.metrics;
    if !config.enabled {
        return Err(ApiError::not_found());
    }
    let expected = config.token.expose();
    if !expected.is_empty() && !bears(&req, expected) {
        return Err(ApiError::unauthenticated(
            "invalid_token",
            "send the metrics token as `Authorization: Bearer <token>`",
        ));
    }
    let readings = Readings {
        live_sockets: state.bus.hub().subscriptions(),
        pool: state.store.pool_stats(),
    };
    Ok(HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(state.metrics.render(readings)))
}

/// Whether the request bears `expected` as its bearer token, compared by digest so that the
/// time taken says nothing about how much of it matched.
fn bears(req: &HttpRequest, expected: &str) -> bool {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    Sha256::digest(presented.as_bytes()) == Sha256::digest(expected.as_bytes())
}
