//! The links Kept mails to a person and what they lead to: confirming an address, resetting a
//! forgotten password, and the one-click unsubscribe (RFC 8058), which works without signing in.

use crate::auth::random_secret;
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{admit, blocking, query};
use crate::json::Json;
use crate::openapi::{Api, Op, text_body};
use crate::rate_limit::Door;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use kept_core::account::{Email, Password};
use kept_store::account_tokens::LinkSecret;
use kept_store::secret_digest;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// 256 bits for a link that proves control of an inbox.
const LINK_TOKEN_BYTES: usize = 32;

pub fn routes(api: &mut Api<'_>) {
    api.post(
        "/auth/verify-email",
        verify_email,
        Op::new(
            "verifyEmail",
            "Confirm an address with the token from the mailed link",
        )
        .public()
        .body::<TokenBody>()
        .empty(204, "The address is verified.")
        .fails(400, "`invalid_token`: unknown, already used or expired."),
    )
    .post(
        "/auth/verify-email/resend",
        resend_verification,
        Op::new("resendVerification", "Mail a new verification link")
            .empty(202, "Mailed, unless the address is already verified."),
    )
    .post(
        "/auth/password-reset",
        request_reset,
        Op::new(
            "requestPasswordReset",
            "Mail a single-use password reset link (1 hour) to a verified address",
        )
        .public()
        .rate_limited()
        .body::<ResetRequestBody>()
        .empty(202, "Always, whether or not the address has an account."),
    )
    .post(
        "/auth/password-reset/confirm",
        confirm_reset,
        Op::new(
            "confirmPasswordReset",
            "Set a new password with the mailed token; every session is signed out",
        )
        .public()
        .rate_limited()
        .body::<ResetBody>()
        .empty(204, "The password is changed.")
        .fails(400, "`invalid_token`: unknown, already used or expired."),
    )
    .get(
        "/unsubscribe",
        unsubscribe_page,
        Op::new(
            "unsubscribePage",
            "The page an unsubscribe link opens: a button, changing nothing by itself",
        )
        .public()
        .query::<UnsubscribeQuery>()
        .media(200, "text/html", text_body(), "The page.")
        .fails(400, "`invalid_token`: the link is damaged."),
    )
    .post(
        "/unsubscribe",
        unsubscribe,
        Op::new(
            "unsubscribe",
            "One-click unsubscribe (RFC 8058): turns that kind of mail off",
        )
        .public()
        .query::<UnsubscribeQuery>()
        .media(200, "text/html", text_body(), "Confirmation.")
        .fails(400, "`invalid_token`: the link is damaged."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = EmailToken)]
struct TokenBody {
    #[schema(max_length = 1024)]
    token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordResetRequest)]
struct ResetRequestBody {
    #[schema(value_type = Email, inline)]
    email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PasswordReset)]
struct ResetBody {
    #[schema(max_length = 1024)]
    token: String,
    #[schema(value_type = Password, inline)]
    password: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UnsubscribeQuery {
    token: String,
}

/// A new single-use link secret.
pub(crate) fn link_secret() -> ApiResult<LinkSecret> {
    Ok(LinkSecret::from_plain(random_secret(LINK_TOKEN_BYTES)?))
}

fn invalid_token() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_token",
        "this link is unknown, already used or expired",
    )
}

async fn verify_email(
    state: web::Data<AppState>,
    body: Json<TokenBody>,
) -> ApiResult<HttpResponse> {
    let digest = secret_digest(&body.0.token);
    let store = state.store.clone();
    match blocking(move || store.verify_email(&digest)).await? {
        Some(_) => Ok(HttpResponse::NoContent().finish()),
        None => Err(invalid_token()),
    }
}

async fn resend_verification(
    state: web::Data<AppState>,
    caller: Caller,
) -> ApiResult<HttpResponse> {
    let secret = link_secret()?;
    let store = caller.store(&state);
    blocking(move || store.resend_verification(caller.user, secret)).await?;
    Ok(HttpResponse::Accepted().finish())
}

async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ResetRequestBody>,
) -> ApiResult<HttpResponse> {
    admit(&req, &state, Door::Login)?;
    let email =
        Email::parse(&body.0.email).map_err(|message| ApiError::invalid_field("email", message))?;
    let secret = link_secret()?;
    let store = state.store.clone();
    blocking(move || store.request_password_reset(&email, secret)).await?;
    Ok(HttpResponse::Accepted().finish())
}

async fn confirm_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ResetBody>,
) -> ApiResult<HttpResponse> {
    admit(&req, &state, Door::Login)?;
    let ResetBody { token, password } = body.0;
    let password = Password::parse(&password)
        .map_err(|message| ApiError::invalid_field("password", message))?;
    let digest = secret_digest(&token);
    let hash = state.passwords.hash(password).await?;
    let store = state.store.clone();
    match blocking(move || store.reset_password(&digest, &hash)).await? {
        Some(_) => Ok(HttpResponse::NoContent().finish()),
        None => Err(invalid_token()),
    }
}

async fn unsubscribe_page(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let UnsubscribeQuery { token } = query(&req)?;
    state
        .tokens
        .verify_unsubscribe(&token)
        .ok_or_else(invalid_token)?;
    // A GET changes nothing (mail scanners open links); the button posts the same address.
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kept</title></head>\
         <body><form method=\"post\" action=\"?token={token}\">\
         <p>Stop this kind of mail from Kept?</p><button type=\"submit\">Stop it</button>\
         </form></body></html>"
    );
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page))
}

async fn unsubscribe(req: HttpRequest, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let UnsubscribeQuery { token } = query(&req)?;
    let (user, kind) = state
        .tokens
        .verify_unsubscribe(&token)
        .ok_or_else(invalid_token)?;
    let store = state.store.clone();
    blocking(move || store.unsubscribe(user, kind)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Kept</title>\
             </head><body><p>Done: you will not get this kind of mail any more. You can turn it \
             back on in your settings.</p></body></html>",
        ))
}
