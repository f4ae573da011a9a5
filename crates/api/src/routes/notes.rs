//! Gratitude notes and letters: `POST /spaces/{id}/notes {kind, text, deliver_at?, in_reply_to?}`,
//! the list (optionally by kind) and one by id. A note with a future `deliver_at` stays the
//! author's alone until then.

use crate::caller::Caller;
use crate::error::ApiResult;
use crate::handler::{Received, blocking, query, with_hints};
use crate::json::Json;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use kept_core::hints::HintKind;
use kept_core::note::{NoteKind, NoteText, check_delivery};
use kept_core::{Invalid, NoteId, SpaceId};
use kept_store::notes::{NewNote, NoteView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn routes(api: &mut Api<'_>) {
    let one = "/spaces/{space_id}/notes/{note_id}";
    api.post(
        "/spaces/{space_id}/notes",
        create,
        Op::new(
            "createNote",
            "Leave a gratitude note or a letter (optionally delivered later)",
        )
        .body::<CreateBody>()
        .hinted::<NoteView>(201, "The note, with `hints` on what was written."),
    )
    .get(
        "/spaces/{space_id}/notes",
        list,
        Op::new("listNotes", "Notes and letters the caller may see")
            .query::<ListQuery>()
            .list::<NoteView>(200, "Oldest first; held letters only to their author."),
    )
    .get(
        one,
        get,
        Op::new("getNote", "One note or letter").ok::<NoteView>(200, "The note."),
    )
    .delete(
        one,
        redact,
        Op::new(
            "redactNote",
            "Delete the text of one's own note (the fact stays in the timeline)",
        )
        .empty(204, "The text is gone everywhere.")
        .fails(403, "`not_the_author`: only its author may delete it."),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewNote)]
struct CreateBody {
    kind: NoteKind,
    #[schema(value_type = NoteText, inline)]
    text: String,
    /// When the partner may read it (in the future); at once when left out.
    #[serde(default)]
    deliver_at: Option<DateTime<Utc>>,
    /// The letter this answers (letters only).
    #[serde(default)]
    #[schema(value_type = Option<NoteId>)]
    in_reply_to: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    #[param(inline)]
    kind: Option<NoteKind>,
}

impl TryFrom<Received<CreateBody>> for NewNote {
    type Error = Invalid;
    fn try_from(Received { body, now }: Received<CreateBody>) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let text = invalid.check("text", NoteText::parse(&body.text));
        let in_reply_to = body
            .in_reply_to
            .map(|raw| {
                raw.parse::<NoteId>()
                    .map_err(|_| "must be a note id".to_owned())
            })
            .transpose();
        let in_reply_to = invalid.check("in_reply_to", in_reply_to);
        if let Err(when) = check_delivery(body.deliver_at, now) {
            invalid.0.extend(when.0);
        }
        let (Some(text), Some(in_reply_to)) = (text, in_reply_to) else {
            return Err(invalid);
        };
        invalid.into_result()?;
        Ok(NewNote {
            kind: body.kind,
            text,
            deliver_at: body.deliver_at,
            in_reply_to,
        })
    }
}

async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
    body: Json<CreateBody>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let new = NewNote::try_from(Received::now(body.0, &state))?;
    let store = caller.store(&state);
    let created = blocking(move || store.create_note(caller.user, space, new)).await?;
    let kind = match created.kind {
        NoteKind::Gratitude => HintKind::Gratitude,
        NoteKind::Letter => HintKind::Letter,
    };
    Ok(HttpResponse::Created().json(with_hints(&created, kind, &created.text)))
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let kind = query::<ListQuery>(&req)?.kind;
    let store = caller.store(&state);
    let items = blocking(move || store.notes(caller.user, space, kind)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(SpaceId, NoteId)>,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok().json(blocking(move || store.note(caller.user, space, id)).await?))
}

/// Deletes the caller's own note text (a redaction: the fact remains in the timeline).
async fn redact(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(SpaceId, NoteId)>,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    blocking(move || store.redact_note(caller.user, space, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
