//! `POST /hints {kind, text}`: the hints for a text before it is sent (the same ones come back
//! with each create response). Suggestions only; nothing is stored.

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kept_core::hints::{Hint, HintKind, hints};
use serde::Deserialize;
use utoipa::ToSchema;

/// The longest text anything in Kept accepts.
const MAX_CHARS: usize = 20_000;

pub fn routes(api: &mut Api<'_>) {
    api.post(
        "/hints",
        preview,
        Op::new("previewHints", "Gentle hints on a text before it is sent")
            .body::<PreviewBody>()
            .list::<Hint>(200, "The hints: code, message and the span they are about."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HintPreview)]
struct PreviewBody {
    kind: HintKind,
    /// Any text up to the longest that can be sent (a letter); blank gives no hints.
    #[schema(max_length = 20000)]
    text: String,
}

async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    body: Json<PreviewBody>,
) -> ApiResult<HttpResponse> {
    caller.confirm(&state).await?;
    let PreviewBody { kind, text } = body.0;
    if text.chars().count() > MAX_CHARS {
        return Err(ApiError::invalid_field(
            "text",
            format!("must be at most {MAX_CHARS} characters"),
        ));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": hints(kind, &text) })))
}
