//! The secret calendar feed: `POST /me/calendar-token` makes (or replaces) the caller's feed
//! address, `DELETE /me/calendar-token` revokes it, and `GET /calendar/{token}.ics` — public,
//! the token is the key — serves the iCalendar.

use crate::auth::random_secret;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::blocking;
use crate::openapi::{Api, Op, text_body};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kept_core::calendar::render;
use kept_store::secret_digest;
use serde::Serialize;
use utoipa::ToSchema;

/// 256 bits: the feed address is a long-lived bearer secret.
const TOKEN_BYTES: usize = 32;

pub fn routes(api: &mut Api<'_>) {
    api.post(
        "/me/calendar-token",
        issue,
        Op::new(
            "issueCalendarToken",
            "Issue (or replace) the caller's secret calendar feed address",
        )
        .ok::<CalendarFeed>(
            201,
            "The feed's address; any earlier address stops working.",
        ),
    )
    .delete(
        "/me/calendar-token",
        revoke,
        Op::new("revokeCalendarToken", "Revoke the caller's calendar feed")
            .empty(204, "The feed address stops working."),
    )
    .get(
        "/calendar/{file}",
        feed,
        Op::new(
            "getCalendarFeed",
            "iCalendar feed of upcoming talks and the owner's own commitments",
        )
        .public()
        .media(200, "text/calendar", text_body(), "The feed."),
    );
}

/// A secret calendar feed: the token and the address that carries it.
#[derive(Serialize, ToSchema)]
struct CalendarFeed {
    token: String,
    url: String,
}

async fn issue(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let token = random_secret(TOKEN_BYTES)?;
    let digest = secret_digest(&token);
    let store = caller.store(&state);
    blocking(move || store.issue_calendar_token(caller.user, &digest)).await?;
    let url = format!("{}/api/v1/calendar/{token}.ics", state.config.public_url());
    Ok(HttpResponse::Created().json(CalendarFeed { token, url }))
}

async fn revoke(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = caller.store(&state);
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
