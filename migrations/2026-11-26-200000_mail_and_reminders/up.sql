-- Mail: preferences per person, single-use account tokens, the outbox, and scheduled reminders.
-- Keep in step with the other backend's folder.

-- MailPreferences as JSON; '{}' reads as the defaults.
ALTER TABLE users ADD COLUMN mail_preferences TEXT NOT NULL DEFAULT '{}';

-- Email verification and password reset links (stored as their SHA-256), single use.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP
);
CREATE INDEX email_tokens_by_user ON email_tokens(user_id);

-- The transactional outbox: written in the command's transaction, sent by the worker.
-- next_attempt_at doubles as the lease: a claimed row is pushed into the future until its
-- outcome is recorded, so a crashed sender's rows come due again.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    recipient_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    to_address      TEXT NOT NULL,
    about_user_id   TEXT,
    template        TEXT NOT NULL,
    -- The MailKind (activity, talk_reminder, …) for mail one can unsubscribe from; NULL for
    -- account mail (verification, reset, invite).
    kind            TEXT,
    data            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_by_recipient ON deliveries(recipient_id);
CREATE INDEX deliveries_about ON deliveries(about_user_id);

-- Scheduled reminders: one row per thing that reminds (a talk and a lead time, a commitment, a
-- person's check-in times, a weekly summary). The scheduler reads only rows that are due.
CREATE TABLE reminders (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('talk', 'commitment', 'check_in', 'weekly_summary')),
    user_id      TEXT REFERENCES users(id) ON DELETE CASCADE,
    space_id     TEXT REFERENCES spaces(id) ON DELETE CASCADE,
    subject_id   TEXT NOT NULL,
    lead_minutes INTEGER NOT NULL,
    next_fire_at TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (kind, subject_id, lead_minutes)
);
CREATE INDEX reminders_due ON reminders(next_fire_at);
