//! Talks: propose (title, mode, start, duration, cadence, agenda or the template), list, read
//! (with upcoming starts in the viewer's zone), and `accept`, `decline`, `move`, `agenda`,
//! `occurrences` (mark one held or skipped).

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{Received, blocking};
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kept_core::talk::{
    AGENDA_TEMPLATE, AgendaItem, Cadence, MAX_AGENDA_ITEMS, Outcome, TalkMode, TalkNotes,
    TalkTitle, check_duration, check_start,
};
use kept_core::{Invalid, SpaceId, TalkId};
use kept_store::talks::{NewTalk, TalkChange, TalkDetail, TalkView};
use serde::Deserialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    let one = "/spaces/{space_id}/talks/{talk_id}";
    api.get(
        "/talks/agenda-template",
        template,
        Op::new("getAgendaTemplate", "The suggested agenda for a talk")
            .list::<AgendaItem>(200, "The template's items, in order."),
    )
    .post(
        "/spaces/{space_id}/talks",
        propose,
        Op::new(
            "proposeTalk",
            "Propose a talk (once or recurring, at a local time)",
        )
        .body::<ProposeBody>()
        .ok::<TalkView>(201, "The talk."),
    )
    .get(
        "/spaces/{space_id}/talks",
        list,
        Op::new("listTalks", "Talks of the space")
            .list::<TalkView>(200, "Every talk, proposed, accepted or declined."),
    )
    .get(
        one,
        get,
        Op::new(
            "getTalk",
            "One talk, with upcoming starts in the caller's zone and recorded occurrences",
        )
        .ok::<TalkDetail>(200, "The talk."),
    )
    .post(
        &format!("{one}/accept"),
        accept,
        Op::new("acceptTalk", "Accept a proposed talk (the partner)")
            .ok::<TalkView>(200, "The talk.")
            .fails(403, "`not_the_partner`: the proposer cannot accept.")
            .fails(409, "The talk is not proposed."),
    )
    .post(
        &format!("{one}/decline"),
        decline,
        Op::new("declineTalk", "Decline a proposed talk (the partner)")
            .ok::<TalkView>(200, "The talk.")
            .fails(403, "`not_the_partner`: the proposer cannot decline.")
            .fails(409, "The talk is not proposed."),
    )
    .post(
        &format!("{one}/move"),
        move_to,
        Op::new(
            "moveTalk",
            "Move a talk to another time (the partner accepts again)",
        )
        .body::<MoveBody>()
        .ok::<TalkView>(200, "The talk.")
        .fails(409, "The talk is declined or over."),
    )
    .post(
        &format!("{one}/agenda"),
        add_agenda,
        Op::new("addAgendaItem", "Add an agenda item")
            .body::<AgendaBody>()
            .ok::<TalkView>(200, "The talk."),
    )
    .post(
        &format!("{one}/occurrences"),
        mark,
        Op::new(
            "markTalkOccurrence",
            "Record how one occurrence went: held or skipped",
        )
        .body::<MarkBody>()
        .ok::<TalkView>(200, "The talk.")
        .fails(409, "No such occurrence, or it is already recorded."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TalkProposal)]
struct ProposeBody {
    #[schema(value_type = TalkTitle, inline)]
    title: String,
    mode: TalkMode,
    /// In the future.
    starts_at: DateTime<Utc>,
    #[schema(minimum = 10, maximum = 480)]
    duration_minutes: i64,
    /// `once` when left out.
    #[serde(default)]
    cadence: Option<Cadence>,
    #[serde(default)]
    #[schema(value_type = Vec<AgendaItem>, max_items = 30)]
    agenda: Vec<String>,
    /// Start the agenda with Kept's template (appreciations, what went well, one issue, needs).
    #[serde(default)]
    use_template: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TalkMove)]
struct MoveBody {
    starts_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewAgendaItem)]
struct AgendaBody {
    #[schema(value_type = AgendaItem, inline)]
    item: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TalkOutcome)]
struct MarkBody {
    /// The start being recorded (one of the talk's starts, not in the future).
    starts_at: DateTime<Utc>,
    outcome: Outcome,
    #[serde(default)]
    #[schema(value_type = Option<TalkNotes>, inline)]
    notes: Option<String>,
}

type OnePath = web::Path<(SpaceId, TalkId)>;

async fn template(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    caller.confirm(&state).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": AGENDA_TEMPLATE })))
}

impl TryFrom<Received<ProposeBody>> for NewTalk {
    type Error = Invalid;
    fn try_from(Received { body, now }: Received<ProposeBody>) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let title = invalid.check("title", TalkTitle::parse(&body.title));
        let duration = invalid.check("duration_minutes", check_duration(body.duration_minutes));
        if let Err(start) = check_start(body.starts_at, now) {
            invalid.0.extend(start.0);
        }
        let template = body
            .use_template
            .then_some(AGENDA_TEMPLATE.iter().map(|item| (*item).to_owned()))
            .into_iter()
            .flatten();
        let mut agenda = Vec::new();
        for (index, raw) in template.chain(body.agenda).enumerate() {
            agenda.extend(invalid.check(&format!("agenda[{index}]"), AgendaItem::parse(&raw)));
        }
        if agenda.len() > MAX_AGENDA_ITEMS {
            invalid.0.push(kept_core::FieldError::new(
                "agenda",
                format!("at most {MAX_AGENDA_ITEMS} items"),
            ));
        }
        let (Some(title), Some(duration_minutes)) = (title, duration) else {
            return Err(invalid);
        };
        invalid.into_result()?;
        Ok(NewTalk {
            title,
            mode: body.mode,
            cadence: body.cadence.unwrap_or(Cadence::Once),
            starts_at: body.starts_at,
            duration_minutes,
            agenda,
        })
    }
}

async fn propose(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<ProposeBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let new = NewTalk::try_from(Received::now(body.0, &state))?;
    let store = caller.store(&state);
    Ok(HttpResponse::Created()
        .json(blocking(move || store.propose_talk(caller.user, space, new)).await?))
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    let items = blocking(move || store.talks(caller.user, space)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn get(state: web::Data<AppState>, caller: Caller, path: OnePath) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.talk(caller.user, space, id)).await?))
}

async fn change(
    state: &AppState,
    caller: Caller,
    path: OnePath,
    change: TalkChange,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(state);
    Ok(HttpResponse::Ok()
        .json(blocking(move || store.change_talk(caller.user, space, id, change)).await?))
}

async fn accept(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
) -> ApiResult<HttpResponse> {
    change(&state, caller, path, TalkChange::Accept).await
}

async fn decline(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
) -> ApiResult<HttpResponse> {
    change(&state, caller, path, TalkChange::Decline).await
}

async fn move_to(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
    body: Json<MoveBody>,
) -> ApiResult<HttpResponse> {
    check_start(body.0.starts_at, state.clock.now())?;
    change(
        &state,
        caller,
        path,
        TalkChange::Move {
            starts_at: body.0.starts_at,
        },
    )
    .await
}

async fn add_agenda(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
    body: Json<AgendaBody>,
) -> ApiResult<HttpResponse> {
    let item = AgendaItem::parse(&body.0.item)
        .map_err(|message| ApiError::invalid_field("item", message))?;
    change(&state, caller, path, TalkChange::AddAgenda { item }).await
}

async fn mark(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
    body: Json<MarkBody>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let notes = body
        .notes
        .map(|raw| TalkNotes::parse(&raw))
        .transpose()
        .map_err(|message| ApiError::invalid_field("notes", message))?;
    change(
        &state,
        caller,
        path,
        TalkChange::Mark {
            starts_at: body.starts_at,
            outcome: body.outcome,
            notes,
        },
    )
    .await
}
