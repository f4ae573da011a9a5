//! Requests ("what do you need"): create, list (optionally by state), read one, and the
//! transitions `acknowledge` (the partner, with a reply in their own words), `resolve` (the
//! author, saying whether they felt heard) and `withdraw` (the author).

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{blocking, query, with_hints};
use crate::json::{Json, MaybeJson};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kept_core::hints::HintKind;
use kept_core::request::{RequestState, RequestText};
use kept_core::{RequestId, SpaceId};
use kept_store::requests::{RequestChange, RequestView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn routes(api: &mut Api<'_>) {
    let one = "/spaces/{space_id}/requests/{request_id}";
    api.post(
        "/spaces/{space_id}/requests",
        create,
        Op::new("createRequest", "Ask the partner for what one needs")
            .body::<CreateBody>()
            .hinted::<RequestView>(201, "The request, with `hints` on what was written."),
    )
    .get(
        "/spaces/{space_id}/requests",
        list,
        Op::new("listRequests", "Requests of the space")
            .query::<ListQuery>()
            .list::<RequestView>(200, "Oldest first."),
    )
    .get(
        one,
        get,
        Op::new("getRequest", "One request").ok::<RequestView>(200, "The request."),
    )
    .post(
        &format!("{one}/acknowledge"),
        acknowledge,
        Op::new(
            "acknowledgeRequest",
            "Acknowledge a request with a reply in one's own words (the partner)",
        )
        .body::<AcknowledgeBody>()
        .hinted::<RequestView>(200, "The request, with `hints` on the reply.")
        .fails(
            403,
            "`not_the_partner`: the author cannot acknowledge their own request.",
        )
        .fails(409, "The request is not open."),
    )
    .post(
        &format!("{one}/resolve"),
        resolve,
        Op::new(
            "resolveRequest",
            "Resolve one's request, saying whether one felt heard (the author)",
        )
        .optional_body::<ResolveBody>()
        .ok::<RequestView>(200, "The request.")
        .fails(403, "`not_the_author`: only the author resolves it.")
        .fails(409, "The request is already closed."),
    )
    .post(
        &format!("{one}/withdraw"),
        withdraw,
        Op::new("withdrawRequest", "Withdraw one's request (the author)")
            .ok::<RequestView>(200, "The request.")
            .fails(403, "`not_the_author`: only the author withdraws it.")
            .fails(409, "The request is already closed."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewRequest)]
struct CreateBody {
    #[schema(value_type = RequestText, inline)]
    text: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Acknowledgement)]
struct AcknowledgeBody {
    /// What one heard, in one's own words.
    #[schema(value_type = RequestText, inline)]
    reply: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Resolution)]
struct ResolveBody {
    #[serde(default)]
    felt_heard: Option<bool>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(inline)]
    state: Option<RequestState>,
}

type ItemPath = web::Path<(SpaceId, RequestId)>;

fn text(field: &str, raw: &str) -> ApiResult<RequestText> {
    RequestText::parse(raw).map_err(|message| ApiError::invalid_field(field, message))
}

async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let text = text("text", &body.0.text)?;
    let store = caller.store(&state);
    let created = blocking(move || store.create_request(caller.user, space, text)).await?;
    Ok(HttpResponse::Created().json(with_hints(&created, HintKind::Request, &created.text)))
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let filter = query::<ListQuery>(&req)?.state;
    let store = caller.store(&state);
    let items = blocking(move || store.requests(caller.user, space, filter)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: ItemPath,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.request(caller.user, space, id)).await?))
}

async fn change(
    state: &AppState,
    caller: Caller,
    path: ItemPath,
    change: RequestChange,
) -> ApiResult<RequestView> {
    let (space, id) = path.into_inner();
    let store = caller.store(state);
    blocking(move || store.change_request(caller.user, space, id, change)).await
}

async fn acknowledge(
    state: web::Data<AppState>,
    caller: Caller,
    path: ItemPath,
    body: Json<AcknowledgeBody>,
) -> ApiResult<HttpResponse> {
    let reply = text("reply", &body.0.reply)?;
    let heard = change(&state, caller, path, RequestChange::Acknowledge { reply }).await?;
    let reply = heard.reply.clone().unwrap_or_default();
    Ok(HttpResponse::Ok().json(with_hints(&heard, HintKind::Reply, &reply)))
}

async fn resolve(
    state: web::Data<AppState>,
    caller: Caller,
    path: ItemPath,
    body: MaybeJson<ResolveBody>,
) -> ApiResult<HttpResponse> {
    let felt_heard = body.0.and_then(|b| b.felt_heard);
    let resolved = change(&state, caller, path, RequestChange::Resolve { felt_heard }).await?;
    Ok(HttpResponse::Ok().json(resolved))
}

async fn withdraw(
    state: web::Data<AppState>,
    caller: Caller,
    path: ItemPath,
) -> ApiResult<HttpResponse> {
    let withdrawn = change(&state, caller, path, RequestChange::Withdraw).await?;
    Ok(HttpResponse::Ok().json(withdrawn))
}
