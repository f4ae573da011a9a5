//! Commitments: made by one partner to the other, kept occurrence by occurrence, refereed by
//! the partner. Create, list, read (with occurrences), renegotiate, retire; for an occurrence:
//! `kept` (the committer), `confirm` and `dispute` (the partner).

use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::handler::{Received, blocking, with_hints};
use crate::json::{Json, MaybeJson};
use crate::openapi::{Api, Op};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use kept_core::commitment::{CommitmentText, Grace, OccurrenceNote, check_recurrence};
use kept_core::hints::HintKind;
use kept_core::schedule::Recurrence;
use kept_core::{CommitmentId, Invalid, OccurrenceId, RequestId, SpaceId};
use kept_store::commitments::{
    CommitmentTerms, CommitmentView, NewCommitment, OccurrenceChange, OccurrenceView,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Minutes after the due time an occurrence can still be marked kept, unless asked otherwise.
const DEFAULT_GRACE_MINUTES: i64 = 60;

pub fn routes(api: &mut Api<'_>) {
    let one = "/spaces/{space_id}/commitments/{commitment_id}";
    let occurrence = "/spaces/{space_id}/commitments/{commitment_id}/occurrences/{occurrence_id}";
    api.post(
        "/spaces/{space_id}/commitments",
        create,
        Op::new(
            "createCommitment",
            "Make a commitment (once, daily, on weekdays or weekly, in the committer's zone)",
        )
        .body::<CreateBody>()
        .hinted::<CommitmentView>(201, "The commitment, with `hints` on what was written.")
        .fails(
            409,
            "`no_partner`: nobody has joined the space to make it to yet.",
        ),
    )
    .get(
        "/spaces/{space_id}/commitments",
        list,
        Op::new("listCommitments", "Commitments of the space")
            .list::<CommitmentView>(200, "Every commitment, current and retired."),
    )
    .get(
        one,
        get,
        Op::new("getCommitment", "One commitment with its occurrences")
            .ok::<CommitmentDetail>(200, "The commitment and its occurrences."),
    )
    .post(
        &format!("{one}/renegotiate"),
        renegotiate,
        Op::new(
            "renegotiateCommitment",
            "Change the terms (a new version; kept history stays)",
        )
        .body::<TermsBody>()
        .hinted::<CommitmentView>(200, "The new version, with `hints` on its text.")
        .fails(
            403,
            "`not_the_committer`: only the committer may renegotiate.",
        )
        .fails(409, "`commitment_retired`: it is retired."),
    )
    .post(
        &format!("{one}/retire"),
        retire,
        Op::new("retireCommitment", "Retire the commitment")
            .ok::<CommitmentView>(200, "The retired commitment.")
            .fails(
                403,
                "`not_the_committer`: only the committer may retire it.",
            )
            .fails(409, "`commitment_retired`: already retired."),
    )
    .post(
        &format!("{occurrence}/kept"),
        kept,
        Op::new(
            "markOccurrenceKept",
            "Mark an occurrence kept (the committer, within its window)",
        )
        .optional_body::<KeptBody>()
        .ok::<OccurrenceView>(200, "The occurrence.")
        .fails(
            403,
            "`not_the_committer`: only the committer marks it kept.",
        )
        .fails(409, "Not open yet, already past, or already marked."),
    )
    .post(
        &format!("{occurrence}/confirm"),
        confirm,
        Op::new(
            "confirmOccurrence",
            "Confirm a kept occurrence (the partner)",
        )
        .ok::<OccurrenceView>(200, "The occurrence.")
        .fails(403, "`not_the_partner`: only the partner confirms.")
        .fails(
            409,
            "The occurrence is not marked kept, or is already answered.",
        ),
    )
    .post(
        &format!("{occurrence}/dispute"),
        dispute,
        Op::new(
            "disputeOccurrence",
            "Dispute a kept occurrence (the partner, with a reason)",
        )
        .body::<DisputeBody>()
        .ok::<OccurrenceView>(200, "The occurrence.")
        .fails(403, "`not_the_partner`: only the partner disputes.")
        .fails(
            409,
            "The occurrence is not marked kept, or is already answered.",
        ),
    );
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewCommitment)]
struct CreateBody {
    #[schema(value_type = CommitmentText, inline)]
    text: String,
    schedule: Recurrence,
    /// Minutes after the due time it can still be marked kept (default 60).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10080)]
    grace_minutes: Option<i64>,
    /// The request this answers.
    #[serde(default)]
    #[schema(value_type = Option<RequestId>)]
    request_id: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CommitmentTerms)]
struct TermsBody {
    #[serde(default)]
    #[schema(value_type = Option<CommitmentText>, inline)]
    text: Option<String>,
    #[serde(default)]
    schedule: Option<Recurrence>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10080)]
    grace_minutes: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = KeptNote)]
struct KeptBody {
    #[serde(default)]
    #[schema(value_type = Option<OccurrenceNote>, inline)]
    note: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = Dispute)]
struct DisputeBody {
    #[schema(value_type = OccurrenceNote, inline)]
    reason: String,
}

/// A commitment with its occurrences (those written so far: up to two weeks ahead).
#[derive(Serialize, ToSchema)]
struct CommitmentDetail {
    #[serde(flatten)]
    commitment: CommitmentView,
    occurrences: Vec<OccurrenceView>,
}

type OnePath = web::Path<(SpaceId, CommitmentId)>;
type OccurrencePath = web::Path<(SpaceId, CommitmentId, OccurrenceId)>;

impl TryFrom<Received<CreateBody>> for NewCommitment {
    type Error = Invalid;
    fn try_from(Received { body, now }: Received<CreateBody>) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let text = invalid.check("text", CommitmentText::parse(&body.text));
        let grace = invalid.check(
            "grace_minutes",
            Grace::minutes(body.grace_minutes.unwrap_or(DEFAULT_GRACE_MINUTES)),
        );
        let request = body
            .request_id
            .map(|raw| {
                raw.parse::<RequestId>()
                    .map_err(|_| "must be a request id".to_owned())
            })
            .transpose();
        let request = invalid.check("request_id", request);
        if let Err(schedule) = check_recurrence(&body.schedule, now) {
            invalid.0.extend(schedule.0);
        }
        let (Some(text), Some(grace), Some(request)) = (text, grace, request) else {
            return Err(invalid);
        };
        invalid.into_result()?;
        Ok(NewCommitment {
            text,
            recurrence: body.schedule,
            grace,
            request,
        })
    }
}

impl TryFrom<Received<TermsBody>> for CommitmentTerms {
    type Error = Invalid;
    fn try_from(Received { body, now }: Received<TermsBody>) -> Result<Self, Invalid> {
        let mut invalid = Invalid::default();
        let text = body
            .text
            .and_then(|raw| invalid.check("text", CommitmentText::parse(&raw)));
        let grace = body
            .grace_minutes
            .and_then(|minutes| invalid.check("grace_minutes", Grace::minutes(minutes)));
        if let Some(Err(schedule)) = body.schedule.as_ref().map(|s| check_recurrence(s, now)) {
            invalid.0.extend(schedule.0);
        }
        invalid.into_result()?;
        Ok(CommitmentTerms {
            text,
            recurrence: body.schedule,
            grace,
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
    let new = NewCommitment::try_from(Received::now(body.0, &state))?;
    let store = caller.store(&state);
    let created = blocking(move || store.create_commitment(caller.user, space, new)).await?;
    Ok(HttpResponse::Created().json(with_hints(&created, HintKind::Commitment, &created.text)))
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<SpaceId>,
) -> ApiResult<HttpResponse> {
    let space = path.into_inner();
    let store = caller.store(&state);
    let items = blocking(move || store.commitments(caller.user, space)).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

async fn get(state: web::Data<AppState>, caller: Caller, path: OnePath) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    let (commitment, occurrences) =
        blocking(move || store.commitment(caller.user, space, id)).await?;
    Ok(HttpResponse::Ok().json(CommitmentDetail {
        commitment,
        occurrences,
    }))
}

async fn renegotiate(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
    body: Json<TermsBody>,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let terms = CommitmentTerms::try_from(Received::now(body.0, &state))?;
    let store = caller.store(&state);
    let changed =
        blocking(move || store.renegotiate_commitment(caller.user, space, id, terms)).await?;
    Ok(HttpResponse::Ok().json(with_hints(&changed, HintKind::Commitment, &changed.text)))
}

async fn retire(
    state: web::Data<AppState>,
    caller: Caller,
    path: OnePath,
) -> ApiResult<HttpResponse> {
    let (space, id) = path.into_inner();
    let store = caller.store(&state);
    Ok(HttpResponse::Ok()
        .json(blocking(move || store.retire_commitment(caller.user, space, id)).await?))
}

async fn change(
    state: &AppState,
    caller: Caller,
    path: OccurrencePath,
    change: OccurrenceChange,
) -> ApiResult<HttpResponse> {
    let (space, commitment, occurrence) = path.into_inner();
    let store = caller.store(state);
    let changed = blocking(move || {
        store.change_occurrence(caller.user, space, commitment, occurrence, change)
    })
    .await?;
    Ok(HttpResponse::Ok().json(changed))
}

fn note(field: &str, raw: &str) -> ApiResult<OccurrenceNote> {
    OccurrenceNote::parse(raw).map_err(|message| ApiError::invalid_field(field, message))
}

async fn kept(
    state: web::Data<AppState>,
    caller: Caller,
    path: OccurrencePath,
    body: MaybeJson<KeptBody>,
) -> ApiResult<HttpResponse> {
    let note = body
        .0
        .and_then(|b| b.note)
        .map(|raw| note("note", &raw))
        .transpose()?;
    change(&state, caller, path, OccurrenceChange::Kept { note }).await
}

async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    path: OccurrencePath,
) -> ApiResult<HttpResponse> {
    change(&state, caller, path, OccurrenceChange::Confirm).await
}

async fn dispute(
    state: web::Data<AppState>,
    caller: Caller,
    path: OccurrencePath,
    body: Json<DisputeBody>,
) -> ApiResult<HttpResponse> {
    let reason = note("reason", &body.0.reason)?;
    change(&state, caller, path, OccurrenceChange::Dispute { reason }).await
}
