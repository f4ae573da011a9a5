//! Liveness and readiness for orchestrators: `/healthz` answers while the process runs,
//! `/readyz` only while the database answers and has every migration applied.

use crate::error::{ApiError, ApiResult};
use crate::handler::blocking;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    api.get(
        "/healthz",
        healthz,
        Op::new("getHealth", "Liveness")
            .public()
            .ok::<Health>(200, "`ok` while the process runs."),
    )
    .get(
        "/readyz",
        readyz,
        Op::new(
            "getReadiness",
            "Readiness: database reachable, migrations applied",
        )
        .public()
        .ok::<Health>(200, "`ready`.")
        .fails(503, "`unavailable` or `migrations_pending`."),
    );
}

/// How the process is: `ok` (alive) or `ready` (and its database too).
#[derive(Serialize, ToSchema)]
struct Health {
    #[schema(value_type = String, pattern = "^(ok|ready)$")]
    status: &'static str,
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let store = state.store.clone();
    match blocking(move || store.is_ready()).await {
        Ok(true) => Ok(HttpResponse::Ok().json(Health { status: "ready" })),
        Ok(false) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "migrations_pending",
            "database migrations are not applied",
        )),
        Err(error) => Err(error),
    }
}
