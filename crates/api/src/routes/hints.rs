//! `POST /hints {kind, text}`: the hints for a text before it is sent (the same ones come back
//! with each create response). Suggestions only; nothing is stored.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::json::Json;
use actix_web::{HttpResponse, web};
use kept_core::hints::{HintKind, hints};
use serde::Deserialize;

/// The longest text anything in Kept accepts.
const MAX_CHARS: usize = 20_000;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/hints", web::post().to(preview));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    kind: HintKind,
    text: String,
}

async fn preview(_caller: Caller, body: Json<PreviewBody>) -> ApiResult<HttpResponse> {
    let PreviewBody { kind, text } = body.0;
    if text.chars().count() > MAX_CHARS {
        return Err(ApiError::invalid_field(
            "text",
            format!("must be at most {MAX_CHARS} characters"),
        ));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": hints(kind, &text) })))
}
