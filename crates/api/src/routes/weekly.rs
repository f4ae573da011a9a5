//! The weekly check-in: open a round now, read the current or any round (as the caller may see
//! it), save one's answers, submit them (the second submission reveals both), and share them
//! after a round closed unrevealed.

use crate::caller::Caller;
use crate::error::ApiResult;
use crate::handler::blocking;
use crate::json::{Json, MaybeJson};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kept_core::weekly::{AnswerText, Prompt, RawAnswer, parse_prompts};
use kept_core::{DomainError, SpaceId, UserId, WeeklyRoundId};
use kept_store::weekly::RoundView;
use kept_store::{Store, StoreResult};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    let base = "/spaces/{space_id}/weekly";
    let one = "/spaces/{space_id}/weekly/{round_id}";
    api.post(
        base,
        open,
        Op::new("openWeeklyRound", "Open a weekly check-in round now")
            .optional_body::<OpenBody>()
            .ok::<RoundView>(201, "The round, open for three days.")
            .fails(409, "`round_open`: a round is open already; `not_paired`: no partner yet."),
    )
    .get(
        &format!("{base}/current"),
        current,
        Op::new("getCurrentWeeklyRound", "The latest round, as the caller may see it")
            .ok::<RoundView>(
                200,
                "Prompts, my answers, whether the partner is ready, and their shared answers once revealed.",
            )
            .fails(404, "`not_found`: no round yet."),
    )
    .get(
        one,
        get,
        Op::new("getWeeklyRound", "Any round of the space, as the caller may see it")
            .ok::<RoundView>(200, "The round."),
    )
    .put(
        &format!("{one}/answers"),
        save,
        Op::new("saveWeeklyAnswers", "Save my answers (replacing what I saved before)")
            .body::<AnswersBody>()
            .ok::<RoundView>(200, "The round, with my answers.")
            .fails(409, "`already_submitted`, or `round_closed`."),
    )
    .post(
        &format!("{one}/submit"),
        submit,
        Op::new("submitWeeklyAnswers", "Make my answers final; the second submission reveals")
            .ok::<RoundView>(200, "The round; revealed if the partner had submitted.")
            .fails(409, "`nothing_to_submit`, `already_submitted`, or `round_closed`."),
    )
    .post(
        &format!("{one}/share"),
        share,
        Op::new("shareWeeklyAnswers", "Show my submitted answers after an unrevealed close")
            .ok::<RoundView>(200, "The round.")
            .fails(409, "`round_not_closed`, `nothing_to_share`, or `already_shared`."),
    );
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyRoundOpening)]
struct OpenBody {
    /// The prompts the partners agreed on (1 to 8); Kept's four when left out.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Prompt>>, min_items = 1, max_items = 8)]
    prompts: Option<Vec<String>>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyAnswerInput)]
struct AnswerBody {
    /// The prompt's place in the round's list, from 0.
    #[schema(minimum = 0, maximum = 7)]
    prompt: i64,
    #[schema(value_type = AnswerText, inline)]
    text: String,
    /// Only ever shown to me.
    #[serde(default)]
    private: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyAnswersInput)]
struct AnswersBody {
    /// At most one per prompt; a prompt may be left out.
    #[schema(max_items = 8)]
    answers: Vec<AnswerBody>,
    /// How the week felt, 1 to 10.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 10)]
    rating: Option<i64>,
}

type OnePath = web::Path<(SpaceId, WeeklyRoundId)>;

async fn open(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: MaybeJson<OpenBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let prompts = match body.0.unwrap_or_default().prompts {
        Some(raw) => Some(parse_prompts(&raw).map_err(DomainError::from)?),
        None => None,
    };
    let store = caller.store(&state);
    let round = blocking(move || store.open_weekly_round(caller.user, space, prompts)).await?;
    Ok(HttpResponse::Created().json(round))
}

async fn current(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok()
        .json(blocking(move || store.current_weekly_round(caller.user, space)).await?))
}

/// Answers with the round after `act`, one store call on the blocking pool.
async fn on_round(
    state: &AppState,
    caller: Caller,
    path: OnePath,
    act: fn(&Store, UserId, SpaceId, WeeklyRoundId) -> StoreResult<RoundView>,
) -> ApiResult<HttpResponse> {
    let (space, round) = path.into_inner();
    let store = caller.store(state);
    let user = caller.user;
    Ok(HttpResponse::Ok().json(blocking(move || act(&store, user, space, round)).await?))
}

async fn get(state: web::Data<AppState>, caller: Caller, path: OnePath) -> ApiResult<HttpResponse> {
    on_round(&state, caller, path, Store::weekly_round).await
}

async fn save(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
    body: Json<AnswersBody>,
) -> ApiResult<HttpResponse> {
    let (space, round) = path.into_inner();
    let AnswersBody { answers, rating } = body.0;
    let raw: Vec<RawAnswer> = answers
        .into_iter()
        .map(|a| RawAnswer {
            prompt: a.prompt,
            text: a.text,
            private: a.private,
        })
        .collect();
    let store = caller.store(&state);
    let saved = blocking(move || store.save_weekly_answers(caller.user, space, round, raw, rating));
    Ok(HttpResponse::Ok().json(saved.await?))
}

async fn submit(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
) -> ApiResult<HttpResponse> {
    on_round(&state, caller, path, Store::submit_weekly_answers).await
}

async fn share(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
) -> ApiResult<HttpResponse> {
    on_round(&state, caller, path, Store::share_weekly_answers).await
}
