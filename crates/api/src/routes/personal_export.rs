//! `GET /me/export`: everything about the caller, across every space they are in, as one JSON
//! attachment: their profile and preferences, and in each space what they wrote (requests,
//! commitments with their occurrences, talks they proposed, check-ins, notes, trust ratings
//! including private ones, activities, weekly check-in answers including private ones). What the
//! partner wrote is in the space export instead (their weekly answers are read in the app, once
//! revealed).

use super::export::ExportedCommitment;
use crate::caller::Caller;
use crate::error::ApiResult;
use crate::handler::{blocking, json_attachment};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kept_core::{SpaceId, UserId};
use kept_store::accounts::UserView;
use kept_store::check_ins::CheckInView;
use kept_store::notes::NoteView;
use kept_store::requests::RequestView;
use kept_store::spaces::SpaceView;
use kept_store::talks::TalkDetail;
use kept_store::together::{ActivityView, TrustView};
use kept_store::weekly::OwnAnswersView;
use kept_store::{Store, StoreResult};
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(api: &mut Api<'_>) {
    api.get(
        "/me/export",
        export_me,
        Op::new(
            "exportMe",
            "Everything about the caller across their spaces, as one JSON document",
        )
        .ok::<PersonalExport>(200, "The export (served as an attachment)."),
    );
}

/// One person's data at one moment.
#[derive(Serialize, ToSchema)]
struct PersonalExport {
    exported_at: DateTime<Utc>,
    /// Profile, time zone, check-in times and mail preferences.
    profile: UserView,
    spaces: Vec<OwnWords>,
}

/// What the person wrote in one space.
#[derive(Serialize, ToSchema)]
struct OwnWords {
    space: SpaceView,
    requests: Vec<RequestView>,
    /// The partner's requests this person answered, with their reply.
    replies: Vec<RequestView>,
    commitments: Vec<ExportedCommitment>,
    talks: Vec<TalkDetail>,
    check_ins: Vec<CheckInView>,
    notes: Vec<NoteView>,
    /// Shared and private.
    trust: Vec<TrustView>,
    activities: Vec<ActivityView>,
    /// My answers to each weekly check-in, private ones included.
    weekly: Vec<OwnAnswersView>,
}

async fn export_me(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let store = caller.store(&state);
    let now = state.clock.now();
    let me = caller.user;
    let document = blocking(move || {
        let spaces = store
            .spaces_of(me)?
            .into_iter()
            .map(|space| own_words(&store, me, space.id))
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(PersonalExport {
            exported_at: now,
            profile: store.user(me)?,
            spaces,
        })
    })
    .await?;
    let filename = format!("kept-me-{}.json", now.format("%Y-%m-%d"));
    Ok(json_attachment(&document, filename))
}

fn own_words(store: &Store, me: UserId, space: SpaceId) -> StoreResult<OwnWords> {
    let (requests, replies): (Vec<_>, Vec<_>) = store
        .requests(me, space, None)?
        .into_iter()
        .partition(|request| request.author_id == me);
    let commitments = store
        .commitments(me, space)?
        .into_iter()
        .filter(|c| c.committer_id == me)
        .map(|c| {
            let (commitment, occurrences) = store.commitment(me, space, c.id)?;
            Ok(ExportedCommitment {
                commitment,
                occurrences,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let talks = store
        .talks(me, space)?
        .into_iter()
        .filter(|talk| talk.proposer_id == me)
        .map(|talk| store.talk(me, space, talk.id))
        .collect::<StoreResult<Vec<_>>>()?;
    let mine = |author: UserId| author == me;
    Ok(OwnWords {
        space: store.space(me, space)?,
        requests,
        replies: replies.into_iter().filter(|r| r.reply.is_some()).collect(),
        commitments,
        talks,
        check_ins: store
            .check_ins(me, space, None, 1_000_000)?
            .items
            .into_iter()
            .filter(|c| mine(c.author_id))
            .collect(),
        notes: store
            .notes(me, space, None)?
            .into_iter()
            .filter(|n| mine(n.author_id))
            .collect(),
        trust: store
            .trust_ratings(me, space)?
            .into_iter()
            .filter(|t| mine(t.author_id))
            .collect(),
        activities: store
            .activities(me, space)?
            .into_iter()
            .filter(|a| mine(a.author_id))
            .collect(),
        weekly: store.own_weekly_answers(me, space)?,
    })
}
