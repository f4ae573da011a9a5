//! The HTTP surface: `/api/v1/…` plus the operational endpoints. Handlers are thin: parse the
//! request into core types, run one store command off the async threads, shape the answer.

mod account_mail;
mod accounts;
mod calendar;
mod check_ins;
mod commitments;
mod export;
mod health;
mod hints;
mod notes;
mod requests;
mod spaces;
mod stats;
mod talks;
mod together;

use crate::error::{ApiError, ApiResult};
use crate::openapi::{Api, Op};
use crate::rate_limit::Door;
use crate::state::AppState;
use actix_web::{HttpRequest, web};
use kept_store::{StoreError, StoreResult};
use std::net::IpAddr;

/// Every route of the service, each served and described in one call (see [`Api`]).
pub fn routes(api: &mut Api<'_>) {
    api.group("", "operations", health::routes)
        .group("", "operations", |api| {
            api.get(
                "/api/openapi.json",
                openapi_document,
                Op::new(
                    "getOpenApi",
                    "This document: OpenAPI 3.1 of every route the service serves",
                )
                .public()
                .media(
                    200,
                    "application/json",
                    openapi_document_schema(),
                    "The OpenAPI document.",
                ),
            );
        })
        .group("/api/v1", "accounts", accounts::routes)
        .group("/api/v1", "accounts", account_mail::routes)
        .group("/api/v1", "accounts", calendar::routes)
        .group("/api/v1", "spaces", spaces::routes)
        .group("/api/v1", "live", crate::live::routes)
        .group("/api/v1", "check-ins", check_ins::routes)
        .group("/api/v1", "requests", requests::routes)
        .group("/api/v1", "commitments", commitments::routes)
        .group("/api/v1", "notes", notes::routes)
        .group("/api/v1", "together", together::routes)
        .group("/api/v1", "talks", talks::routes)
        .group("/api/v1", "stats", stats::routes)
        .group("/api/v1", "spaces", export::routes)
        .group("/api/v1", "hints", hints::routes);
}

/// Serves every route on `cfg`; the description is dropped (it was built once at start-up by
/// [`crate::openapi::document_of`]).
pub fn configure(cfg: &mut web::ServiceConfig) {
    crate::openapi::serve(cfg, routes);
}

/// The top of an OpenAPI 3.1 document; its parts are described by the OpenAPI specification.
fn openapi_document_schema() -> utoipa::openapi::schema::ObjectBuilder {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let object = || ObjectBuilder::new().schema_type(Type::Object);
    let string = || ObjectBuilder::new().schema_type(Type::String);
    object()
        .property("openapi", string())
        .property(
            "info",
            object()
                .property("title", string())
                .property("version", string())
                .required("title")
                .required("version"),
        )
        .property("paths", object())
        .property("components", object())
        .required("openapi")
        .required("info")
        .required("paths")
}

async fn openapi_document(state: web::Data<AppState>) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi.to_string())
}

/// Every unmatched path answers with the same problem JSON as any other 404.
pub async fn not_found() -> actix_web::HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::not_found())
}

/// Runs a blocking store call on the blocking pool and maps both layers of failure.
pub(crate) async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> StoreResult<T> + Send + 'static,
) -> ApiResult<T> {
    Ok(web::block(call).await??)
}

/// Like [`blocking`], with a say over how store errors map: for the few routes where a generic
/// answer ("not found") would be less clear than a specific one ("no invite has this code").
pub(crate) async fn blocking_mapped<T: Send + 'static>(
    call: impl FnOnce() -> StoreResult<T> + Send + 'static,
    map: impl FnOnce(StoreError) -> ApiError,
) -> ApiResult<T> {
    web::block(call).await?.map_err(map)
}

/// A created item as JSON with the hints for what its author wrote, under `hints`.
pub(crate) fn with_hints(
    item: &impl serde::Serialize,
    kind: kept_core::hints::HintKind,
    text: &str,
) -> serde_json::Value {
    let mut value = serde_json::to_value(item).unwrap_or_default();
    if let Some(fields) = value.as_object_mut() {
        let hints = serde_json::to_value(kept_core::hints::hints(kind, text)).unwrap_or_default();
        fields.insert("hints".to_owned(), hints);
    }
    value
}

/// Lets the request through `door` unless its client went through too often this minute (429
/// with `Retry-After`); each door's limit is in `[limits]`.
pub(crate) fn admit(req: &HttpRequest, state: &AppState, door: Door) -> ApiResult<()> {
    let limits = &state.config.limits;
    let per_minute = match door {
        Door::Register => limits.register_per_minute,
        Door::Login => limits.login_per_minute,
        Door::AcceptInvite => limits.invite_accept_per_minute,
    };
    state.limiter.check(door, client_ip(req, state), per_minute)
}

/// The client's address for rate limiting: the peer, or the proxy's forwarded value when the
/// proxy is trusted.
fn client_ip(req: &HttpRequest, state: &AppState) -> IpAddr {
    let forwarded = state.config.server.trust_proxy_headers.then(|| {
        req.connection_info().realip_remote_addr().and_then(|addr| {
            addr.parse::<IpAddr>()
                .ok()
                .or_else(|| addr.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        })
    });
    forwarded
        .flatten()
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The query string as `T`; anything unparsable or unknown is a 422.
pub(crate) fn query<T: serde::de::DeserializeOwned>(req: &HttpRequest) -> ApiResult<T> {
    web::Query::<T>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| ApiError::invalid_field("query", e.to_string()))
}

/// A page size from the query: `default` when absent, 1..=`max` otherwise.
pub(crate) fn page_limit(raw: Option<i64>, default: i64, max: i64) -> ApiResult<i64> {
    let limit = raw.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::invalid_field(
            "limit",
            format!("must be between 1 and {max}"),
        ))
    }
}

/// A path segment that should be a typed id. A malformed id names nothing: 404, like any id
/// the caller may not see.
pub(crate) fn path_id<T: std::str::FromStr>(raw: &str) -> ApiResult<T> {
    raw.parse().map_err(|_| ApiError::not_found())
}
