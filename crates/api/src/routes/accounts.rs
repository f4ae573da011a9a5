//! Accounts and sessions: log in, refresh (rotating), log out, sign out everywhere,
//! and the caller's own profile.

use crate::auth::random_secret;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{admit, blocking, blocking_mapped};
use crate::help::HelpResource;
use crate::json::{Json, MaybeJson};
use crate::openapi::{Api, Op};
use crate::rate_limit::Door;
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Duration;
use kept_core::account::{DisplayName, Email, Password, TimeZone};
use kept_core::check_in::CheckInTimes;
use kept_core::{Invalid, SessionId, UserId};
use kept_store::accounts::{ProfileChange, UserView};
use kept_store::{StoreError, secret_digest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const REFRESH_COOKIE: &str = "kept_refresh";
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";
/// 256 bits: refresh tokens are long-lived bearer secrets.
const REFRESH_TOKEN_BYTES: usize = 32;

pub fn routes(api: &mut Api<'_>) {
    api.post(
        "/auth/login",
        login,
        Op::new("login", "Sign in")
            .public()
            .rate_limited()
            .body::<LoginBody>()
            .ok::<Tokens>(
                200,
                "Access and refresh tokens (the refresh token also as a cookie).",
            )
            .fails(401, "`invalid_credentials`: wrong email or password.")
            .fails(
                403,
                "`account_disabled`: the operator disabled this account (said only after the \
                 right password).",
            ),
    )
    .post(
        "/auth/refresh",
        refresh,
        Op::new(
            "refreshTokens",
            "Trade a refresh token (body or cookie) for new tokens",
        )
        .public()
        .optional_body::<RefreshBody>()
        .ok::<Tokens>(200, "New tokens; the presented refresh token is spent.")
        .fails(
            401,
            "`invalid_refresh_token`: unknown, spent or revoked (reuse revokes the session).",
        ),
    )
    .post(
        "/auth/logout",
        logout,
        Op::new("logout", "Sign this session out").empty(204, "Signed out; the cookie is cleared."),
    )
    .post(
        "/auth/logout-all",
        logout_all,
        Op::new("logoutAll", "Sign out every session of the caller")
            .empty(204, "Every session is signed out; the cookie is cleared."),
    )
    .get(
        "/me",
        me,
        Op::new("getMe", "The caller's profile").ok::<UserView>(200, "The profile."),
    )
    .patch(
        "/me",
        update_me,
        Op::new(
            "updateMe",
            "Change display name, time zone, check-in times or mail preferences",
        )
        .body::<ProfileBody>()
        .ok::<UserView>(200, "The changed profile."),
    )
    .delete(
        "/me",
        delete_me,
        Op::new(
            "deleteMe",
            "Delete the caller's account: every session ends, every space is left, and every \
             word they wrote is removed",
        )
        .rate_limited()
        .body::<DeleteBody>()
        .empty(204, "Deleted; the cookie is cleared.")
        .fails(403, "`wrong_password`: the password does not match."),
    )
    .get(
        "/help-resources",
        help_resources,
        Op::new(
            "listHelpResources",
            "Where to find help (configured by the operator)",
        )
        .public()
        .list::<HelpResource>(200, "Name, description and address of each."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Login)]
struct LoginBody {
    #[schema(value_type = Email, inline)]
    email: String,
    #[schema(max_length = 1024)]
    password: String,
}

/// The current password, so that nobody holding an unlocked phone deletes the account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AccountDeletion)]
struct DeleteBody {
    #[schema(max_length = 1024)]
    password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Refresh)]
struct RefreshBody {
    #[schema(max_length = 1024)]
    refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProfileChange)]
struct ProfileBody {
    #[schema(value_type = Option<DisplayName>, inline)]
    display_name: Option<String>,
    #[schema(value_type = Option<TimeZone>, inline)]
    time_zone: Option<String>,
    /// Local times of day ("08:00") for check-in reminders.
    #[schema(value_type = Option<kept_core::check_in::CheckInTimes>, inline)]
    check_in_times: Option<Vec<chrono::NaiveTime>>,
    /// Mail preferences to change; fields left out stay as they are.
    #[schema(value_type = Option<kept_core::mail::MailPreferences>)]
    mail: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct Tokens {
    access_token: String,
    refresh_token: String,
    /// Always `Bearer`.
    #[schema(value_type = String)]
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: i64,
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginBody>,
) -> ApiResult<HttpResponse> {
    admit(&req, &state, Door::Login)?;
    let LoginBody { email, password } = body.0;
    let email =
        Email::parse(&email).map_err(|message| ApiError::invalid_field("email", message))?;
    if password.chars().count() > Password::MAX_CHARS {
        return Err(ApiError::invalid_field(
            "password",
            format!("must be at most {} characters", Password::MAX_CHARS),
        ));
    }
    let store = state.store.clone();
    let account = blocking(move || store.credentials(&email)).await?;
    let (found, hash) = account.map_or((None, None), |found| {
        let hash = found.password_hash.clone();
        (Some(found), Some(hash))
    });
    let verified = state.passwords.verify(password, hash).await?;
    let Some(found) = found.filter(|_| verified) else {
        return Err(ApiError::unauthenticated(
            "invalid_credentials",
            "email or password is wrong",
        ));
    };
    // Said only to whoever knows the password: nobody else learns the account exists.
    if found.disabled {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "account_disabled",
            "this account is disabled; ask the person who runs this server",
        ));
    }
    let user = found.user;
    let (tokens, cookie) = start_session(&state, user).await?;
    Ok(HttpResponse::Ok().cookie(cookie).json(tokens))
}

async fn refresh(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: MaybeJson<RefreshBody>,
) -> ApiResult<HttpResponse> {
    let presented = body
        .0
        .map(|b| b.refresh_token)
        .or_else(|| req.cookie(REFRESH_COOKIE).map(|c| c.value().to_owned()))
        .ok_or_else(|| {
            ApiError::unauthenticated(
                "missing_token",
                "send refresh_token in the body or the cookie",
            )
        })?;
    let next = random_secret(REFRESH_TOKEN_BYTES)?;
    let (presented_digest, next_digest) = (secret_digest(&presented), secret_digest(&next));
    let store = state.store.clone();
    let ttl = refresh_ttl(&state);
    let (user, session) = blocking_mapped(
        move || store.rotate_refresh_token(&presented_digest, &next_digest, ttl),
        |error| match error {
            StoreError::Unauthenticated => ApiError::unauthenticated(
                "invalid_refresh_token",
                "the refresh token is not valid; log in again",
            ),
            other => other.into(),
        },
    )
    .await?;
    let (tokens, cookie) = tokens_for(&state, user, session, next)?;
    Ok(HttpResponse::Ok().cookie(cookie).json(tokens))
}

async fn logout(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = caller.store(&state);
    blocking(move || store.end_session(caller.user, caller.session)).await?;
    Ok(HttpResponse::NoContent()
        .cookie(expired_cookie(&state))
        .finish())
}

async fn logout_all(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = caller.store(&state);
    blocking(move || store.end_all_sessions(caller.user)).await?;
    Ok(HttpResponse::NoContent()
        .cookie(expired_cookie(&state))
        .insert_header(CLEAR_SITE_DATA)
        .finish())
}

async fn delete_me(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<DeleteBody>,
) -> ApiResult<HttpResponse> {
    // A stolen access token must not buy unlimited password guesses.
    admit(&req, &state, Door::Login)?;
    let password = body.0.password;
    if password.chars().count() > Password::MAX_CHARS {
        return Err(ApiError::invalid_field(
            "password",
            format!("must be at most {} characters", Password::MAX_CHARS),
        ));
    }
    let store = caller.store(&state);
    let hash = blocking(move || store.password_hash(caller.user)).await?;
    if !state.passwords.verify(password, Some(hash)).await? {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "wrong_password",
            "the password does not match",
        ));
    }
    let store = caller.store(&state);
    blocking(move || store.delete_account(caller.user)).await?;
    Ok(HttpResponse::NoContent()
        .cookie(expired_cookie(&state))
        .insert_header(CLEAR_SITE_DATA)
        .finish())
}

async fn me(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.user(caller.user)).await?))
}

impl TryFrom<ProfileBody> for ProfileChange {
    type Error = Invalid;
    fn try_from(body: ProfileBody) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let display_name = body
            .display_name
            .and_then(|raw| invalid.check("display_name", DisplayName::parse(&raw)));
        let time_zone = body
            .time_zone
            .and_then(|raw| invalid.check("time_zone", TimeZone::parse(&raw)));
        let check_in_times = body
            .check_in_times
            .and_then(|times| invalid.check("check_in_times", CheckInTimes::parse(times)));
        invalid.into_result()?;
        Ok(ProfileChange {
            display_name,
            time_zone,
            check_in_times,
            mail: body.mail,
        })
    }
}

async fn update_me(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<ProfileBody>,
) -> ApiResult<HttpResponse> {
    let change = ProfileChange::try_from(body.0)?;
    let store = caller.store(&state);
    let user = blocking(move || store.update_profile(caller.user, change)).await?;
    Ok(HttpResponse::Ok().json(user))
}

async fn help_resources(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "items": state.help }))
}

/// Opens a session with a fresh refresh token, and issues its first access token.
pub(super) async fn start_session(
    state: &AppState,
    user: UserId,
) -> ApiResult<(Tokens, Cookie<'static>)> {
    let refresh = random_secret(REFRESH_TOKEN_BYTES)?;
    let digest = secret_digest(&refresh);
    let store = state.store.clone();
    let ttl = refresh_ttl(state);
    let session = blocking(move || store.start_session(user, &digest, ttl)).await?;
    tokens_for(state, user, session, refresh)
}

fn tokens_for(
    state: &AppState,
    user: UserId,
    session: SessionId,
    refresh: String,
) -> ApiResult<(Tokens, Cookie<'static>)> {
    let access_token = state
        .tokens
        .issue_access(user, session, state.clock.now())?;
    let cookie = Cookie::build(REFRESH_COOKIE, refresh.clone())
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.auth.secure_cookies)
        .max_age(time::Duration::days(state.config.auth.refresh_token_days))
        .finish();
    let tokens = Tokens {
        access_token,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: state.tokens.access_ttl().num_seconds(),
    };
    Ok((tokens, cookie))
}

/// Asks the browser to drop what this site stored on the device (the app's cached timeline, its
/// service worker, cookies): sent when a person signs out everywhere or takes the safety exit.
pub(super) const CLEAR_SITE_DATA: (&str, &str) =
    ("clear-site-data", "\"cache\", \"cookies\", \"storage\"");

pub(super) fn expired_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = Cookie::build(REFRESH_COOKIE, "")
        .path(REFRESH_COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.auth.secure_cookies)
        .finish();
    cookie.make_removal();
    cookie
}

fn refresh_ttl(state: &AppState) -> Duration {
    Duration::days(state.config.auth.refresh_token_days)
}
