//! `GET /spaces/{id}/stats?weeks=N`: whether the new behaviour holds, week by week (computed
//! from the rows at each call; nothing is stored by hand).

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{blocking, query};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kept_core::SpaceId;
use kept_core::stats::Stats;
use serde::Deserialize;
use utoipa::IntoParams;

const DEFAULT_WEEKS: u32 = 4;
const MAX_WEEKS: u32 = 52;

pub fn routes(api: &mut Api<'_>) {
    api.get(
        "/spaces/{space_id}/stats",
        stats,
        Op::new("getStats", "Whether the new behaviour holds, week by week")
            .query::<StatsQuery>()
            .ok::<Stats>(200, "Per-week figures and runs."),
    );
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatsQuery {
    /// How many ISO weeks back, this one included: 1 to 52 (`MAX_WEEKS`); 4 when left out.
    #[param(minimum = 1, maximum = 52)]
    weeks: Option<u32>,
}

async fn stats(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let weeks = query::<StatsQuery>(&req)?.weeks.unwrap_or(DEFAULT_WEEKS);
    if !(1..=MAX_WEEKS).contains(&weeks) {
        return Err(ApiError::invalid_field(
            "weeks",
            format!("must be between 1 and {MAX_WEEKS}"),
        ));
    }
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.stats(caller.user, space, weeks)).await?))
}
