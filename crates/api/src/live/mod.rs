//! Live push over websockets. `POST /spaces/{id}/live-ticket` hands out a short-lived,
//! single-use ticket (browsers cannot set headers on a websocket); `GET /spaces/{id}/live?
//! ticket=&after=` spends it and upgrades. A bad ticket or a non-member is refused before the
//! upgrade with the usual problem JSON.

mod session;

use crate::auth::random_secret;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{blocking, blocking_mapped, query};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use kept_core::SpaceId;
use kept_store::{StoreError, secret_digest};
use serde::{Deserialize, Serialize};
pub use session::LiveOptions;
use utoipa::{IntoParams, ToSchema};

/// 256 bits: the ticket is a bearer secret, if only for a minute.
const TICKET_BYTES: usize = 32;

pub fn routes(api: &mut Api<'_>) {
    api.post(
        "/spaces/{space_id}/live-ticket",
        issue_ticket,
        Op::new(
            "issueLiveTicket",
            "A single-use ticket (60 s) for opening the live stream",
        )
        .ok::<LiveTicket>(201, "The ticket and when it expires."),
    )
    .get(
        "/spaces/{space_id}/live",
        open,
        Op::new(
            "openLive",
            "Live stream of the timeline over a websocket (events after `after`, then new ones)",
        )
        .public()
        .query::<OpenQuery>()
        .empty(
            101,
            "Switching to the websocket protocol; each text frame is one event.",
        )
        .fails(
            401,
            "`invalid_ticket`: missing, unknown, spent, expired or for another space.",
        )
        .fails(
            400,
            "`not_a_websocket`: a plain request, not a websocket upgrade (the ticket is spent).",
        ),
    );
}

async fn issue_ticket(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let ticket = random_secret(TICKET_BYTES)?;
    let digest = secret_digest(&ticket);
    let ttl = Duration::seconds(state.config.live.ticket_ttl_secs);
    let store = caller.store(&state);
    let expires_at =
        blocking(move || store.issue_live_ticket(caller.user, caller.session, space, &digest, ttl))
            .await?;
    Ok(HttpResponse::Created().json(LiveTicket {
        ticket,
        expires_at,
        expires_in: ttl.num_seconds(),
    }))
}

/// A ticket for `GET …/live?ticket=`: single use, for this space and session.
#[derive(Serialize, ToSchema)]
struct LiveTicket {
    ticket: String,
    expires_at: DateTime<Utc>,
    /// Seconds until it expires.
    expires_in: i64,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct OpenQuery {
    /// From `POST …/live-ticket`.
    ticket: Option<String>,
    /// The last `seq` the client has; 0 (the default) replays from the beginning.
    #[param(minimum = 0)]
    after: Option<i64>,
}

async fn open(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let query: OpenQuery = query(&req)?;
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid_field("after", "must be 0 or more"));
    }
    let ticket = query.ticket.ok_or_else(|| {
        ApiError::unauthenticated(
            "missing_ticket",
            "get one from POST /spaces/{id}/live-ticket",
        )
    })?;
    let digest = secret_digest(&ticket);
    let store = state.store.clone();
    let (viewer, session) = blocking_mapped(
        move || store.redeem_live_ticket(&digest, space),
        |error| match error {
            StoreError::Unauthenticated => ApiError::unauthenticated(
                "invalid_ticket",
                "the ticket is unknown, used or expired; get a new one",
            ),
            other => other.into(),
        },
    )
    .await?;
    let (response, ws, incoming) = actix_ws::handle(&req, body).map_err(|e| {
        ApiError::new(
            actix_web::http::StatusCode::BAD_REQUEST,
            "not_a_websocket",
            e.to_string(),
        )
    })?;
    let live = session::Live {
        store: state.store.clone(),
        subscription: state.bus.subscribe(space),
        going_away: state.going_away.clone(),
        viewer: Caller {
            user: viewer,
            session,
        },
        space,
        after,
        options: LiveOptions::from(&state.config.live),
    };
    actix_web::rt::spawn(live.run(ws, incoming));
    Ok(response)
}
