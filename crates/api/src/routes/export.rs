//! `GET /spaces/{id}/export`: everything in the space the caller may see, as one JSON document
//! (for keeping, or for taking elsewhere). A closed space can still be exported by whoever
//! remains. Private items of the partner are not in it.

use super::{blocking, path_id};
use crate::auth::Caller;
use crate::error::ApiResult;
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use kept_core::SpaceId;
use serde_json::json;

pub fn routes(api: &mut Api<'_>) {
    api.get(
        "/spaces/{space_id}/export",
        export,
        Op::new("Everything in the space the caller may see, as one JSON document")
            .json(200, "The export (served as an attachment)."),
    );
}

async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let space: SpaceId = path_id(&path)?;
    let store = state.store.clone();
    let now = state.clock.now();
    let document = blocking(move || {
        let viewer = caller.user;
        let commitments = store
            .commitments(viewer, space)?
            .into_iter()
            .map(|c| store.commitment(viewer, space, c.id).map(|(commitment, occurrences)| json!({ "commitment": commitment, "occurrences": occurrences })))
            .collect::<Result<Vec<_>, _>>()?;
        let talks = store
            .talks(viewer, space)?
            .into_iter()
            .map(|t| store.talk(viewer, space, t.id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = store.events(viewer, space, after, 500)?;
            events.extend(page.items);
            match page.next {
                Some(next) => after = next,
                None => break,
            }
        }
        Ok(json!({
            "exported_at": now,
            "exported_by": viewer,
            "space": store.space(viewer, space)?,
            "requests": store.requests(viewer, space, None)?,
            "commitments": commitments,
            "talks": talks,
            "check_ins": store.check_ins(viewer, space, None, 1_000_000)?.items,
            "notes": store.notes(viewer, space, None)?,
            "trust": store.trust_ratings(viewer, space)?,
            "activities": store.activities(viewer, space)?,
            "events": events,
        }))
    })
    .await?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename(format!("kept-{space}.json"))],
    };
    Ok(HttpResponse::Ok().insert_header(disposition).json(document))
}
