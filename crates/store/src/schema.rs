//! Diesel's view of the tables. Written by hand to match both migration folders; the schema
//! parity test keeps the two backends and this file honest.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        time_zone -> Text,
        email_verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        check_in_times -> Text,
        mail_preferences -> Text,
        disabled_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        last_used_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        session_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        rotated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    spaces (id) {
        id -> Text,
        name -> Text,
        state -> Text,
        created_by -> Text,
        last_seq -> BigInt,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    memberships (space_id, user_id) {
        space_id -> Text,
        user_id -> Text,
        joined_at -> Timestamp,
        left_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invites (id) {
        id -> Text,
        code_hash -> Text,
        space_id -> Text,
        created_by -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        used_by -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    events (space_id, seq) {
        space_id -> Text,
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        actor_id -> Nullable<Text>,
        audience -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(refresh_tokens -> sessions (session_id));
diesel::joinable!(memberships -> spaces (space_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(invites -> spaces (space_id));
diesel::joinable!(events -> spaces (space_id));

diesel::table! {
    check_ins (id) {
        id -> Text,
        space_id -> Text,
        author_id -> Text,
        text -> Text,
        mood -> Nullable<Text>,
        created_at -> Timestamp,
        redacted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    live_tickets (ticket_hash) {
        ticket_hash -> Text,
        user_id -> Text,
        session_id -> Text,
        space_id -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(check_ins -> spaces (space_id));

diesel::table! {
    requests (id) {
        id -> Text,
        space_id -> Text,
        author_id -> Text,
        text -> Text,
        state -> Text,
        reply -> Nullable<Text>,
        acknowledged_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        felt_heard -> Nullable<Bool>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    commitments (id) {
        id -> Text,
        space_id -> Text,
        committer_id -> Text,
        partner_id -> Text,
        request_id -> Nullable<Text>,
        text -> Text,
        schedule -> Text,
        time_zone -> Text,
        grace_minutes -> BigInt,
        state -> Text,
        version -> BigInt,
        scheduled_until -> Timestamp,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    commitment_occurrences (id) {
        id -> Text,
        commitment_id -> Text,
        space_id -> Text,
        opens_at -> Timestamp,
        due_at -> Timestamp,
        deadline_at -> Timestamp,
        state -> Text,
        note -> Nullable<Text>,
        kept_at -> Nullable<Timestamp>,
        reviewed_at -> Nullable<Timestamp>,
        dispute_reason -> Nullable<Text>,
    }
}

diesel::joinable!(commitment_occurrences -> commitments (commitment_id));

diesel::table! {
    notes (id) {
        id -> Text,
        space_id -> Text,
        author_id -> Text,
        kind -> Text,
        text -> Text,
        in_reply_to -> Nullable<Text>,
        deliver_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        redacted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    trust_ratings (id) {
        id -> Text,
        space_id -> Text,
        author_id -> Text,
        score -> Integer,
        note -> Nullable<Text>,
        shared -> Bool,
        local_day -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    activities (id) {
        id -> Text,
        space_id -> Text,
        author_id -> Text,
        title -> Text,
        starts_at -> Nullable<Timestamp>,
        done_at -> Nullable<Timestamp>,
        done_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    talks (id) {
        id -> Text,
        space_id -> Text,
        proposer_id -> Text,
        title -> Text,
        mode -> Text,
        cadence -> Text,
        starts_at -> Timestamp,
        duration_minutes -> BigInt,
        time_zone -> Text,
        agenda -> Text,
        state -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    talk_occurrences (id) {
        id -> Text,
        talk_id -> Text,
        space_id -> Text,
        starts_at -> Timestamp,
        outcome -> Text,
        notes -> Nullable<Text>,
        marked_by -> Nullable<Text>,
        marked_at -> Timestamp,
    }
}

diesel::table! {
    calendar_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(notes -> spaces (space_id));
diesel::joinable!(commitments -> spaces (space_id));
diesel::joinable!(commitment_occurrences -> spaces (space_id));

diesel::table! {
    email_tokens (token_hash) {
        token_hash -> Text,
        user_id -> Text,
        purpose -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        dedupe_key -> Text,
        recipient_id -> Nullable<Text>,
        to_address -> Text,
        about_user_id -> Nullable<Text>,
        template -> Text,
        kind -> Nullable<Text>,
        data -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        push_subscription_id -> Nullable<Text>,
    }
}

diesel::table! {
    reminders (id) {
        id -> Text,
        kind -> Text,
        user_id -> Nullable<Text>,
        space_id -> Nullable<Text>,
        subject_id -> Text,
        lead_minutes -> Integer,
        next_fire_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    weekly_rounds (id) {
        id -> Text,
        space_id -> Text,
        prompts -> Text,
        state -> Text,
        opened_at -> Timestamp,
        closes_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    weekly_answers (round_id, author_id) {
        round_id -> Text,
        author_id -> Text,
        answers -> Text,
        rating -> Nullable<BigInt>,
        submitted_at -> Nullable<Timestamp>,
        shared_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    weekly_plans (space_id) {
        space_id -> Text,
        agreed -> Nullable<Text>,
        agreed_at -> Nullable<Timestamp>,
        proposal -> Nullable<Text>,
        proposed_by -> Nullable<Text>,
        proposed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    push_subscriptions (id) {
        id -> Text,
        user_id -> Text,
        endpoint -> Text,
        p256dh -> Text,
        auth -> Text,
        label -> Text,
        kinds -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(weekly_rounds -> spaces (space_id));
diesel::joinable!(weekly_answers -> weekly_rounds (round_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    refresh_tokens,
    spaces,
    memberships,
    invites,
    events,
    check_ins,
    live_tickets,
    requests,
    commitments,
    commitment_occurrences,
    notes,
    trust_ratings,
    activities,
    talks,
    talk_occurrences,
    calendar_tokens,
    email_tokens,
    deliveries,
    reminders,
    weekly_rounds,
    weekly_plans,
    push_subscriptions,
    weekly_answers,
);
