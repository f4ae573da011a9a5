//! Spaces, memberships and invites: creating a space, inviting the partner, joining, leaving.
//! Every write to a space first takes the space's row lock, so that two commands on one space
//! (two partners accepting the same invite, say) are decided one after the other.

use crate::account_tokens::LinkSecret;
use crate::error::StoreResult;
use crate::events::append_event;
use crate::membership::{lock_space_row, require_current_member};
use crate::outbox::{Mail, To, enqueue};
use crate::rows::{stored_time, utc};
use crate::schema::{invites, memberships, spaces, users};
use crate::sessions::end_all_sessions;
use crate::{DbConnection, Store};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use kept_core::event::{Audience, SpaceEvent};
use kept_core::space::{INVITE_TTL, InviteStatus, LeaveMode, SpaceName, SpaceState, accept_invite};
use kept_core::{DomainError, InviteId, SpaceId, UserId, account::Email};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Member))]
pub struct MemberView {
    pub user_id: UserId,
    pub display_name: String,
    pub joined_at: DateTime<Utc>,
}

/// A space as its members see it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Space))]
pub struct SpaceView {
    pub id: SpaceId,
    pub name: String,
    pub state: SpaceState,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: UserId,
    /// Current members (a member who left is no longer listed).
    pub members: Vec<MemberView>,
    /// The `seq` of the newest event, for a client that wants to stream from here.
    pub last_seq: i64,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Invite))]
pub struct InviteView {
    pub id: InviteId,
    pub space_id: SpaceId,
    pub email: Option<Email>,
    /// Whether the invite was mailed to `email`.
    pub mailed: bool,
    pub expires_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = spaces)]
struct SpaceRow {
    id: SpaceId,
    name: String,
    state: SpaceState,
    created_by: UserId,
    last_seq: i64,
    created_at: NaiveDateTime,
    closed_at: Option<NaiveDateTime>,
}

/// Writes the invite mail if the inviter's address is verified; whether it was written.
fn mail_invite(
    conn: &mut DbConnection,
    inviter: UserId,
    invite: InviteId,
    address: &Email,
    code: &LinkSecret,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    let (name, verified) = users::table
        .find(inviter)
        .select((users::display_name, users::email_verified_at.is_not_null()))
        .first::<(String, bool)>(conn)?;
    if !verified {
        return Ok(false);
    }
    let mail = Mail {
        dedupe_key: format!("invite:{invite}"),
        template: "invite",
        kind: None,
        about: Some(inviter),
        data: serde_json::json!({
            "inviter": name,
            "link": format!("/join/{}", code.plain),
            "expires_on": expires_at.date_naive().to_string(),
        }),
    };
    enqueue(conn, To::Address(address.as_str().to_owned()), mail, now)
}

pub(crate) fn load_space(conn: &mut DbConnection, space: SpaceId) -> StoreResult<SpaceView> {
    let row = spaces::table
        .find(space)
        .select(SpaceRow::as_select())
        .first(conn)?;
    let mut members = memberships::table
        .inner_join(users::table)
        .filter(memberships::space_id.eq(space))
        .filter(memberships::left_at.is_null())
        .select((
            memberships::user_id,
            users::display_name,
            memberships::joined_at,
        ))
        .load::<(UserId, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(user_id, display_name, joined_at)| {
            Ok(MemberView {
                user_id,
                display_name,
                joined_at: utc(joined_at),
            })
        })
        .collect::<StoreResult<Vec<MemberView>>>()?;
    // In joining order; the creator first when both joined in the same instant.
    let created_by: UserId = row.created_by;
    members.sort_by_key(|m| (m.joined_at, m.user_id != created_by));
    Ok(SpaceView {
        id: row.id,
        state: row.state,
        created_by,
        name: row.name,
        created_at: utc(row.created_at),
        closed_at: row.closed_at.map(utc),
        members,
        last_seq: row.last_seq,
    })
}

fn display_name(conn: &mut DbConnection, user: UserId) -> StoreResult<String> {
    Ok(users::table
        .find(user)
        .select(users::display_name)
        .first(conn)?)
}

fn add_member(
    conn: &mut DbConnection,
    space: SpaceId,
    user: UserId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::space_id.eq(space),
            memberships::user_id.eq(user),
            memberships::joined_at.eq(stored_time(now)),
        ))
        .execute(conn)?;
    Ok(())
}

impl Store {
    pub fn create_space(&self, creator: UserId, name: SpaceName) -> StoreResult<SpaceView> {
        let now = self.now();
        let space = SpaceId::new_at(now);
        self.write(|conn| {
            diesel::insert_into(spaces::table)
                .values((
                    spaces::id.eq(space),
                    spaces::name.eq(name.as_str()),
                    spaces::state.eq(SpaceState::Open),
                    spaces::created_by.eq(creator),
                    spaces::created_at.eq(stored_time(now)),
                ))
                .execute(conn)?;
            add_member(conn, space, creator, now)?;
            let created = SpaceEvent::SpaceCreated {
                name: name.into_string(),
            };
            append_event(conn, space, creator, Audience::Members, &created, now)?;
            load_space(conn, space)
        })
    }

    /// Every space `user` is a current member of, newest first.
    pub fn spaces_of(&self, user: UserId) -> StoreResult<Vec<SpaceView>> {
        self.read(|conn| {
            let ids = memberships::table
                .filter(memberships::user_id.eq(user))
                .filter(memberships::left_at.is_null())
                .order(memberships::joined_at.desc())
                .select(memberships::space_id)
                .load::<SpaceId>(conn)?;
            ids.into_iter().map(|id| load_space(conn, id)).collect()
        })
    }

    pub fn space(&self, viewer: UserId, space: SpaceId) -> StoreResult<SpaceView> {
        self.read(|conn| {
            require_current_member(conn, viewer, space)?;
            load_space(conn, space)
        })
    }

    /// Records an invite (its code stored as a digest). With `email`, the invite is mailed there
    /// when the inviter's own address is verified (so nobody can use Kept to mail strangers
    /// from an unproven address).
    pub fn create_invite(
        &self,
        inviter: UserId,
        space: SpaceId,
        code: &LinkSecret,
        email: Option<Email>,
    ) -> StoreResult<InviteView> {
        let now = self.now();
        let invite = InviteId::new_at(now);
        let expires_at = now + INVITE_TTL;
        self.write(|conn| {
            require_current_member(conn, inviter, space)?;
            lock_space_row(conn, space)?.ensure_can_invite()?;
            diesel::insert_into(invites::table)
                .values((
                    invites::id.eq(invite),
                    invites::code_hash.eq(&code.digest),
                    invites::space_id.eq(space),
                    invites::created_by.eq(inviter),
                    invites::email.eq(email.as_ref().map(Email::as_str)),
                    invites::created_at.eq(stored_time(now)),
                    invites::expires_at.eq(stored_time(expires_at)),
                ))
                .execute(conn)?;
            let mailed = match &email {
                Some(address) => {
                    mail_invite(conn, inviter, invite, address, code, expires_at, now)?
                }
                None => false,
            };
            let event = SpaceEvent::InviteCreated {
                invite_id: invite,
                expires_at,
                emailed: mailed,
            };
            append_event(conn, space, inviter, Audience::Members, &event, now)?;
            Ok(InviteView {
                id: invite,
                space_id: space,
                email,
                mailed,
                expires_at,
            })
        })
    }

    /// Revokes an unused invite of `space`. Revoking twice is harmless; a used invite is a 409.
    pub fn revoke_invite(
        &self,
        member: UserId,
        space: SpaceId,
        code_digest: &str,
    ) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| {
            require_current_member(conn, member, space)?;
            lock_space_row(conn, space)?.ensure_writable()?;
            let (id, used_at, revoked_at) = invites::table
                .filter(invites::code_hash.eq(code_digest))
                .filter(invites::space_id.eq(space))
                .select((invites::id, invites::used_at, invites::revoked_at))
                .first::<(InviteId, Option<NaiveDateTime>, Option<NaiveDateTime>)>(conn)?;
            if used_at.is_some() {
                return Err(DomainError::InviteUsed.into());
            }
            if revoked_at.is_some() {
                return Ok(());
            }
            diesel::update(invites::table.find(id))
                .set(invites::revoked_at.eq(stored_time(now)))
                .execute(conn)?;
            let event = SpaceEvent::InviteRevoked { invite_id: id };
            append_event(conn, space, member, Audience::Members, &event, now)?;
            Ok(())
        })
    }

    /// Joins the space the invite belongs to.
    pub fn accept_invite(&self, accepter: UserId, code_digest: &str) -> StoreResult<SpaceView> {
        let now = self.now();
        self.write(|conn| {
            let space = join_by_invite(conn, accepter, code_digest, now)?;
            load_space(conn, space)
        })
    }

    /// Leaves the space, which closes it. A safety exit also signs the leaver out everywhere
    /// and tells the partner only that the space closed.
    pub fn leave_space(&self, leaver: UserId, space: SpaceId, mode: LeaveMode) -> StoreResult<()> {
        let now = self.now();
        self.write(|conn| leave(conn, leaver, space, mode, now))
    }
}

/// `NotFound` unless an invite has the code `code_digest` (whatever its state).
pub(crate) fn invite_exists(conn: &mut DbConnection, code_digest: &str) -> StoreResult<()> {
    invites::table
        .filter(invites::code_hash.eq(code_digest))
        .select(invites::id)
        .first::<InviteId>(conn)?;
    Ok(())
}

/// Spends the invite with `code_digest` on `accepter` and adds them to its space (used by an
/// invite's acceptance and by a sign-up that carries one).
pub(crate) fn join_by_invite(
    conn: &mut DbConnection,
    accepter: UserId,
    code_digest: &str,
    now: DateTime<Utc>,
) -> StoreResult<SpaceId> {
    let (invite_id, space, expires_at, used_at, revoked_at) = invites::table
        .filter(invites::code_hash.eq(code_digest))
        .select((
            invites::id,
            invites::space_id,
            invites::expires_at,
            invites::used_at,
            invites::revoked_at,
        ))
        .first::<(
            InviteId,
            SpaceId,
            NaiveDateTime,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
        )>(conn)?;
    let state = lock_space_row(conn, space)?;
    let already_member = memberships::table
        .find((space, accepter))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    let status = InviteStatus {
        expires_at: utc(expires_at),
        used: used_at.is_some(),
        revoked: revoked_at.is_some(),
    };
    let next = accept_invite(state, status, already_member, now)?;
    diesel::update(invites::table.find(&invite_id))
        .set((
            invites::used_at.eq(stored_time(now)),
            invites::used_by.eq(accepter),
        ))
        .execute(conn)?;
    diesel::update(spaces::table.find(space))
        .set(spaces::state.eq(next))
        .execute(conn)?;
    add_member(conn, space, accepter, now)?;
    let joined = SpaceEvent::MemberJoined {
        user_id: accepter,
        display_name: display_name(conn, accepter)?,
    };
    append_event(conn, space, accepter, Audience::Members, &joined, now)?;
    // Both partners are here: the weekly check-in opens on the agreed plan.
    crate::reminders::weekly_rows::sync_weekly_openings(conn, space, now)?;
    Ok(space)
}

/// `leaver` leaves `space` (see [`Store::leave_space`]); also used when an account is deleted.
pub(crate) fn leave(
    conn: &mut DbConnection,
    leaver: UserId,
    space: SpaceId,
    mode: LeaveMode,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    require_current_member(conn, leaver, space)?;
    let state = lock_space_row(conn, space)?;
    diesel::update(memberships::table.find((space, leaver)))
        .set(memberships::left_at.eq(stored_time(now)))
        .execute(conn)?;
    if state != SpaceState::Closed {
        diesel::update(spaces::table.find(space))
            .set((
                spaces::state.eq(state.leave()),
                spaces::closed_at.eq(stored_time(now)),
            ))
            .execute(conn)?;
        // Nobody can join a closed space: pending invites die with it.
        diesel::update(invites::table)
            .filter(invites::space_id.eq(space))
            .filter(invites::used_at.is_null())
            .filter(invites::revoked_at.is_null())
            .set(invites::revoked_at.eq(stored_time(now)))
            .execute(conn)?;
    }
    let event = match mode {
        LeaveMode::Normal => SpaceEvent::MemberLeft { user_id: leaver },
        LeaveMode::Safety => SpaceEvent::SpaceClosed {},
    };
    append_event(conn, space, leaver, Audience::Members, &event, now)?;
    // The space is closed: its talks and commitments remind no one.
    crate::reminders::schedule::drop_space(conn, space)?;
    // An open weekly round closes unrevealed: no reveal without both partners.
    // (At the time the event records: a safety exit keeps only the day.)
    crate::weekly::close_open_round_on_leave(conn, space, event.recorded_at(now))?;
    if mode == LeaveMode::Safety {
        end_all_sessions(conn, leaver, now)?;
        crate::outbox::cancel_mail_of(conn, leaver)?;
        crate::reminders::schedule::drop_person(conn, leaver)?;
    }
    Ok(())
}
