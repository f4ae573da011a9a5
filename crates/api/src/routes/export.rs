//! `GET /spaces/{id}/export`: everything in the space the caller may see, as one JSON document
//! (for keeping, or for taking elsewhere). A closed space can still be exported by whoever
//! remains. Private items of the partner are not in it.

use crate::caller::Caller;
use crate::error::ApiResult;
use crate::handler::{blocking, json_attachment};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kept_core::{SpaceId, UserId};
use kept_store::check_ins::CheckInView;
use kept_store::commitments::{CommitmentView, OccurrenceView};
use kept_store::events::EventView;
use kept_store::notes::NoteView;
use kept_store::requests::RequestView;
use kept_store::spaces::SpaceView;
use kept_store::talks::TalkDetail;
use kept_store::together::{ActivityView, TrustView};
use kept_store::weekly::{PlanView, RoundView};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    api.get(
        "/spaces/{space_id}/export",
        export,
        Op::new(
            "exportSpace",
            "Everything in the space the caller may see, as one JSON document",
        )
        .ok::<SpaceExport>(200, "The export (served as an attachment)."),
    );
}

/// Everything in a space one member may see, at one moment.
#[derive(Serialize, ToSchema)]
struct SpaceExport {
    exported_at: DateTime<Utc>,
    exported_by: UserId,
    space: SpaceView,
    requests: Vec<RequestView>,
    commitments: Vec<ExportedCommitment>,
    talks: Vec<TalkDetail>,
    check_ins: Vec<CheckInView>,
    notes: Vec<NoteView>,
    trust: Vec<TrustView>,
    activities: Vec<ActivityView>,
    /// Every weekly check-in round, each as the caller may see it: their own answers, and the
    /// partner's only once revealed or shared.
    weekly: Vec<RoundView>,
    weekly_plan: PlanView,
    events: Vec<EventView>,
}

#[derive(Serialize, ToSchema)]
pub(super) struct ExportedCommitment {
    pub(super) commitment: CommitmentView,
    pub(super) occurrences: Vec<OccurrenceView>,
}

async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    let now = state.clock.now();
    let document = blocking(move || {
        let viewer = caller.user;
        let commitments = store
            .commitments(viewer, space)?
            .into_iter()
            .map(|c| {
                let (commitment, occurrences) = store.commitment(viewer, space, c.id)?;
                Ok(ExportedCommitment {
                    commitment,
                    occurrences,
                })
            })
            .collect::<kept_store::StoreResult<Vec<_>>>()?;
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
        Ok(SpaceExport {
            exported_at: now,
            exported_by: viewer,
            space: store.space(viewer, space)?,
            requests: store.requests(viewer, space, None)?,
            commitments,
            talks,
            check_ins: store.check_ins(viewer, space, None, 1_000_000)?.items,
            notes: store.notes(viewer, space, None)?,
            trust: store.trust_ratings(viewer, space)?,
            activities: store.activities(viewer, space)?,
            weekly: store.weekly_rounds(viewer, space)?,
            weekly_plan: store.weekly_plan(viewer, space)?,
            events,
        })
    })
    .await?;
    Ok(json_attachment(&document, format!("kept-{space}.json")))
}
