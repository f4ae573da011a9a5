//! Trust ratings (`/spaces/{id}/trust`) and activities (`/spaces/{id}/activities`).

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::blocking;
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kept_core::activity::ActivityTitle;
use kept_core::trust::{Score, TrustNote};
use kept_core::{ActivityId, Invalid, SpaceId};
use kept_store::together::{ActivityView, TrustView};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    let one = "/spaces/{space_id}/activities/{activity_id}";
    api.post(
        "/spaces/{space_id}/trust",
        rate,
        Op::new(
            "rateTrust",
            "Rate today's trust, 1–10, privately or shared (one per local day)",
        )
        .body::<RateBody>()
        .ok::<TrustView>(201, "The rating (replacing today's earlier one, if any)."),
    )
    .get(
        "/spaces/{space_id}/trust",
        ratings,
        Op::new("listTrustRatings", "Trust ratings the caller may see")
            .list::<TrustView>(200, "One's own, and the partner's shared ones."),
    )
    .post(
        "/spaces/{space_id}/activities",
        plan,
        Op::new("planActivity", "Plan something to do together")
            .body::<PlanBody>()
            .ok::<ActivityView>(201, "The activity."),
    )
    .get(
        "/spaces/{space_id}/activities",
        list_activities,
        Op::new("listActivities", "Activities of the space")
            .list::<ActivityView>(200, "Planned and done."),
    )
    .get(
        one,
        get_activity,
        Op::new("getActivity", "One activity").ok::<ActivityView>(200, "The activity."),
    )
    .post(
        &format!("{one}/done"),
        done,
        Op::new("markActivityDone", "Mark an activity done")
            .ok::<ActivityView>(200, "The activity.")
            .fails(409, "Already done."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewTrustRating)]
struct RateBody {
    #[schema(value_type = Score, inline)]
    score: i64,
    #[serde(default)]
    #[schema(value_type = Option<TrustNote>, inline)]
    note: Option<String>,
    /// Private unless shared.
    #[serde(default)]
    shared: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ActivityPlan)]
struct PlanBody {
    #[schema(value_type = ActivityTitle, inline)]
    title: String,
    #[serde(default)]
    starts_at: Option<DateTime<Utc>>,
}

async fn rate(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<RateBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let RateBody {
        score,
        note,
        shared,
    } = body.0;
    let mut invalid = Invalid::default();
    let score = invalid.check("score", Score::parse(score));
    let note = invalid.check("note", note.map(|raw| TrustNote::parse(&raw)).transpose());
    let (Some(score), Some(note)) = (score, note) else {
        return Err(invalid.into());
    };
    let store = caller.store(&state);
    let rated = blocking(move || store.rate_trust(caller.user, space, score, note, shared)).await?;
    Ok(HttpResponse::Created().json(rated))
}

async fn ratings(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    let items = blocking(move || store.trust_ratings(caller.user, space)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn plan(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<PlanBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let title = ActivityTitle::parse(&body.0.title)
        .map_err(|message| ApiError::invalid_field("title", message))?;
    let starts_at = body.0.starts_at;
    let store = caller.store(&state);
    let planned =
        blocking(move || store.plan_activity(caller.user, space, title, starts_at)).await?;
    Ok(HttpResponse::Created().json(planned))
}

async fn list_activities(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    let items = blocking(move || store.activities(caller.user, space)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn get_activity(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(SpaceId, ActivityId)>,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.activity(caller.user, space, id)).await?))
}

async fn done(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(SpaceId, ActivityId)>,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok()
        .json(blocking(move || store.activity_done(caller.user, space, id)).await?))
}
