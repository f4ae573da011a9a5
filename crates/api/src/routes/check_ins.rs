//! Check-ins: `POST /spaces/{id}/check-ins {text, mood?}`, the list (newest first), one by id.

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{blocking, page_limit, query, with_hints};
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kept_core::check_in::{CheckInText, Mood, NewCheckIn};
use kept_core::hints::HintKind;
use kept_core::{CheckInId, SpaceId};
use kept_store::check_ins::{CheckInPage, CheckInView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

const DEFAULT_PAGE: i64 = 50;
const MAX_PAGE: i64 = 200;

pub fn routes(api: &mut Api<'_>) {
    let one = "/spaces/{space_id}/check-ins/{check_in_id}";
    api.post(
        "/spaces/{space_id}/check-ins",
        create,
        Op::new("createCheckIn", "Check in")
            .body::<CreateBody>()
            .hinted::<CheckInView>(201, "The check-in, with `hints` on what was written."),
    )
    .get(
        "/spaces/{space_id}/check-ins",
        list,
        Op::new("listCheckIns", "Check-ins, newest first")
            .query::<ListQuery>()
            .ok::<CheckInPage>(200, "A page; pass `next` as `before` for the older page."),
    )
    .get(
        one,
        get,
        Op::new("getCheckIn", "One check-in").ok::<CheckInView>(200, "The check-in."),
    )
    .delete(
        one,
        redact,
        Op::new(
            "redactCheckIn",
            "Delete the text of one's own check-in (the fact stays in the timeline)",
        )
        .empty(204, "The text is gone everywhere.")
        .fails(403, "`not_the_author`: only its author may delete it."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCheckIn)]
struct CreateBody {
    #[schema(value_type = CheckInText, inline)]
    text: String,
    #[serde(default)]
    mood: Option<Mood>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// The `next` of the previous page: a check-in id.
    #[param(value_type = Option<CheckInId>)]
    before: Option<String>,
    /// 1 to 200 (`MAX_PAGE`); 50 when left out.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let check_in = NewCheckIn::parse(&body.0.text, body.0.mood)?;
    let store = caller.store(&state);
    let created = blocking(move || store.create_check_in(caller.user, space, check_in)).await?;
    Ok(HttpResponse::Created().json(with_hints(&created, HintKind::CheckIn, &created.text)))
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let query: ListQuery = query(&req)?;
    let before = query
        .before
        .map(|raw| raw.parse::<CheckInId>())
        .transpose()
        .map_err(|_| ApiError::invalid_field("before", "must be a check-in id"))?;
    let limit = page_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let store = caller.store(&state);
    let page = blocking(move || store.check_ins(caller.user, space, before, limit)).await?;
    Ok(HttpResponse::Ok().json(page))
}

async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(SpaceId, CheckInId)>,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.check_in(caller.user, space, id)).await?))
}

/// Deletes the caller's own check-in text (a redaction: the fact remains in the timeline).
async fn redact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(SpaceId, CheckInId)>,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    blocking(move || store.redact_check_in(caller.user, space, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
