//! One helper per endpoint the stories call, so that a story reads as what a person does
//! ("Ben marks tonight's walk kept") rather than as HTTP. Each answers the raw response: the
//! story asserts the status it expects, as a failure is often the point. Items are named by
//! their path (`/api/v1/spaces/{space}/talks/{talk}`), as the API hands it out. Only the tests
//! of bad requests themselves (`bad_input.rs`, unknown methods) build requests by hand.

use crate::TestApp;
use reqwest::{Method, Response};
use serde_json::{Value, json};

impl TestApp {
    // Accounts and sessions.

    pub async fn register_with(&self, body: Value) -> Response {
        self.call(Method::POST, "/api/v1/auth/register", None, Some(body))
            .await
    }

    pub async fn login_with(&self, body: Value) -> Response {
        self.call(Method::POST, "/api/v1/auth/login", None, Some(body))
            .await
    }

    /// Renews a session with its refresh token in the body; `None` sends no body at all (a
    /// browser relies on its cookie).
    pub async fn refresh_with(&self, refresh_token: Option<&str>) -> Response {
        let body = refresh_token.map(|token| json!({ "refresh_token": token }));
        self.call(Method::POST, "/api/v1/auth/refresh", None, body)
            .await
    }

    pub async fn logout(&self, access: &str) -> Response {
        self.call(Method::POST, "/api/v1/auth/logout", Some(access), None)
            .await
    }

    pub async fn logout_everywhere(&self, access: &str) -> Response {
        self.call(Method::POST, "/api/v1/auth/logout-all", Some(access), None)
            .await
    }

    /// The caller's profile; `None` asks without a token.
    pub async fn me(&self, access: Option<&str>) -> Response {
        self.call(Method::GET, "/api/v1/me", access, None).await
    }

    pub async fn delete_me(&self, access: &str, password: &str) -> Response {
        let body = serde_json::json!({ "password": password });
        self.call(Method::DELETE, "/api/v1/me", Some(access), Some(body))
            .await
    }

    pub async fn patch_me(&self, access: &str, change: Value) -> Response {
        self.call(Method::PATCH, "/api/v1/me", Some(access), Some(change))
            .await
    }

    pub async fn verify_email_with(&self, token: &str) -> Response {
        let body = json!({ "token": token });
        self.call(Method::POST, "/api/v1/auth/verify-email", None, Some(body))
            .await
    }

    pub async fn request_password_reset(&self, body: Value) -> Response {
        self.call(
            Method::POST,
            "/api/v1/auth/password-reset",
            None,
            Some(body),
        )
        .await
    }

    pub async fn confirm_password_reset(&self, body: Value) -> Response {
        let path = "/api/v1/auth/password-reset/confirm";
        self.call(Method::POST, path, None, Some(body)).await
    }

    pub async fn issue_calendar_token(&self, access: &str) -> Response {
        self.call(Method::POST, CALENDAR_TOKEN, Some(access), None)
            .await
    }

    pub async fn revoke_calendar_token(&self, access: &str) -> Response {
        self.call(Method::DELETE, CALENDAR_TOKEN, Some(access), None)
            .await
    }

    // Spaces.

    pub async fn invite_with(&self, access: &str, space: &str, body: Value) -> Response {
        let path = format!("/api/v1/spaces/{space}/invites");
        self.call(Method::POST, &path, Some(access), Some(body))
            .await
    }

    /// Revokes the invite at `invite` (`/api/v1/spaces/{space}/invites/{code}`).
    pub async fn revoke_invite(&self, access: &str, invite: &str) -> Response {
        self.call(Method::DELETE, invite, Some(access), None).await
    }

    pub async fn leave_space(&self, access: &str, space: &str, body: Value) -> Response {
        let path = format!("/api/v1/spaces/{space}/leave");
        self.call(Method::POST, &path, Some(access), Some(body))
            .await
    }

    // What partners do with the items of a space, each named by its path.

    pub async fn accept_talk(&self, access: &str, talk: &str) -> Response {
        self.act(access, talk, "accept").await
    }

    pub async fn decline_talk(&self, access: &str, talk: &str) -> Response {
        self.act(access, talk, "decline").await
    }

    pub async fn retire_commitment(&self, access: &str, commitment: &str) -> Response {
        self.act(access, commitment, "retire").await
    }

    /// The committer says the occurrence at `occurrence` was done.
    pub async fn mark_kept(&self, access: &str, occurrence: &str) -> Response {
        self.act(access, occurrence, "kept").await
    }

    /// The partner confirms that the occurrence at `occurrence` was kept.
    pub async fn confirm_kept(&self, access: &str, occurrence: &str) -> Response {
        self.act(access, occurrence, "confirm").await
    }

    pub async fn withdraw_request(&self, access: &str, request: &str) -> Response {
        self.act(access, request, "withdraw").await
    }

    pub async fn mark_activity_done(&self, access: &str, activity: &str) -> Response {
        self.act(access, activity, "done").await
    }

    /// Removes the author's own words: a check-in or a note, at `item`.
    pub async fn redact(&self, access: &str, item: &str) -> Response {
        self.call(Method::DELETE, item, Some(access), None).await
    }

    // The weekly check-in.

    /// Opens a round now in `space`; `prompts` are the agreed ones, or Kept's when `None`.
    pub async fn open_weekly(&self, access: &str, space: &str, prompts: Option<Value>) -> Response {
        let path = format!("/api/v1/spaces/{space}/weekly");
        let body = prompts.map(|prompts| json!({ "prompts": prompts }));
        self.call(Method::POST, &path, Some(access), body).await
    }

    pub async fn current_weekly(&self, access: &str, space: &str) -> Response {
        let path = format!("/api/v1/spaces/{space}/weekly/current");
        self.call(Method::GET, &path, Some(access), None).await
    }

    /// One round, at its path `/api/v1/spaces/{space}/weekly/{round}`.
    pub async fn weekly_round(&self, access: &str, round: &str) -> Response {
        self.call(Method::GET, round, Some(access), None).await
    }

    /// Saves `body` (`{answers: [{prompt, text, private}], rating}`) as the caller's answers.
    pub async fn save_weekly(&self, access: &str, round: &str, body: Value) -> Response {
        let path = format!("{round}/answers");
        self.call(Method::PUT, &path, Some(access), Some(body))
            .await
    }

    pub async fn submit_weekly(&self, access: &str, round: &str) -> Response {
        self.act(access, round, "submit").await
    }

    pub async fn share_weekly(&self, access: &str, round: &str) -> Response {
        self.act(access, round, "share").await
    }

    /// Every round of `space`, newest first.
    pub async fn weekly_rounds(&self, access: &str, space: &str) -> Response {
        let path = format!("/api/v1/spaces/{space}/weekly");
        self.call(Method::GET, &path, Some(access), None).await
    }

    /// Turns an answer of the round at `round` into `{into: agenda|request}`.
    pub async fn follow_up_weekly(&self, access: &str, round: &str, body: Value) -> Response {
        let path = format!("{round}/follow-ups");
        self.call(Method::POST, &path, Some(access), Some(body))
            .await
    }

    pub async fn weekly_plan(&self, access: &str, space: &str) -> Response {
        let path = format!("/api/v1/spaces/{space}/weekly/plan");
        self.call(Method::GET, &path, Some(access), None).await
    }

    /// Proposes `plan` (`{weekday, at, open_days, prompts}`).
    pub async fn propose_weekly_plan(&self, access: &str, space: &str, plan: Value) -> Response {
        let path = format!("/api/v1/spaces/{space}/weekly/plan/proposal");
        self.call(Method::POST, &path, Some(access), Some(plan))
            .await
    }

    /// Accepts the pending proposal, naming the one read by its `proposed_at`.
    pub async fn accept_weekly_plan(&self, access: &str, space: &str, seen: &Value) -> Response {
        let path = format!("/api/v1/spaces/{space}/weekly/plan/proposal/accept");
        let body = json!({ "proposed_at": seen });
        self.call(Method::POST, &path, Some(access), Some(body))
            .await
    }

    /// Declines or withdraws the pending proposal.
    pub async fn drop_weekly_plan(&self, access: &str, space: &str) -> Response {
        let path = format!("/api/v1/spaces/{space}/weekly/plan/proposal");
        self.call(Method::DELETE, &path, Some(access), None).await
    }

    // Writing help and the operator's endpoints.

    pub async fn hints(&self, access: Option<&str>, body: Value) -> Response {
        self.call(Method::POST, "/api/v1/hints", access, Some(body))
            .await
    }

    pub async fn help_resources(&self) -> Response {
        self.call(Method::GET, "/api/v1/help-resources", None, None)
            .await
    }

    pub async fn registration_policy(&self) -> Response {
        self.call(Method::GET, "/api/v1/registration", None, None)
            .await
    }

    pub async fn healthz(&self) -> Response {
        self.call(Method::GET, "/healthz", None, None).await
    }

    pub async fn readyz(&self) -> Response {
        self.call(Method::GET, "/readyz", None, None).await
    }

    /// `POST {item}/{verb}` without a body: the state changes of talks, commitments and the like.
    async fn act(&self, access: &str, item: &str, verb: &str) -> Response {
        let path = format!("{item}/{verb}");
        self.call(Method::POST, &path, Some(access), None).await
    }
}

const CALENDAR_TOKEN: &str = "/api/v1/me/calendar-token";
