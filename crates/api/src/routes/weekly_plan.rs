//! The weekly check-in's plan: read it, propose another day, time, length or prompts, and
//! accept, decline or withdraw a proposal. Registered before the round routes, so that `plan`
//! is never read as a round's id.

use crate::caller::Caller;
use crate::error::ApiResult;
use crate::handler::blocking;
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, NaiveTime, Utc, Weekday};
use kept_core::weekly::Prompt;
use kept_core::weekly_plan::WeeklyPlan;
use kept_core::{DomainError, SpaceId, UserId};
use kept_store::weekly::PlanView;
use kept_store::{Store, StoreResult};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    let plan = "/spaces/{space_id}/weekly/plan";
    let proposal = "/spaces/{space_id}/weekly/plan/proposal";
    api.get(
        plan,
        get,
        Op::new(
            "getWeeklyPlan",
            "When rounds open, for how long, and what they ask",
        )
        .ok::<PlanView>(
            200,
            "The agreed plan (or the defaults), a pending proposal, and when I am next asked.",
        ),
    )
    .post(
        proposal,
        propose,
        Op::new(
            "proposeWeeklyPlan",
            "Propose a plan; the partner accepts or declines it",
        )
        .body::<PlanBody>()
        .ok::<PlanView>(201, "The plan, with my proposal pending.")
        .fails(409, "`not_paired`: no partner yet."),
    )
    .post(
        &format!("{proposal}/accept"),
        accept,
        Op::new(
            "acceptWeeklyPlan",
            "Accept the partner's proposal: rounds follow it",
        )
        .body::<AcceptBody>()
        .ok::<PlanView>(200, "The plan now agreed.")
        .fails(403, "`own_proposal`: the partner accepts what I proposed.")
        .fails(
            409,
            "`no_proposal`: nothing is pending; `proposal_changed`: not the one I saw.",
        ),
    )
    .delete(
        proposal,
        drop,
        Op::new(
            "dropWeeklyPlanProposal",
            "Decline the partner's proposal, or withdraw mine",
        )
        .ok::<PlanView>(200, "The plan, nothing pending.")
        .fails(409, "`no_proposal`: nothing is pending."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyPlanInput)]
struct PlanBody {
    /// The day rounds open, in each partner's own time zone.
    #[schema(value_type = kept_core::openapi::DayName)]
    weekday: Weekday,
    /// The local time they open.
    #[schema(value_type = kept_core::openapi::LocalTime)]
    at: NaiveTime,
    /// Days a round stays open.
    #[schema(minimum = 1, maximum = 6)]
    open_days: i64,
    /// What each round asks.
    #[schema(value_type = Vec<Prompt>, min_items = 1, max_items = 8)]
    prompts: Vec<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyPlanAcceptance)]
struct AcceptBody {
    /// The `proposed_at` of the proposal I read, so that one replaced since is not accepted.
    proposed_at: DateTime<Utc>,
}

/// Answers with the plan after `act`, one store call on the blocking pool.
async fn on_plan(
    state: &AppState,
    caller: Caller,
    path: web::Path<SpaceId>,
    act: fn(&Store, UserId, SpaceId) -> StoreResult<PlanView>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(state);
    let user = caller.user;
    Ok(HttpResponse::Ok().json(blocking(move || act(&store, user, space)).await?))
}

async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    on_plan(&state, caller, path, Store::weekly_plan).await
}

async fn propose(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<PlanBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let PlanBody {
        weekday,
        at,
        open_days,
        prompts,
    } = body.0;
    let plan = WeeklyPlan::parse(weekday, at, open_days, &prompts).map_err(DomainError::from)?;
    let store = caller.store(&state);
    let view = blocking(move || store.propose_weekly_plan(caller.user, space, plan)).await?;
    Ok(HttpResponse::Created().json(view))
}

async fn accept(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<AcceptBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let seen = body.0.proposed_at;
    let store = caller.store(&state);
    let view = blocking(move || store.accept_weekly_plan(caller.user, space, seen)).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn drop(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    on_plan(&state, caller, path, Store::drop_weekly_plan_proposal).await
}
