//! Signing up: the registration policy, and a sign-up that may carry a partner's invite (the
//! new account then joins that space in the same transaction).

use super::account_mail::link_secret;
use super::accounts::{Tokens, start_session};
use crate::error::ApiResult;
use crate::handler::{admit, blocking_mapped, invite_not_found};
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::rate_limit::Door;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use kept_core::Invalid;
use kept_core::account::{DisplayName, Email, Password, RegistrationPolicy, TimeZone};
use kept_store::accounts::{NewAccount, UserView};
use kept_store::secret_digest;
use kept_store::spaces::SpaceView;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    api.get(
        "/registration",
        registration_policy,
        Op::new(
            "getRegistrationPolicy",
            "Who may sign up on this server (so the app can say so before the form)",
        )
        .public()
        .ok::<PolicyView>(200, "The registration policy."),
    )
    .post(
        "/auth/register",
        register,
        Op::new("register", "Create an account and sign in")
            .public()
            .rate_limited()
            .body::<RegisterBody>()
            .ok::<Registered>(
                201,
                "The new user, the space an invite joined them to, and a session's tokens (the \
                 refresh token also as a cookie).",
            )
            .fails(
                403,
                "`registration_closed`: this server takes no sign-ups, or (invite only) none \
                 without an invite.",
            )
            .fails(404, "`invite_not_found`: no invite has this code.")
            .fails(
                409,
                "`email_taken`: an account has this address; or the invite cannot be used \
                 (`space_full`, `invite_used`, `invite_expired`, `invite_revoked`).",
            ),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Registration)]
struct RegisterBody {
    #[schema(value_type = Email, inline)]
    email: String,
    #[schema(value_type = Password, inline)]
    password: String,
    #[schema(value_type = DisplayName, inline)]
    display_name: String,
    #[schema(value_type = TimeZone, inline)]
    time_zone: String,
    /// The code of a partner's invite: the new account joins that space at once. Required
    /// when the server's registration is invite only.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 256)]
    invite_code: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct Registered {
    user: UserView,
    /// The space the invite joined, when the sign-up carried one.
    space: Option<SpaceView>,
    #[serde(flatten)]
    tokens: Tokens,
}

/// Who may sign up here.
#[derive(Serialize, ToSchema)]
#[schema(as = RegistrationPolicyView)]
struct PolicyView {
    /// `open`: anyone; `invite_only`: a partner with an invite link (and the first account of
    /// an empty server); `closed`: only the operator adds accounts.
    #[schema(value_type = String, pattern = "^(open|invite_only|closed)$")]
    policy: RegistrationPolicy,
}

async fn registration_policy(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(PolicyView {
        policy: state.config.auth.registration,
    })
}

/// A sign-up with every field checked; the password is hashed after, off the async threads.
struct Registration {
    email: Email,
    password: Password,
    display_name: DisplayName,
    time_zone: TimeZone,
    /// The invite code's digest.
    invite: Option<String>,
}

impl TryFrom<RegisterBody> for Registration {
    type Error = Invalid;
    fn try_from(body: RegisterBody) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let email = invalid.check("email", Email::parse(&body.email));
        let password = invalid.check("password", Password::parse(&body.password));
        let display_name = invalid.check("display_name", DisplayName::parse(&body.display_name));
        let time_zone = invalid.check("time_zone", TimeZone::parse(&body.time_zone));
        let invite = body.invite_code.and_then(|code| {
            let checked = match code.chars().count() {
                0 => Err("must not be empty when given".to_owned()),
                1..=256 => Ok(secret_digest(code.trim())),
                _ => Err("must be at most 256 characters".to_owned()),
            };
            invalid.check("invite_code", checked)
        });
        match (email, password, display_name, time_zone) {
            (Some(email), Some(password), Some(display_name), Some(time_zone))
                if invalid.0.is_empty() =>
            {
                Ok(Registration {
                    email,
                    password,
                    display_name,
                    time_zone,
                    invite,
                })
            }
            _ => Err(invalid),
        }
    }
}

async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<RegisterBody>,
) -> ApiResult<HttpResponse> {
    admit(&req, &state, Door::Register)?;
    let Registration {
        email,
        password,
        display_name,
        time_zone,
        invite,
    } = Registration::try_from(body.0)?;
    let policy = state.config.auth.registration;
    // Refused before the password is hashed: a closed server spends no CPU on sign-ups.
    if policy == RegistrationPolicy::Closed {
        RegistrationPolicy::Closed.admits(invite.is_some(), false)?;
    }
    let password_hash = state.passwords.hash(password).await?;
    let verification = link_secret()?;
    let store = state.store.clone();
    let registered = blocking_mapped(
        move || {
            store.register(NewAccount {
                email,
                password_hash,
                display_name,
                time_zone,
                verification,
                policy,
                invite,
            })
        },
        invite_not_found,
    )
    .await?;
    let (tokens, cookie) = start_session(&state, registered.user.id).await?;
    Ok(HttpResponse::Created().cookie(cookie).json(Registered {
        user: registered.user,
        space: registered.joined,
        tokens,
    }))
}
