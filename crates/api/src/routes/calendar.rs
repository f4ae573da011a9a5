//! The secret calendar feed: `POST /me/calendar-token` makes (or replaces) the caller's feed
//! address, `DELETE /me/calendar-token` revokes it, and `GET /calendar/{token}.ics` — public,
//! the token is the key — serves the iCalendar.

use super::blocking;
use crate::auth::{Caller, random_secret};
use crate::error::{ApiError, ApiResult};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kept_core::calendar::render;
use kept_store::secret_digest;

/// 256 bits: the feed address is a long-lived bearer secret.
const TOKEN_BYTES: usize = 32;

pub fn routes(api: &mut Api<'_>) {
    api.post(
        "/me/calendar-token",
        issue,
        Op::new("Issue (or replace) the caller's secret calendar feed address")
            .json(201, "`{token, url}`; any earlier address stops working."),
    )
    .delete(
        "/me/calendar-token",
        revoke,
        Op::new("Revoke the caller's calendar feed").empty(204, "The feed address stops working."),
    )
    .get(
        "/calendar/{file}",
        feed,
        Op::new("iCalendar feed of upcoming talks and the owner's own commitments")
            .public()
            .media(200, "text/calendar", "The feed."),
    );
}

async fn issue(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let token = random_secret(TOKEN_BYTES)?;
    let digest = secret_digest(&token);
    let store = state.store.clone();
    blocking(move || store.issue_calendar_token(caller.user, &digest)).await?;
    let url = format!("{}/api/v1/calendar/{token}.ics", state.config.public_url());
    Ok(HttpResponse::Created().json(serde_json::json!({ "token": token, "url": url })))
}

async fn revoke(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = state.store.clone();
    blocking(move || store.revoke_calendar_token(caller.user)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn feed(state: web::Data<AppState>, path: web::Path<String>) -> ApiResult<HttpResponse> {
    let token = path.strip_suffix(".ics").ok_or_else(ApiError::not_found)?;
    let digest = secret_digest(token);
    let store = state.store.clone();
    let entries = blocking(move || store.calendar(&digest)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("cache-control", "private, max-age=300"))
        .body(render(&entries, state.clock.now())))
}
