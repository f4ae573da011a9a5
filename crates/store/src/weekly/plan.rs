//! The space's weekly plan (when rounds open, for how long, what they ask): read, proposed by
//! one partner, accepted or dropped; core's `PlanFacts` says who may do which. Accepting a plan
//! moves both partners' opening reminders to it.

use crate::error::{StoreError, StoreResult};
use crate::events::append_event;
use crate::membership::{guard_writable_space, require_current_member, require_paired};
use crate::reminders::weekly_rows::{next_weekly_opening, sync_weekly_openings};
use crate::rows::{stored_json, stored_time, utc};
use crate::schema::weekly_plans as plans;
use crate::weekly::agreed::{parse_agreed, plan_row};
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::weekly_plan::{PlanFacts, WeeklyPlan};
use kept_core::{DomainError, SpaceId, UserId};
use serde::Serialize;

/// A proposal waiting for the other partner.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WeeklyPlanProposal))]
pub struct ProposalView {
    pub plan: WeeklyPlan,
    pub proposed_by: UserId,
    pub proposed_at: DateTime<Utc>,
}

/// The plan rounds follow, what is proposed instead, and when the reader is next asked.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = WeeklyPlanState))]
pub struct PlanView {
    /// The plan agreed on, or the defaults (Sunday 18:00, three days, four prompts).
    pub agreed: WeeklyPlan,
    /// When it was agreed; none while the defaults hold.
    pub agreed_at: Option<DateTime<Utc>>,
    pub proposal: Option<ProposalView>,
    /// When the reader is next told a round opened (their own local day and time); none
    /// unless both partners are in the space.
    pub next_opening: Option<DateTime<Utc>>,
}

fn plan_view(
    conn: &mut DbConnection,
    viewer: UserId,
    space: SpaceId,
    now: DateTime<Utc>,
) -> StoreResult<PlanView> {
    let row = plan_row(conn, space)?;
    let (agreed, agreed_at, proposal, proposed_by, proposed_at) =
        row.unwrap_or((None, None, None, None, None));
    let agreed = parse_agreed(agreed.as_deref())?;
    let proposal = match (proposal, proposed_by, proposed_at) {
        (Some(text), Some(by), Some(at)) => Some(ProposalView {
            plan: stored_json("weekly plan proposal", &text)?,
            proposed_by: by,
            proposed_at: utc(at),
        }),
        _ => None,
    };
    Ok(PlanView {
        next_opening: next_weekly_opening(conn, space, viewer, &agreed, now)?,
        agreed,
        agreed_at: agreed_at.map(utc),
        proposal,
    })
}

/// The pending proposal as stored (its JSON and when it was made), with who may answer it.
fn pending(
    conn: &mut DbConnection,
    space: SpaceId,
) -> StoreResult<(PlanFacts, Option<(String, NaiveDateTime)>)> {
    let (_, _, proposal, by, at) = plan_row(conn, space)?.unwrap_or((None, None, None, None, None));
    let proposed_by = proposal.as_ref().and(by);
    Ok((PlanFacts { proposed_by }, proposal.zip(at)))
}

/// Nothing is pending any more (accepted, declined or withdrawn).
fn clear_proposal(conn: &mut DbConnection, space: SpaceId) -> StoreResult<()> {
    diesel::update(plans::table.find(space))
        .set((
            plans::proposal.eq(None::<String>),
            plans::proposed_by.eq(None::<UserId>),
            plans::proposed_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

fn plan_json(plan: &WeeklyPlan) -> StoreResult<String> {
    serde_json::to_string(plan).map_err(|e| StoreError::Internal(format!("weekly plan json: {e}")))
}

impl Store {
    pub fn weekly_plan(&self, viewer: UserId, space: SpaceId) -> StoreResult<PlanView> {
        let now = self.now();
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            plan_view(conn, viewer, space, now)
        })
    }

    /// Proposes `plan`, replacing any proposal still pending; the partner accepts or declines.
    pub fn propose_weekly_plan(
        &self,
        proposer: UserId,
        space: SpaceId,
        plan: WeeklyPlan,
    ) -> StoreResult<PlanView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, proposer, space)?;
            require_paired(conn, space, "a weekly plan is agreed between both partners")?;
            let text = plan_json(&plan)?;
            let proposal = (
                plans::proposal.eq(Some(&text)),
                plans::proposed_by.eq(Some(proposer)),
                plans::proposed_at.eq(Some(stored_time(now))),
            );
            let updated = diesel::update(plans::table.find(space))
                .set(proposal)
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(plans::table)
                    .values((plans::space_id.eq(space), proposal))
                    .execute(conn)?;
            }
            let event = SpaceEvent::WeeklyPlanProposed { plan };
            append_event(conn, space, proposer, Audience::Members, &event, now)?;
            plan_view(conn, proposer, space, now)
        })
    }

    /// The other partner accepts the pending proposal they saw (the one proposed at `seen`):
    /// rounds follow it from now on. A proposal replaced since is refused, not accepted unseen.
    pub fn accept_weekly_plan(
        &self,
        caller: UserId,
        space: SpaceId,
        seen: DateTime<Utc>,
    ) -> StoreResult<PlanView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, caller, space)?;
            let (facts, proposal) = pending(conn, space)?;
            facts.accept(caller)?;
            let Some((text, _)) = proposal.filter(|(_, at)| utc(*at) == seen) else {
                return Err(DomainError::Conflict {
                    code: "proposal_changed",
                    message: "the proposal changed since you saw it; look again",
                }
                .into());
            };
            let plan: WeeklyPlan = stored_json("weekly plan proposal", &text)?;
            diesel::update(plans::table.find(space))
                .set((
                    plans::agreed.eq(Some(&text)),
                    plans::agreed_at.eq(Some(stored_time(now))),
                ))
                .execute(conn)?;
            clear_proposal(conn, space)?;
            let event = SpaceEvent::WeeklyPlanAgreed { plan };
            append_event(conn, space, caller, Audience::Members, &event, now)?;
            sync_weekly_openings(conn, space, now)?;
            plan_view(conn, caller, space, now)
        })
    }

    /// Withdraws (the proposer) or declines (the other) the pending proposal.
    pub fn drop_weekly_plan_proposal(
        &self,
        caller: UserId,
        space: SpaceId,
    ) -> StoreResult<PlanView> {
        let now = self.now();
        self.write(|conn| {
            guard_writable_space(conn, caller, space)?;
            pending(conn, space)?.0.withdraw()?;
            clear_proposal(conn, space)?;
            let event = SpaceEvent::WeeklyPlanDropped {};
            append_event(conn, space, caller, Audience::Members, &event, now)?;
            plan_view(conn, caller, space, now)
        })
    }
}
