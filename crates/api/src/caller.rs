//! The [`Caller`] extractor every authenticated route takes: a valid access token. Whether its
//! session is still active is checked on every request too, so signing out everywhere takes
//! effect at once — inside the request's own transaction, through [`Caller::store`], not in a
//! round trip of its own.

use crate::auth::TokenRefused;
use crate::error::ApiError;
use crate::handler::blocking;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use kept_core::{SessionId, UserId};
use kept_store::Store;
use std::future::Future;
use std::pin::Pin;

/// The authenticated caller of a request: a valid access token whose session is still active.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub user: UserId,
    pub session: SessionId,
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(&"application state missing"))?;
            let token = token.ok_or_else(|| {
                ApiError::unauthenticated(
                    "missing_token",
                    "send an access token: Authorization: Bearer <token>",
                )
            })?;
            let (user, session) = state
                .tokens
                .verify_access(&token, state.clock.now())
                .map_err(|refused| match refused {
                    TokenRefused::Expired => ApiError::unauthenticated(
                        "token_expired",
                        "the access token has expired; refresh it",
                    ),
                    TokenRefused::Invalid => {
                        ApiError::unauthenticated("invalid_token", "the access token is not valid")
                    }
                })?;
            Ok(Caller { user, session })
        })
    }
}

impl Caller {
    /// The store for this caller: every command and query confirms the session inside its
    /// transaction (`session_ended` if it was signed out).
    pub fn store(&self, state: &AppState) -> Store {
        state.store.for_session(self.user, self.session)
    }

    /// Confirms the session on its own, for a route that has nothing else to ask the store.
    pub async fn confirm(&self, state: &AppState) -> Result<(), ApiError> {
        let store = self.store(state);
        blocking(move || store.confirm_session()).await
    }
}

fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_owned())
}
