//! What every handler shares: running a store call on the blocking pool, reading the query
//! string, page sizes, the rate-limit door, and the JSON of a created item with its writing
//! hints. Path ids are typed in the handlers' signatures (`web::Path<(SpaceId, NoteId)>`); a
//! malformed one is answered by [`path_not_found`].

use crate::error::{ApiError, ApiResult};
use crate::rate_limit::Door;
use crate::state::AppState;
use actix_web::{HttpRequest, web};
use kept_store::{StoreError, StoreResult};
use std::net::IpAddr;

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

/// A path segment that does not parse as its typed id names nothing: 404, like an id the caller
/// may not see (the store's answer for another space's ids), so neither reveals anything.
pub fn path_not_found(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    tracing::debug!(%error, "malformed id in the path");
    ApiError::not_found().into()
}

/// A request body with the moment it arrived: what a command's checks that look at the clock
/// need ("a time in the future"). A body becomes its store command by `TryFrom<Received<Body>>`,
/// answering every field's error at once (422).
#[derive(Debug)]
pub struct Received<B> {
    pub body: B,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl<B> Received<B> {
    pub fn now(body: B, state: &AppState) -> Self {
        Received {
            body,
            now: state.clock.now(),
        }
    }
}

/// An invite code that matches no invite is a 404 of its own kind.
pub(crate) fn invite_not_found(error: StoreError) -> ApiError {
    match error {
        StoreError::NotFound => ApiError::new(
            actix_web::http::StatusCode::NOT_FOUND,
            "invite_not_found",
            "no invite has this code",
        ),
        other => other.into(),
    }
}

/// `document` as JSON, served as a file to keep (`Content-Disposition: attachment`).
pub(crate) fn json_attachment(
    document: &impl serde::Serialize,
    filename: String,
) -> actix_web::HttpResponse {
    use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(filename)],
    };
    actix_web::HttpResponse::Ok()
        .insert_header(disposition)
        .json(document)
}
