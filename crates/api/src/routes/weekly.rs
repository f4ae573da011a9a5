//! The weekly check-in: open a round now, list the rounds, read the current or any round (as
//! the caller may see it), save one's answers, submit them (the second submission reveals
//! both), share them after a round closed unrevealed, and turn a revealed answer into action.

use crate::caller::Caller;
use crate::error::ApiResult;
use crate::handler::blocking;
use crate::json::{Json, MaybeJson};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kept_core::weekly::{AnswerText, Prompt, RawAnswer, parse_prompts};
use kept_core::{DomainError, SpaceId, TalkId, UserId, WeeklyRoundId};
use kept_store::weekly::{AnswerRef, FollowUpInto, FollowUpView, RoundView};
use kept_store::{Store, StoreResult};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    let base = "/spaces/{space_id}/weekly";
    let one = "/spaces/{space_id}/weekly/{round_id}";
    // Before `{round_id}`, so that `plan` is never read as one.
    super::weekly_plan::routes(api);
    api.get(
        base,
        list,
        Op::new("listWeeklyRounds", "Every round of the space, newest first")
            .list::<RoundView>(200, "Each round as the caller may see it."),
    )
    .post(
        base,
        open,
        Op::new("openWeeklyRound", "Open a weekly check-in round now")
            .optional_body::<OpenBody>()
            .ok::<RoundView>(201, "The round, open for the agreed number of days.")
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
    )
    .post(
        &format!("{one}/follow-ups"),
        follow_up,
        Op::new(
            "followUpWeeklyAnswer",
            "Turn an answer of a revealed round into an agenda item or a request",
        )
        .body::<FollowUpBody>()
        .ok::<FollowUpView>(201, "The talk whose agenda took it, or the new request.")
        .fails(
            409,
            "`round_not_revealed`; `answer_private`: it stays its author's; `no_next_talk`; `agenda_full`.",
        ),
    );
}

#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
#[schema(as = WeeklyFollowUpKind)]
enum FollowUpKind {
    /// An item on the agenda of the next talk (or of `talk_id`).
    Agenda,
    /// A request of my own (from my own answers only).
    Request,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyFollowUpInput)]
struct FollowUpBody {
    /// Whose answer: mine or my partner's.
    #[schema(value_type = String)]
    author: UserId,
    /// The prompt's place in the round's list, from 0.
    #[schema(minimum = 0, maximum = 7)]
    prompt: i64,
    into: FollowUpKind,
    /// For an agenda item: the talk; the next coming talk when left out.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    talk_id: Option<TalkId>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
#[schema(as = WeeklyRoundOpening)]
struct OpenBody {
    /// This round's prompts (1 to 8); the agreed plan's when left out.
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

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    let items = blocking(move || store.weekly_rounds(caller.user, space)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn follow_up(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
    body: Json<FollowUpBody>,
) -> ApiResult<HttpResponse> {
    let (space, round) = path.into_inner();
    let FollowUpBody {
        author,
        prompt,
        into,
        talk_id,
    } = body.0;
    // A prompt past the round's list names no answer (404); a negative one is bad input.
    let prompt = usize::try_from(prompt)
        .map_err(|_| DomainError::from(kept_core::Invalid::field("prompt", "must be 0 or more")))?;
    let answer = AnswerRef {
        round,
        author,
        prompt,
    };
    let into = match into {
        FollowUpKind::Agenda => FollowUpInto::Agenda { talk: talk_id },
        FollowUpKind::Request => FollowUpInto::Request,
    };
    let store = caller.store(&state);
    let done = blocking(move || store.weekly_follow_up(caller.user, space, answer, into)).await?;
    Ok(HttpResponse::Created().json(done))
}
