//! Spaces, invites, leaving, and the timeline. Anything under a space the caller is not a
//! member of is a 404, the same as a space that does not exist.

use super::accounts::expired_cookie;
use crate::auth::random_secret;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{admit, blocking, blocking_mapped, invite_not_found, page_limit, query};
use crate::help::HelpResource;
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::rate_limit::Door;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use kept_core::account::Email;
use kept_core::space::{LeaveMode, SpaceName};
use kept_core::{InviteId, SpaceId};
use kept_store::account_tokens::LinkSecret;
use kept_store::events::EventPage;
use kept_store::secret_digest;
use kept_store::spaces::SpaceView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// 128 bits, as hex: unguessable, and short enough to read out or paste.
const INVITE_CODE_BYTES: usize = 16;
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 500;

pub fn routes(api: &mut Api<'_>) {
    api.post(
        "/spaces",
        create_space,
        Op::new("createSpace", "Create a space (the caller is its first member)")
            .body::<CreateSpaceBody>()
            .ok::<SpaceView>(201, "The space."),
    )
    .get(
        "/spaces",
        list_spaces,
        Op::new("listSpaces", "The caller's spaces")
            .list::<SpaceView>(200, "The spaces the caller is a member of."),
    )
    .get(
        "/spaces/{space_id}",
        get_space,
        Op::new("getSpace", "One space").ok::<SpaceView>(200, "The space."),
    )
    .delete(
        "/spaces/{space_id}",
        delete_space,
        Op::new(
            "deleteSpace",
            "Delete the space and everything in it, for its last member (the partner has left)",
        )
        .empty(204, "Deleted.")
        .fails(409, "`not_last_member`: the partner is still in the space."),
    )
    .post(
        "/spaces/{space_id}/invites",
        create_invite,
        Op::new("createInvite", "Invite the partner (7 days, single use)")
            .body::<InviteBody>()
            .ok::<InviteCreated>(201, "The invite with its secret code, shown only now.")
            .fails(409, "`space_full`: the space already has two members."),
    )
    .delete(
        "/spaces/{space_id}/invites/{code}",
        revoke_invite,
        Op::new("revokeInvite", "Revoke an invite")
            .empty(204, "The invite can no longer be used."),
    )
    .post(
        "/invites/{code}/accept",
        accept_invite,
        Op::new("acceptInvite", "Join the space an invite is for")
            .rate_limited()
            .ok::<SpaceView>(200, "The space.")
            .fails(
                409,
                "`space_full`, `invite_used`, `invite_expired`, `invite_revoked` or `already_member`.",
            ),
    )
    .post(
        "/spaces/{space_id}/leave",
        leave,
        Op::new(
            "leaveSpace",
            "Leave the space; `safety` also signs out everywhere and closes the space",
        )
        .body::<LeaveBody>()
        .ok::<Left>(200, "What happened, and where to find help."),
    )
    .get(
        "/spaces/{space_id}/events",
        events,
        Op::new(
            "listEvents",
            "The timeline, oldest first, as the caller may see it",
        )
        .query::<EventsQuery>()
        .ok::<EventPage>(200, "A page; pass `next` as `after` for the following page."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewSpace)]
struct CreateSpaceBody {
    #[schema(value_type = SpaceName, inline)]
    name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewInvite)]
struct InviteBody {
    /// Mail the invite here (only from a verified address).
    #[serde(default)]
    #[schema(value_type = Option<Email>, inline)]
    email: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct InviteCreated {
    id: InviteId,
    /// The secret code; shown once, stored only as a hash.
    code: String,
    url: String,
    email: Option<Email>,
    /// Whether the invite was mailed to `email` (only when the inviter's address is verified).
    mailed: bool,
    expires_at: DateTime<Utc>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Leaving)]
struct LeaveBody {
    mode: LeaveMode,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// The `seq` to read after (0, the default, is the beginning).
    #[param(minimum = 0)]
    after: Option<i64>,
    /// 1 to 500 (`MAX_PAGE`); 100 when left out.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
}

/// What leaving did, and where to find help.
#[derive(Serialize, ToSchema)]
struct Left {
    space_id: SpaceId,
    mode: LeaveMode,
    help_resources: Vec<HelpResource>,
}

async fn create_space(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<CreateSpaceBody>,
) -> ApiResult<HttpResponse> {
    let name = SpaceName::parse(&body.0.name)
        .map_err(|message| ApiError::invalid_field("name", message))?;
    let store = caller.store(&state);
    let space = blocking(move || store.create_space(caller.user, name)).await?;
    Ok(HttpResponse::Created().json(space))
}

async fn list_spaces(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = caller.store(&state);
    let spaces = blocking(move || store.spaces_of(caller.user)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": spaces })))
}

async fn get_space(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.space(caller.user, space)).await?))
}

async fn create_invite(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<InviteBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let email = body
        .0
        .email
        .map(|raw| Email::parse(&raw))
        .transpose()
        .map_err(|m| ApiError::invalid_field("email", m))?;
    let code = LinkSecret::from_plain(random_secret(INVITE_CODE_BYTES)?);
    let secret = code.clone();
    let store = caller.store(&state);
    let invite = blocking(move || store.create_invite(caller.user, space, &secret, email)).await?;
    let code = code.plain;
    let url = format!("{}/join/{code}", state.config.public_url());
    Ok(HttpResponse::Created().json(InviteCreated {
        id: invite.id,
        code,
        url,
        email: invite.email,
        mailed: invite.mailed,
        expires_at: invite.expires_at,
    }))
}

async fn revoke_invite(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(SpaceId, String)>,
) -> ApiResult<HttpResponse> {
    let (space, code) = path.into_inner();
    let digest = secret_digest(&code);
    let store = caller.store(&state);
    blocking(move || store.revoke_invite(caller.user, space, &digest)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn accept_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    admit(&req, &state, Door::AcceptInvite)?;
    let digest = secret_digest(path.trim());
    let store = caller.store(&state);
    let space = blocking_mapped(
        move || store.accept_invite(caller.user, &digest),
        invite_not_found,
    )
    .await?;
    Ok(HttpResponse::Ok().json(space))
}

async fn delete_space(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    blocking(move || store.delete_space(caller.user, space)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn leave(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<LeaveBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let mode = body.0.mode;
    let store = caller.store(&state);
    blocking(move || store.leave_space(caller.user, space, mode)).await?;
    let answer = Left {
        space_id: space,
        mode,
        help_resources: state.help.clone(),
    };
    let mut response = HttpResponse::Ok();
    if mode == LeaveMode::Safety {
        // Signed out everywhere: this device's refresh cookie goes too.
        response
            .cookie(expired_cookie(&state))
            .insert_header(super::accounts::CLEAR_SITE_DATA);
    }
    Ok(response.json(answer))
}

async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let query: EventsQuery = query(&req)?;
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::invalid_field("after", "must be 0 or more"));
    }
    let limit = page_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
    let store = caller.store(&state);
    let page = blocking(move || store.events(caller.user, space, after, limit)).await?;
    Ok(HttpResponse::Ok().json(page))
}
